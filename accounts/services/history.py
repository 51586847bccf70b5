"""Customer history rows that take effect from a past day (a level change or a handover dated back).

The risk engine reads a customer's fields as of a date from its django-simple-history rows: the
latest row dated before the end of the day (`accounts.risk.as_of`). A change effective from day D
that is recorded later is therefore written as a history row dated at the start of D — a copy of
the row in force just before D with the changed columns replaced — and the rows dated from D on
get the same replacement, so every as-of read from D on sees the change and none before D does.

Set-based: one INSERT … SELECT for customers with history, one for those without (they copy their
live row), one INSERT for the new rows' account team, whatever the number of customers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from django.db import connection

from keyaccounts.clock import day_start

from ..models import Customer


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def history_table() -> str:
    return Customer.history.model._meta.db_table


def team_history_table() -> str:
    return history_table() + "_account_team"


def history_columns() -> list[str]:
    """The customer's own columns on its history rows (not the history_* bookkeeping)."""
    history = Customer.history.model
    return [f.column for f in history._meta.concrete_fields if not f.attname.startswith("history_")]


def insert_rows_from(
    *,
    scope_sql: str,
    scope_params: Sequence,
    day: date,
    replace: Mapping[str, tuple[str, Sequence]],
    user_id: int | None,
    reason: str,
) -> None:
    """Write, for each customer of ``scope_sql`` (a query of ``cid`` and ``sid`` columns: the
    customer and a value the replacements may use as ``s.sid``), a history row dated at the start
    of ``day``: the row in force before that instant (or the live row for a customer without
    history) with the columns of ``replace`` set to SQL expressions over it (alias ``r``)."""
    when = connection.ops.adapt_datetimefield_value(day_start(day))
    columns = history_columns()
    exprs, expr_params = [], []
    for column in columns:
        if column in replace:
            sql, params = replace[column]
            exprs.append(sql)
            expr_params.extend(params)
        else:
            exprs.append(f"r.{q(column)}")
    hist = q(history_table())
    insert = (
        f"INSERT INTO {hist} ({', '.join(q(c) for c in columns)}, history_date, history_change_reason, "
        f"history_type, history_user_id) SELECT {', '.join(exprs)}, %s, %s, '~', %s "
    )
    tail = [when, reason[:100], user_id]
    # The row in force before the day: the latest one before it, else the earliest one.
    before = "h2.history_date < %s"
    picked = (
        f"(SELECT h2.history_id FROM {hist} h2 WHERE h2.id = s.cid ORDER BY "
        f"CASE WHEN {before} THEN 0 ELSE 1 END, CASE WHEN {before} THEN h2.history_date END DESC, "
        f"CASE WHEN {before} THEN h2.history_id END DESC, h2.history_date, h2.history_id LIMIT 1)"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            insert + f"FROM ({scope_sql}) s JOIN {hist} r ON r.history_id = {picked}",
            [*expr_params, *tail, *scope_params, when, when, when],
        )
        cursor.execute(
            insert + f"FROM ({scope_sql}) s JOIN {q(Customer._meta.db_table)} r ON r.id = s.cid "
            f"WHERE NOT EXISTS (SELECT 1 FROM {hist} h2 WHERE h2.id = s.cid)",
            [*expr_params, *tail, *scope_params],
        )


def team_rows_for(*, scope_sql: str, scope_params: Sequence, day: date, reason: str) -> None:
    """The account team (as it now is) of the rows `insert_rows_from` wrote, as a save's rows carry it."""
    when = connection.ops.adapt_datetimefield_value(day_start(day))
    through = q(Customer.account_team.through._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(team_history_table())} (id, customer_id, user_id, history_id) "
            f"SELECT t.id, t.customer_id, t.user_id, h.history_id FROM {q(history_table())} h "
            f"JOIN {through} t ON t.customer_id = h.id "
            f"WHERE h.history_date = %s AND h.history_change_reason = %s AND h.id IN (SELECT cid FROM ({scope_sql}) s)",
            [when, reason[:100], *scope_params],
        )
