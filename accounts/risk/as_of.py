"""A record's fields as they were at the end of a date, read from its django-simple-history rows.

The rule (docs/risk-method.md, "Signals", "As of a date"): a record's value as of day D is the
one on its latest history row dated before the end of D (``keyaccounts.clock.day_end``); a
record whose first history row is later than that (recorded or imported after D) reads its
*earliest* history row, the value as first recorded; a record with no history at all reads its
current value. Several rows at the same instant are told apart by their history id.

``records_as_of_sql`` is the SQL of a derived table holding every record in scope with its
fields as of the date: set-based, one pass joining the records to their history rows. On
PostgreSQL each record keeps its row by ``DISTINCT ON``; elsewhere (SQLite) by a ``ROW_NUMBER()``
window. ``history_as_of_order`` is the same choice for a correlated subquery in the ORM.
"""

from collections.abc import Sequence
from datetime import date

from django.db import connection, models
from django.db.models import Case, F, Q, Value, When

from keyaccounts.clock import utc_day_end


def as_of_instant(as_of: date):
    """The end of the day as a query parameter for raw SQL: "on or before D" is ``< this``."""
    return connection.ops.adapt_datetimefield_value(utc_day_end(as_of))


def records_as_of_sql(
    model: type[models.Model],
    fields: Sequence[str],
    *,
    as_of: date,
    columns: Sequence[str],
    where_sql: str,
    where_params: Sequence,
) -> tuple[str, list]:
    """SQL and parameters of a derived table: one row per record of ``model`` matching
    ``where_sql`` (on the record's table, alias ``c``), with its current ``columns`` (column
    names), ``fields`` (field names, selected under their column names) as of the end of
    ``as_of``, and ``history_id``, the history row they come from (NULL for a record without
    history, which reads its current values).

    One pass: the records are joined to their history rows and each keeps the row the rule
    picks, so the records are filtered once, whatever the size of the book.
    """
    history = model.history.model
    qn = connection.ops.quote_name
    table, history_table = qn(model._meta.db_table), qn(history._meta.db_table)
    picked = []
    for name in fields:
        column = qn(model._meta.get_field(name).column)
        # Not a COALESCE: NULL is a value a field may have had.
        picked.append(f"CASE WHEN h.history_id IS NULL THEN c.{column} ELSE h.{column} END AS {column}")
    selected = ", ".join([*(f"c.{qn(c)}" for c in columns), *picked, "h.history_id"])
    before = "h.history_date < %s"
    # Rows before the end of the day first, the latest of them first; then the rows after it,
    # the earliest first.
    order = (
        f"CASE WHEN {before} THEN 0 ELSE 1 END, "
        f"CASE WHEN {before} THEN h.history_date END DESC, "
        f"CASE WHEN {before} THEN h.history_id END DESC, "
        "h.history_date, h.history_id"
    )
    until = as_of_instant(as_of)
    order_params = [until, until, until]
    joined = f"FROM {table} c LEFT JOIN {history_table} h ON h.id = c.id WHERE {where_sql}"
    if connection.vendor == "postgresql":
        sql = f"SELECT DISTINCT ON (c.id) {selected} {joined} ORDER BY c.id, {order}"
        return sql, [*where_params, *order_params]
    sql = (
        f"SELECT * FROM (SELECT {selected}, ROW_NUMBER() OVER (PARTITION BY c.id ORDER BY {order}) AS as_of_rank "
        f"{joined}) ranked WHERE as_of_rank = 1"
    )
    return sql, [*order_params, *where_params]


def history_as_of_order(as_of: date) -> list:
    """The same choice for the ORM: ordered by this, a record's history rows start with the one
    the rule picks (for a correlated subquery on one record)."""
    until = utc_day_end(as_of)
    before = Q(history_date__lt=until)
    return [
        Case(When(before, then=Value(0)), default=Value(1)).asc(),
        Case(When(before, then=F("history_date"))).desc(),
        Case(When(before, then=F("history_id"))).desc(),
        F("history_date").asc(),
        F("history_id").asc(),
    ]
