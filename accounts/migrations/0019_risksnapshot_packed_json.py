"""Risk snapshots' ``factors`` and ``reasons`` stored packed (``accounts.packing``): bytes, not JSON text.

On PostgreSQL the two ``json`` columns become ``bytea`` holding the same text (one rewrite of the
table, in SQL), stored MAIN (inline), and the partitions lose their low ``toast_tuple_target``:
a packed row is small enough to stay whole in its page. SQLite's table is rebuilt without its
JSON checks. Then every stored snapshot is
packed, a day at a time, and one written before ``factor_risks`` existed gets it from its factors,
so the dashboard's summaries never need to read ``factors`` again. Going back unpacks every row
and turns the columns into ``json`` again.
"""

import orjson
from django.db import migrations
from django_migration_linter import IgnoreMigration

import accounts.fields
from accounts import packing

# accounts.risk.defaults.FACTORS when this migration was written.
FACTORS = ("purchase_trend", "relationship", "criteria", "quality", "supply", "price", "strategy")
COLUMNS = ("factors", "reasons")


class AlterFieldOffPostgres(migrations.AlterField):
    """AlterField that changes the database everywhere but PostgreSQL (whose columns change by SQL)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def _change_postgres_columns(apps, schema_editor, *, packed: bool):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    table = apps.get_model("accounts", "RiskSnapshot")._meta.db_table
    if packed:
        using = ", ".join(f"ALTER COLUMN {c} TYPE bytea USING convert_to({c}::text, 'UTF8')" for c in COLUMNS)
    else:
        using = ", ".join(f"ALTER COLUMN {c} TYPE json USING convert_from({c}, 'UTF8')::json" for c in COLUMNS)
    schema_editor.execute(f"ALTER TABLE {table} {using}")
    # A packed row is a few hundred bytes: kept whole in its partition (MAIN: moved out of line
    # only if a row outgrew a page), no longer squeezed by a low toast_tuple_target.
    storage = "MAIN" if packed else "EXTENDED"
    storages = ", ".join(f"ALTER COLUMN {c} SET STORAGE {storage}" for c in COLUMNS)
    schema_editor.execute(f"ALTER TABLE {table} {storages}")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [table],
        )
        partitions = [name for (name,) in cursor.fetchall()]
    for partition in partitions:
        target = "RESET (toast_tuple_target)" if packed else "SET (toast_tuple_target = 128)"
        schema_editor.execute(f"ALTER TABLE {schema_editor.quote_name(partition)} {target}")


def _rewrite_rows(apps, schema_editor, *, packed: bool):
    """Every snapshot's two documents packed (or back to JSON text), one day per UPDATE."""
    connection = schema_editor.connection
    table = schema_editor.quote_name(apps.get_model("accounts", "RiskSnapshot")._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT as_of FROM {table} ORDER BY as_of")
        for (day,) in cursor.fetchall():
            cursor.execute(f"SELECT id, factors, reasons, factor_risks FROM {table} WHERE as_of = %s", [day])
            rows = []
            for pk, factors, reasons, factor_risks in cursor.fetchall():
                factors = packing.unpack("factors", factors)
                reasons = packing.unpack("reasons", reasons)
                risks = None
                if factor_risks is None:
                    risks = orjson.dumps([((factors or {}).get(f) or {}).get("risk") for f in FACTORS]).decode()
                if packed:
                    rows.append((packing.pack("factors", factors), packing.pack("reasons", reasons), risks, pk))
                elif connection.vendor == "postgresql":
                    rows.append((orjson.dumps(factors), orjson.dumps(reasons), risks, pk))
                else:
                    rows.append((orjson.dumps(factors).decode(), orjson.dumps(reasons).decode(), risks, pk))
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"UPDATE {table} t SET factors = v.factors, reasons = v.reasons, "
                    "factor_risks = COALESCE(t.factor_risks, v.factor_risks::json) "
                    "FROM unnest(%s::bytea[], %s::bytea[], %s::text[], %s::bigint[]) "
                    "AS v(factors, reasons, factor_risks, id) "
                    "WHERE t.as_of = %s AND t.id = v.id",
                    [*(list(column) for column in zip(*rows, strict=True)), day],
                )
            else:
                cursor.executemany(
                    f"UPDATE {table} SET factors = %s, reasons = %s, "
                    "factor_risks = COALESCE(factor_risks, %s) WHERE id = %s",
                    rows,
                )


def forwards(apps, schema_editor):
    _change_postgres_columns(apps, schema_editor, packed=True)


def backwards(apps, schema_editor):
    _rewrite_rows(apps, schema_editor, packed=False)
    _change_postgres_columns(apps, schema_editor, packed=False)


def pack_rows(apps, schema_editor):
    _rewrite_rows(apps, schema_editor, packed=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0018_scoring_chunks"),
    ]

    operations = [
        # The column types change and every snapshot is rewritten, holding the table meanwhile:
        # run it in a maintenance window (measured: about 2 minutes for 317,000 snapshots on
        # two cores, so some 6 minutes a million).
        IgnoreMigration(),
        AlterFieldOffPostgres(
            model_name="risksnapshot",
            name="factors",
            field=accounts.fields.PackedJSONField(
                blank=True, default=dict, kind="factors", verbose_name="factor risks and weights"
            ),
        ),
        AlterFieldOffPostgres(
            model_name="risksnapshot",
            name="reasons",
            field=accounts.fields.PackedJSONField(blank=True, default=list, kind="reasons", verbose_name="reasons"),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RunPython(pack_rows, migrations.RunPython.noop),
    ]
