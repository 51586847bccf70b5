"""Writing millions of generated rows fast: COPY on PostgreSQL, bulk_create elsewhere.

Both paths take the same rows (tuples in a fixed column order, primary keys included), so the
data does not depend on the database. On PostgreSQL the COPY batches go to a background thread,
so the server checks constraints and builds indexes while Python generates the next batch.
"""

from __future__ import annotations

import csv
import io
import json
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max
from django.utils import timezone

# How generators report progress: (iterable, label, total) -> the iterable, wrapped.
Progress = Callable[[Iterable, str, int], Iterable]
COPY_BATCH_ROWS = 50_000
ORM_BATCH_ROWS = 5_000
_TEXT_TYPES = {"CharField", "TextField", "EmailField", "SlugField", "URLField"}


class TableSink:
    """Rows for one table, written in large batches; parents are written before children.

    Hot loops append to ``rows`` directly and call ``maybe_flush()`` now and then.
    """

    def __init__(self, output: BulkOutput, model: type[models.Model], columns: Sequence[str], parents=()):
        self.output = output
        self.model = model
        self.columns = list(columns)
        self.parents = list(parents)
        self.rows: list[tuple] = []
        self.count = 0
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = [c for c in self.columns if c not in fields]
        if unknown:
            raise ValueError(f"{model.__name__} has no column {unknown}")
        self.fields = [fields[c] for c in self.columns]
        # Columns the generator leaves out get the model's defaults (so new fields keep working).
        self.missing = [f for name, f in fields.items() if name not in self.columns]
        self.limit = output.batch_rows

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.limit:
            self.flush()

    def maybe_flush(self) -> None:
        if len(self.rows) >= self.limit:
            self.flush()

    def flush(self) -> None:
        for parent in self.parents:
            parent.flush()
        if self.rows:
            # Emptied in place: hot loops hold a reference to this very list.
            rows = self.rows.copy()
            self.rows.clear()
            self.output.write(self, rows)
            self.count += len(rows)


class BulkOutput:
    """Where sinks write to; ``close()`` waits for every batch and surfaces any error."""

    batch_rows = ORM_BATCH_ROWS

    def __init__(self) -> None:
        self.sinks: list[TableSink] = []

    def sink(self, model: type[models.Model], columns: Sequence[str], parents=()) -> TableSink:
        sink = TableSink(self, model, columns, parents)
        self.sinks.append(sink)
        return sink

    def write(self, sink: TableSink, rows: list[tuple]) -> None:
        raise NotImplementedError

    def flush_all(self) -> None:
        for sink in self.sinks:
            sink.flush()

    def close(self) -> None:
        self.flush_all()


class OrmOutput(BulkOutput):
    """bulk_create in batches: any database Django supports."""

    def write(self, sink: TableSink, rows: list[tuple]) -> None:
        model, columns = sink.model, sink.columns
        objects = [model(**dict(zip(columns, row, strict=True))) for row in rows]
        model.objects.bulk_create(objects, batch_size=ORM_BATCH_ROWS)


class DiscardOutput(BulkOutput):
    """Rows generated for their side effects (prices, the random sequence) but written nowhere."""

    def write(self, sink: TableSink, rows: list[tuple]) -> None:
        pass


