"""Set-based writes fast enough for the nightly jobs: the one home of bulk inserts and upserts.

Django's ``bulk_create`` builds a model instance and a query parameter for every value; for
100,000 risk snapshots with their JSON, or the tens of thousands of rows of a first escalation
run, that costs more than the database's work. Two ways round it, both inside the caller's
transaction:

- ``upsert`` / ``update_rows`` / ``copy_insert`` / ``copy_upsert`` (risk snapshots, tiers): on
  PostgreSQL the rows are streamed with COPY (``copy_rows``) straight into the table, or into a
  temporary table merged with one INSERT … ON CONFLICT / UPDATE; other databases take Django's
  ``bulk_create`` / ``bulk_update`` path.
- ``insert_rows`` (escalations, notifications): many rows in one statement with one parameter —
  a JSON document the database unpacks itself (``jsonb_to_recordset`` on PostgreSQL, ``json_each``
  on SQLite), optionally with ON CONFLICT and RETURNING.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

import orjson
from django.db import connection, models, transaction
from django.utils import timezone


def _copy_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_text(value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        text = "t" if value else "f"
    elif isinstance(value, (dict, list)):
        return _copy_json(value)
    elif isinstance(value, (date, datetime)):
        text = value.isoformat()
    elif isinstance(value, (int, float, Decimal)):
        return str(value)
    else:
        text = str(value)
    return _copy_escape(text)


def _copy_json(value) -> str:
    """A JSON value in COPY's text format: JSON escapes tabs and line breaks already, not backslashes."""
    if value is None:
        return r"\N"
    return orjson.dumps(value).decode().replace("\\", "\\\\")


def _copy_bytes(value) -> str:
    """Bytes in COPY's text format: ``bytea`` hex, its backslash escaped."""
    return r"\N" if value is None else "\\\\x" + bytes(value).hex()


# Number fields (and keys to an integer primary key), whose values are written as ``str(value)``,
# as ``copy_text`` writes numbers, without asking each value what it is first (a night's summaries
# write a million of them).
_NUMBER_FIELDS = (models.IntegerField, models.FloatField, models.DecimalField)


def _converter(field: models.Field):
    """How a field's Python value becomes COPY text."""
    if getattr(field, "stores_bytes", False):  # e.g. accounts.fields.PackedJSONField
        return lambda value: _copy_bytes(field.get_db_prep_value(value, connection))
    if isinstance(field, models.BinaryField):
        return _copy_bytes
    if isinstance(field, models.JSONField):
        return _copy_json
    if isinstance(field, _NUMBER_FIELDS) or isinstance(
        field.target_field if field.is_relation else None, models.IntegerField
    ):
        return _copy_number
    return copy_text


def _copy_number(value) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):  # not a number for COPY
        return copy_text(value)
    return str(value)


def fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def copy_rows(model: type[models.Model], objects: Iterable[models.Model | Mapping[str, Any]]) -> str:
    """The objects as COPY text, all columns but the primary key; auto_now stamps set to now.

    An object is a model instance, or a mapping of the fields' attribute names to values, which
    spares building a model instance per row when only the text is wanted.
    """
    now = copy_text(timezone.now())
    columns = []
    for f in fields(model):
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            columns.append((f.attname, None))
        else:
            columns.append((f.attname, _converter(f)))
    lines = []
    for obj in objects:
        get = obj.__getitem__ if isinstance(obj, Mapping) else partial(getattr, obj)
        lines.append("\t".join(now if convert is None else convert(get(name)) for name, convert in columns))
    return "\n".join(lines) + "\n" if lines else ""


def copy_upsert(
    model: type[models.Model],
    chunks: Iterable[str | bytes],
    *,
    unique_fields: Sequence[str],
    update_fields: Sequence[str],
) -> None:
    """Stream chunks of ``copy_rows`` text into the table, updating rows that clash (PostgreSQL).

    Chunks are sent as they come, so whoever produces them keeps working while the server loads
    the previous one.
    """
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields(model))
    table = quote(model._meta.db_table)

    def column(name: str) -> str:
        return quote(model._meta.get_field(name).column)

    conflict = ", ".join(column(name) for name in unique_fields)
    updates = ", ".join(f"{column(name)} = EXCLUDED.{column(name)}" for name in update_fields)
    with transaction.atomic(), connection.cursor() as cursor:
        _compress_json_with_lz4(cursor)
        cursor.execute(
            f"CREATE TEMPORARY TABLE bulk_upsert ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA"
        )
        for chunk in chunks:
            if chunk:
                _copy_in(cursor, f"COPY bulk_upsert ({columns}) FROM STDIN", chunk)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM bulk_upsert "
            f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
        )
        cursor.execute("DROP TABLE bulk_upsert")


