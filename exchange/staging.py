"""Set-based merge of imported rows into a table, with counts and an audit row per change.

Checked rows go into a temporary table shaped like the target (same column types, so comparing
is exact), streamed with COPY on PostgreSQL and in batches elsewhere. Then a fixed handful of
statements, whatever the number of rows: find each row's record by its key, mark it created /
updated / unchanged, write the changes, and insert one history row per created or updated record
(``django-simple-history``'s table, with the importing user and a reason naming the import).
Everything runs in the caller's transaction: an import is applied whole or not at all.

Local ids. Contacts, interactions, purchase criteria and tickets entered in the app have no
external id (``external_id == ""``); an export names each of them ``KA-<pk>`` (`local_id`) so that
the file has a key on every row. A target with ``local_ids`` reads such a key back: a row whose
external id is not any record's external id but is ``KA-<pk>`` of a record that has none is that
record. The row's external id is then staged as ``""`` — the record keeps having none — so an
exported file imported again finds every record unchanged, and the export writes nothing. A
``KA-<pk>`` that names no such record (the record was deleted) creates a new record that keeps
``KA-<pk>`` as its external id, so importing the same file once more finds it by that id instead
of creating it again.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection, models
from django.utils import timezone

from keyaccounts.bulk import copy_text

CREATED, UPDATED, UNCHANGED = "+", "~", "="
LOCAL_ID_PREFIX = "KA-"
_LOCAL_ID = re.compile(r"KA-([1-9][0-9]{0,17})")
BATCH = 5000
_names = itertools.count(1)


@dataclass
class Target:
    """One table an import writes: ``key`` finds a record, ``fields`` are written from the file."""

    model: type[models.Model]
    key: tuple[str, ...]
    fields: tuple[str, ...]
    extras: tuple[tuple[str, str], ...] = ()
    create: bool = True
    # Extra condition (SQL on the staging table, written ``{stage}``) that marks a matched row as updated.
    also_changed: str = ""
    # Fields written only when a record is created (e.g. a customer's status stays as it is).
    on_create: dict = field(default_factory=dict)
    on_update: dict = field(default_factory=dict)
    # ``KA-<pk>`` in ``external_id`` names the record with that pk and no external id (module docstring).
    local_ids: bool = False


def local_id(pk: int) -> str:
    """The key an export gives a record that has no external id."""
    return f"{LOCAL_ID_PREFIX}{pk}"


def local_pk(external_id) -> int | None:
    """The pk in a ``KA-<pk>`` key, else None."""
    found = _LOCAL_ID.fullmatch(external_id or "")
    return int(found.group(1)) if found else None


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def _field(model, attname: str) -> models.Field:
    for candidate in model._meta.concrete_fields:
        if candidate.attname == attname:
            return candidate
    raise KeyError(attname)


class Stage:
    """The temporary table of one target: fill it with `add`, then `resolve`, `mark`, `apply`."""

    def __init__(self, target: Target):
        self.target = target
        self.model = target.model
        self.table = q(self.model._meta.db_table)
        self.name = q(f"import_stage_{next(_names)}")
        self.columns = list(dict.fromkeys((*target.key, *target.fields)))
        self.field_of = {name: _field(self.model, name) for name in self.columns}
        self.pending: list[tuple] = []
        self.rows = 0
        self.applied_at = None
        self.copy = connection.vendor == "postgresql"
        selected = ", ".join(q(self.field_of[name].column) for name in self.columns)
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMPORARY TABLE {self.name} AS SELECT {selected} FROM {self.table} WHERE 1 = 0")
            for column, sql_type in (
                ("row_no", "integer"),
                ("target_id", "bigint"),
                ("action", "varchar(1)"),
                *((("local_pk", "bigint"),) if target.local_ids else ()),
                *target.extras,
            ):
                cursor.execute(f"ALTER TABLE {self.name} ADD COLUMN {q(column)} {sql_type}")
        self.all_columns = [self.field_of[name].column for name in self.columns] + [
            "row_no",
            *(("local_pk",) if target.local_ids else ()),
            *(n for n, _t in target.extras),
        ]

    # Filling -----------------------------------------------------------------------------
    def add(self, row_no: int, values: dict, extras: Sequence = ()) -> None:
        if self.target.local_ids:
            extras = (local_pk(values.get("external_id")), *extras)
        if self.copy:
            # COPY's text takes the Python values as they are (`copy_text`): no per-value adapting.
            self.pending.append((*(values.get(name) for name in self.columns), row_no, *extras))
        else:
            prepared = (self.field_of[name].get_db_prep_save(values.get(name), connection) for name in self.columns)
            self.pending.append((*prepared, row_no, *extras))
        self.rows += 1
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        columns = ", ".join(q(column) for column in self.all_columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                text = "".join("\t".join(map(copy_text, row)) + "\n" for row in self.pending)
                cursor.cursor.copy_expert(f"COPY {self.name} ({columns}) FROM STDIN", io.StringIO(text), size=1 << 20)
            else:
                marks = ", ".join(["%s"] * len(self.all_columns))
                cursor.executemany(f"INSERT INTO {self.name} ({columns}) VALUES ({marks})", self.pending)
        self.pending = []

    # Checks ------------------------------------------------------------------------------
    def duplicates(self, key_columns: Sequence[str], limit: int = 200) -> tuple[int, list[tuple[int, int]]]:
        """Rows whose key repeats an earlier row of the file: (how many, [(row, first row)…])."""
        self.flush()
        keys = ", ".join(q(c) for c in key_columns)
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE INDEX {q(self.name.strip(chr(34)) + '_key')} ON {self.name} ({keys})")
            sql = (
                f"SELECT row_no, first FROM (SELECT row_no, MIN(row_no) OVER (PARTITION BY {keys}) AS first "
                f"FROM {self.name}) AS d WHERE row_no <> first"
            )
            cursor.execute(f"SELECT COUNT(*) FROM ({sql}) AS c")
            total = cursor.fetchone()[0]
            if not total:
                return 0, []
            cursor.execute(f"{sql} ORDER BY row_no LIMIT {int(limit)}")
            return total, cursor.fetchall()

    def execute(self, sql: str, params: Sequence = ()) -> list[tuple]:
        self.flush()
        with connection.cursor() as cursor:
            cursor.execute(sql.replace("{stage}", self.name).replace("{table}", self.table), params)
            return cursor.fetchall() if cursor.description else []

    def touched_customers(self) -> list[int]:
        """The customers of the rows this import creates or changes, and those the changed rows
        leave (call before `apply`): whose figures kept beside the records need a refresh."""
        touched = self.execute(
            f"SELECT customer_id FROM {{stage}} WHERE action IN ('{CREATED}', '{UPDATED}') "
            f"UNION SELECT t.customer_id FROM {{table}} AS t JOIN {{stage}} AS s ON t.id = s.target_id "
            f"WHERE s.action = '{UPDATED}'"
        )
        return [pk for (pk,) in touched]

    # Merge -------------------------------------------------------------------------------
    def _key_match(self, left: str, right: str) -> str:
        return " AND ".join(
            f"{left}.{q(self.field_of[k].column)} = {right}.{q(self.field_of[k].column)}" for k in self.target.key
        )

    def resolve(self) -> None:
        """Each staged row's record id, by key (NULL where the record is new)."""
        self.flush()
        self.execute(
            f"UPDATE {{stage}} SET target_id = t.id FROM {{table}} AS t WHERE {self._key_match('t', '{stage}')}"
        )
        if self.target.local_ids:
            column = q(self.field_of["external_id"].column)
            self.execute(
                f"UPDATE {{stage}} SET target_id = t.id, {column} = '' FROM {{table}} AS t "
                f"WHERE {{stage}}.target_id IS NULL AND {{stage}}.local_pk = t.id AND t.{column} = ''"
            )

    def unmatched(self, limit: int = 200) -> tuple[int, list[int]]:
        rows = self.execute("SELECT row_no FROM {stage} WHERE target_id IS NULL ORDER BY row_no")
        return len(rows), [r for (r,) in rows[:limit]]

    def mark(self) -> dict[str, int]:
        """Mark rows created / updated / unchanged and count them."""
        same = " AND ".join(
            f"(t.{q(c)} = {{stage}}.{q(c)} OR (t.{q(c)} IS NULL AND {{stage}}.{q(c)} IS NULL))"
            for c in (self.field_of[name].column for name in self.columns)
        )
        params = [_prep(self.model, name, value) for name, value in self.target.on_update.items()]
        for name in self.target.on_update:
            same += f" AND t.{q(_field(self.model, name).column)} = %s"
        if self.target.also_changed:
            same += f" AND NOT ({self.target.also_changed})"
        self.execute(f"UPDATE {{stage}} SET action = '{CREATED}' WHERE target_id IS NULL")
        self.execute(
            f"UPDATE {{stage}} SET action = CASE WHEN {same} THEN '{UNCHANGED}' ELSE '{UPDATED}' END "
            f"FROM {{table}} AS t WHERE t.id = {{stage}}.target_id",
            params,
        )
        counts = dict(self.execute("SELECT action, COUNT(*) FROM {stage} GROUP BY action"))
        return {
            "created": counts.get(CREATED, 0),
            "updated": counts.get(UPDATED, 0),
            "unchanged": counts.get(UNCHANGED, 0),
        }

    def apply(self, *, user_id: int | None, reason: str) -> None:
        """Write the updates and the new records, then one history row for each."""
        now = self.applied_at = timezone.now()
        model = self.model
        stamps = [f for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
        sets = [f"{q(self.field_of[name].column)} = s.{q(self.field_of[name].column)}" for name in self.columns]
        params: list = []
        for name, value in self.target.on_update.items():
            sets.append(f"{q(_field(model, name).column)} = %s")
            params.append(_prep(model, name, value))
        for stamp in stamps:
            sets.append(f"{q(stamp.column)} = %s")
            params.append(stamp.get_db_prep_save(now, connection))
        self.execute(
            f"UPDATE {{table}} SET {', '.join(sets)} FROM {{stage}} AS s "
            f"WHERE {{table}}.id = s.target_id AND s.action = '{UPDATED}'",
            params,
        )
        # New records: the file's columns, and every other column's default.
        insert_columns, select, insert_params = [], [], []
        for f in model._meta.concrete_fields:
            if f.primary_key:
                continue
            insert_columns.append(q(f.column))
            if f.attname in self.field_of:
                select.append(f"s.{q(f.column)}")
            else:
                if f.attname in self.target.on_create:
                    value = self.target.on_create[f.attname]
                elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                    value = now
                else:
                    value = f.get_default()
                select.append("%s")
                insert_params.append(f.get_db_prep_save(value, connection))
        self.execute(
            f"INSERT INTO {{table}} ({', '.join(insert_columns)}) SELECT {', '.join(select)} "
            f"FROM {{stage}} AS s WHERE s.action = '{CREATED}' ORDER BY s.row_no",
            insert_params,
        )
        self.execute(
            f"UPDATE {{stage}} SET target_id = t.id FROM {{table}} AS t "
            f"WHERE {{stage}}.action = '{CREATED}' AND {self._key_match('t', '{stage}')}"
        )
        self.write_history(user_id=user_id, reason=reason, when=now)

    def write_history(self, *, user_id: int | None, reason: str, when) -> None:
        history = self.model.history.model
        own = {f.attname for f in history._meta.concrete_fields if f.attname.startswith("history_")}
        columns = [f.column for f in history._meta.concrete_fields if f.attname not in own]
        self.execute(
            f"INSERT INTO {q(history._meta.db_table)} ({', '.join(q(c) for c in columns)}, history_date, "
            f"history_change_reason, history_type, history_user_id) "
            f"SELECT {', '.join('t.' + q(c) for c in columns)}, %s, %s, s.action, %s "
            f"FROM {{table}} AS t JOIN {{stage}} AS s ON t.id = s.target_id "
            f"WHERE s.action IN ('{CREATED}', '{UPDATED}')",
            [when, reason[:100], user_id],
        )

    def drop(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.name}")


def _prep(model, attname: str, value):
    return _field(model, attname).get_db_prep_save(value, connection)


def chunked(values: Iterable, size: int = 1000):
    iterator = iter(values)
    while batch := list(itertools.islice(iterator, size)):
        yield batch