class CopyOutput(BulkOutput):
    """COPY … FROM STDIN (CSV) through psycopg2, one background thread feeding the server."""

    batch_rows = COPY_BATCH_ROWS

    def __init__(self) -> None:
        super().__init__()
        connection.ensure_connection()
        self._raw = connection.connection
        self._queue: queue.Queue = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._statements: dict[int, tuple[str, tuple, list[int]]] = {}
        self._thread = threading.Thread(target=self._run, name="demo-copy", daemon=True)
        self._thread.start()

    @staticmethod
    def available() -> bool:
        if connection.vendor != "postgresql":
            return False
        connection.ensure_connection()
        # psycopg2 has copy_expert; other drivers go through bulk_create.
        return hasattr(type(connection.connection.cursor()), "copy_expert")

    def _run(self) -> None:
        cursor = self._raw.cursor()
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is None:
                sql, buffer = item
                try:
                    cursor.copy_expert(sql, buffer, size=1 << 20)
                except BaseException as exc:  # handed to the main thread
                    self._error = exc

    def _statement(self, sink: TableSink) -> tuple[str, tuple, list[int]]:
        found = self._statements.get(id(sink))
        if found is None:
            qn = connection.ops.quote_name
            fields = sink.fields + sink.missing
            columns = ", ".join(qn(f.column) for f in fields)
            not_null_text = [qn(f.column) for f in fields if not f.null and f.get_internal_type() in _TEXT_TYPES]
            options = "FORMAT csv"
            if not_null_text:
                # In CSV an unquoted empty value is NULL; these columns store "" instead.
                options += f", FORCE_NOT_NULL ({', '.join(not_null_text)})"
            sql = f"COPY {qn(sink.model._meta.db_table)} ({columns}) FROM STDIN WITH ({options})"
            extra = tuple(_default_value(f) for f in sink.missing)
            json_positions = [i for i, f in enumerate(sink.fields) if f.get_internal_type() == "JSONField"]
            found = self._statements[id(sink)] = (sql, extra, json_positions)
        return found

    def write(self, sink: TableSink, rows: list[tuple]) -> None:
        self._raise_error()
        sql, extra, json_positions = self._statement(sink)
        if json_positions:
            rows = [_json_columns(row, json_positions) for row in rows]
        if extra:
            rows = [row + extra for row in rows]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        buffer.seek(0)
        self._queue.put((sql, buffer))

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._queue.put(None)
            self._thread.join()
        self._raise_error()

    def abort(self) -> None:
        """Stop the writer thread after a failure in the generator."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _raise_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            # Raised as Django's own database errors (IntegrityError…), like any other query's.
            with connection.wrap_database_errors:
                raise error


def _json_columns(row: tuple, positions: list[int]) -> tuple:
    values = list(row)
    for i in positions:
        values[i] = json.dumps(values[i])
    return tuple(values)


def _default_value(field: models.Field):
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return timezone.now()
    if field.has_default():
        value = field.get_default()
        return json.dumps(value) if field.get_internal_type() == "JSONField" else value
    if field.null:
        return None
    raise ValueError(f"{field.model.__name__}.{field.name} has no default: the demo generator must fill it")


def make_output() -> BulkOutput:
    return CopyOutput() if CopyOutput.available() else OrmOutput()


def next_pk(model: type[models.Model]) -> int:
    """The first free primary key, so children can point at parents before they are written."""
    return (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


def reset_sequences(model_list: Sequence[type[models.Model]]) -> None:
    """After explicit primary keys, move the database's sequences past them."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_list))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def analyze(model_list: Sequence[type[models.Model]]) -> None:
    """Fresh planner statistics, so the first queries after seeding get sensible plans."""
    if connection.vendor != "postgresql":
        return
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in model_list:
            cursor.execute(f"ANALYZE {qn(model._meta.db_table)}")


@contextmanager
def load_mode(model_list: Sequence[type[models.Model]], *, drop_indexes: bool = True) -> Iterator[None]:
    """On PostgreSQL, load without per-row foreign-key checks and index upkeep, then restore both.

    The foreign keys and plain indexes of the loaded tables are dropped and re-created after the
    load, inside the same transaction: one set-based validation per foreign key and one sorted
    index build are far cheaper than a trigger and an index insert per row (the PostgreSQL manual,
    "Populating a Database"). Primary keys, unique and check constraints stay and still check
    every row. Elsewhere this does nothing.
    """
    if connection.vendor != "postgresql":
        yield
        return
    qn = connection.ops.quote_name
    foreign_keys: list[tuple[str, str, str]] = []
    indexes: list[tuple[str, str]] = []
    with connection.cursor() as cursor:
        # Run the checks queued so far in this transaction: a table with pending ones cannot be altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for model in model_list:
            table = qn(model._meta.db_table)
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
                [table],
            )
            foreign_keys += [(table, name, definition) for name, definition in cursor.fetchall()]
            if drop_indexes:
                cursor.execute(
                    "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                    "WHERE x.indrelid = %s::regclass AND NOT x.indisunique AND NOT x.indisprimary ORDER BY i.relname",
                    [table],
                )
                indexes += cursor.fetchall()
        for table, name, _definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {qn(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {qn(name)}")
    yield
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {qn(name)} {definition}")
