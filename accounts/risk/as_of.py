"""A record's fields as they were at the end of a date, read from its django-simple-history rows.

The rule (docs/risk-method.md, "Signals", "As of a date"): a record's value as of day D is the
one on its latest history row dated before the end of D (``keyaccounts.clock.day_end``); a
record whose first history row is later than that (recorded or imported after D) reads its
*earliest* history row, the value as first recorded; a record with no history at all reads its
current value. Several rows at the same instant are told apart by their history id.

``history_as_of_sql`` is the SQL of a derived table holding, for every record with history, the
history row that rule picks: set-based, one pass over the history of the records in scope. On
PostgreSQL it is a ``DISTINCT ON``; elsewhere (SQLite) a ``ROW_NUMBER()`` window. The loaders join
it to the current table and take a history column where the record has a picked row, the
current column where it has none.
"""

from collections.abc import Sequence
from datetime import date

from django.db import connection, models
from django.db.models import Case, F, Q, Value, When

from keyaccounts.clock import utc_day_end


def as_of_instant(as_of: date):
    """The end of the day as a query parameter for raw SQL: "on or before D" is ``< this``."""
    return connection.ops.adapt_datetimefield_value(utc_day_end(as_of))


def history_as_of_sql(
    model: type[models.Model], fields: Sequence[str], *, as_of: date, within_sql: str, within_params: Sequence
) -> tuple[str, list]:
    """SQL and parameters of a derived table: ``id``, ``history_id`` and ``fields`` (by field name,
    selected under their column names) of the history row of each record of ``model`` whose id
    is in ``within_sql`` (a subquery of ids), as of the end of ``as_of``.
    """
    history = model.history.model
    qn = connection.ops.quote_name
    table = qn(history._meta.db_table)
    columns = [qn(history._meta.get_field(name).column) for name in fields]
    selected = ", ".join(["h.id", "h.history_id", *(f"h.{c}" for c in columns)])
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
    if connection.vendor == "postgresql":
        sql = f"SELECT DISTINCT ON (h.id) {selected} FROM {table} h WHERE h.id IN ({within_sql}) ORDER BY h.id, {order}"
        return sql, [*within_params, *order_params]
    sql = (
        f"SELECT * FROM (SELECT {selected}, ROW_NUMBER() OVER (PARTITION BY h.id ORDER BY {order}) AS as_of_rank "
        f"FROM {table} h WHERE h.id IN ({within_sql})) ranked WHERE as_of_rank = 1"
    )
    return sql, [*order_params, *within_params]


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


def pick(column: str, *, current: str = "c", picked: str = "a") -> str:
    """SQL of a column's value as of the date: the picked history row's, or the current row's
    when the record has no history (NULL is a value, so this is not a COALESCE)."""
    column = connection.ops.quote_name(column)
    return f"CASE WHEN {picked}.history_id IS NULL THEN {current}.{column} ELSE {picked}.{column} END"


def as_date(value) -> date | None:
    """A date column from raw SQL: SQLite returns dates as ISO text."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)