def copy_insert(model: type[models.Model], chunks: Iterable[str | bytes]) -> None:
    """Stream chunks of ``copy_rows`` text straight into the table (PostgreSQL), in one transaction.

    For rows known to be new: half the work of ``copy_upsert``, which loads a temporary table
    first. A row that clashes with a unique constraint fails the whole write.
    """
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields(model))
    table = quote(model._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        _compress_json_with_lz4(cursor)
        # The table's deferred foreign keys are checked as the rows arrive, while the caller is
        # still producing the next chunks, instead of all at once when the transaction commits;
        # afterwards they are deferred again.
        cursor.execute(
            "SELECT quote_ident(conname) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f' AND condeferrable AND condeferred",
            [model._meta.db_table],
        )
        deferred = ", ".join(name for (name,) in cursor.fetchall())
        if deferred:
            cursor.execute(f"SET CONSTRAINTS {deferred} IMMEDIATE")
        for chunk in chunks:
            if chunk:
                _copy_in(cursor, f"COPY {table} ({columns}) FROM STDIN", chunk)
        if deferred:
            cursor.execute(f"SET CONSTRAINTS {deferred} DEFERRED")


_COPY_BLOCK = 1 << 20


def _copy_in(cursor, sql: str, chunk: str | bytes) -> None:
    """Send COPY text (str, or already UTF-8 bytes) in blocks of a megabyte rather than 8 KB."""
    data = io.BytesIO(chunk) if isinstance(chunk, bytes) else io.StringIO(chunk)
    cursor.cursor.copy_expert(sql, data, size=_COPY_BLOCK)


def _compress_json_with_lz4(cursor) -> None:
    """Compress large values stored in this transaction with lz4, where the server has it.

    Large JSON values are compressed as they are stored; lz4 costs a fraction of the CPU of the
    default pglz (for the nightly snapshots, about 2 of 7 seconds of server time).
    """
    cursor.execute(
        "SELECT set_config('default_toast_compression', 'lz4', true) FROM pg_settings "
        "WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
    )


def upsert(
    model: type[models.Model],
    objects: Sequence[models.Model],
    *,
    unique_fields: Sequence[str],
    update_fields: Sequence[str],
    batch_size: int = 2000,
) -> None:
    """Insert the objects, or update ``update_fields`` of the rows that clash on ``unique_fields``."""
    if not objects:
        return
    if connection.vendor == "postgresql":
        chunks = (copy_rows(model, objects[start : start + batch_size]) for start in range(0, len(objects), batch_size))
        copy_upsert(model, chunks, unique_fields=unique_fields, update_fields=update_fields)
        return
    with transaction.atomic():
        for start in range(0, len(objects), batch_size):
            model.objects.bulk_create(
                objects[start : start + batch_size],
                update_conflicts=True,
                unique_fields=unique_fields,
                update_fields=update_fields,
            )


def update_rows(
    model: type[models.Model], objects: Sequence[models.Model], fields: Sequence[str], *, batch_size: int = 2000
) -> None:
    """Set ``fields`` of many rows by primary key: one UPDATE … FROM a COPY-loaded table on PostgreSQL.

    ``bulk_update`` builds a CASE expression per field and batch, which grows slow for the whole
    book of customers; other databases still take that path.
    """
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objects, fields, batch_size=batch_size)
        return
    quote = connection.ops.quote_name
    pk = model._meta.pk
    targets = [pk, *(model._meta.get_field(name) for name in fields)]
    columns = ", ".join(quote(f.column) for f in targets)
    table = quote(model._meta.db_table)
    text = "".join("\t".join(copy_text(getattr(obj, f.attname)) for f in targets) + "\n" for obj in objects)
    assignments = ", ".join(f"{quote(f.column)} = bulk_update.{quote(f.column)}" for f in targets[1:])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE bulk_update ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA"
        )
        _copy_in(cursor, f"COPY bulk_update ({columns}) FROM STDIN", text)
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM bulk_update "
            f"WHERE {table}.{quote(pk.column)} = bulk_update.{quote(pk.column)}"
        )
        cursor.execute("DROP TABLE bulk_update")


# Inserts of many rows in one statement ------------------------------------------------------


def db_time(value: datetime | None) -> str | None:
    """A timestamp as the database takes it from text (UTC; SQLite keeps Django's own format)."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    if connection.vendor == "postgresql":
        return value.isoformat()
    return value.replace(tzinfo=None).isoformat(sep=" ")


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[dict],
    *,
    on_conflict: str = "",
    returning: Sequence[str] = (),
) -> list[tuple]:
    """INSERT ``rows`` (dicts keyed by field attname; datetimes through ``db_time``, JSON fields as
    Python objects) into ``model``'s table in one statement; returns the RETURNING rows, in the
    order of ``rows`` as both databases give them for a plain INSERT … SELECT (Django's own
    ``bulk_create`` relies on the same)."""
    if not rows:
        return []
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    names = ", ".join(quote(f.column) for f in columns)
    if connection.vendor == "postgresql":
        record = ", ".join(f"{quote(f.attname)} {f.db_type(connection)}" for f in columns)
        picked = ", ".join("x." + quote(f.attname) for f in columns)
        select = f"SELECT {picked} FROM jsonb_to_recordset(%s::jsonb) AS x({record})"
    else:
        # JSON fields come out of json_extract as JSON text, which is how SQLite stores them.
        extracted = ", ".join(f"json_extract(value, '$.{f.attname}')" for f in columns)
        # WHERE true: SQLite reads ON CONFLICT after a bare SELECT as a join clause.
        select = f"SELECT {extracted} FROM json_each(%s) WHERE true"
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) {select} {on_conflict}"
    if returning:
        sql += " RETURNING " + ", ".join(quote(model._meta.get_field(name).column) for name in returning)
    payload = json.dumps([{f.attname: row[f.attname] for f in columns} for row in rows], ensure_ascii=False)
    with connection.cursor() as cursor:
        cursor.execute(sql, [payload])
        return cursor.fetchall() if returning else []
