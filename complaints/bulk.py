"""Set-based inserts for the escalation run: many rows in one statement with one parameter.

Django's ``bulk_create`` builds a model instance and a query parameter for every value; for the
tens of thousands of rows of a first escalation run that costs more than the database's work. Here
the rows travel as one JSON document that the database unpacks itself (``jsonb_to_recordset`` on
PostgreSQL, ``json_each`` on SQLite), optionally with ON CONFLICT and RETURNING.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from django.db import connection, models


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
