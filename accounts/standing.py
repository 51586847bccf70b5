"""The kept standing of each customer on the latest scored day (``RiskStanding``): the band people
see and the score, which the whole book's lists filter and rank by through an index instead of
joining the day's snapshots and the overrides for every customer.

It is worked out by one ``INSERT … SELECT`` from the same rule the lists show
(``accounts.bands.shown_band_expression``: a manual band in force, else the day's band), and kept
true by every write that changes it:

- the night's snapshots of the latest day (``plumbing.copy_snapshots``, ``upsert_snapshots``),
  in the transaction that writes them;
- a snapshot or an override saved one at a time (``accounts.signals``), and the overrides ended by
  the expiry job (``services.alerts.overrides_expire``);
- a new latest day: any refresh that finds the kept rows on an older day rebuilds them all.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import connection, transaction
from django.db.models import DateField, FilteredRelation, FloatField, Max, Q, Value
from django.db.models.functions import Coalesce

from keyaccounts.clock import as_date

from .bands import shown_band_expression
from .models import Customer, RiskSnapshot, RiskStanding

# Ids refreshed per statement (SQLite's limit on parameters is far above it).
IDS_PER_STATEMENT = 500
UNSCORED_RANK = -1.0
# PostgreSQL advisory lock of the refresh ("KA" + 4).
STANDING_LOCK_CLASS = 0x4B41 + 4


def latest_day() -> date | None:
    """The newest day with risk snapshots."""
    return as_date(RiskSnapshot.objects.aggregate(day=Max("as_of"))["day"])


def _insert(day: date | None, customer_ids: list[int] | None) -> None:
    """Write the rows of ``day`` for the customers ``customer_ids`` (None: every customer); with no
    day scored yet, the manual bands alone."""
    customers = Customer.objects.all() if customer_ids is None else Customer.objects.filter(pk__in=customer_ids)
    rows = (
        customers.annotate(
            day_snapshot=FilteredRelation("risk_snapshots", condition=Q(risk_snapshots__as_of=day)),
            open_override=FilteredRelation("risk_overrides", condition=Q(risk_overrides__ended_on__isnull=True)),
        )
        .filter(Q(day_snapshot__id__isnull=False) | Q(open_override__id__isnull=False))
        .order_by()
        .values_list(
            "pk",
            Value(day, output_field=DateField()),
            shown_band_expression("open_override__band", "day_snapshot__band"),
            "day_snapshot__score",
            Coalesce("day_snapshot__score", Value(UNSCORED_RANK, output_field=FloatField())),
        )
    )
    select, params = rows.query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(RiskStanding._meta.get_field(name).column)
        for name in ("customer", "as_of", "band", "score", "rank_score")
    )
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(RiskStanding._meta.db_table)} ({columns}) {select}", params)


def refresh_standing(customer_ids: Iterable[int] | None = None, *, written_day: date | None = None) -> None:
    """Work the standing out again for ``customer_ids``, or for every customer (None), from the
    latest day's snapshots and the overrides in force. Rows kept for another day, or none kept, are
    all rebuilt. ``written_day``: the day of snapshots just written, which change nothing unless it
    is the latest. One refresh at a time (on PostgreSQL an advisory lock held to the end of the
    transaction): a customer's refresh during the night's waits for its rebuild, then reads it."""
    with transaction.atomic():
        _one_writer()
        day = latest_day()
        if written_day is not None and (day is None or as_date(written_day) < day):
            return
        kept = RiskStanding.objects.values_list("as_of", flat=True).first()
        if customer_ids is None or day is None or kept is None or as_date(kept) != day:
            RiskStanding.objects.all().delete()
            _insert(day, None)
            return
        ids = sorted(set(customer_ids))
        for start in range(0, len(ids), IDS_PER_STATEMENT):
            part = ids[start : start + IDS_PER_STATEMENT]
            RiskStanding.objects.filter(customer_id__in=part).delete()
            _insert(day, part)


def refresh_after_snapshot(*, as_of: date, customer_ids: Iterable[int] | None = None) -> None:
    """After snapshots of ``as_of`` were written (of ``customer_ids``, or of the whole day): the
    standing changes only when that day is the latest."""
    refresh_standing(customer_ids, written_day=as_of)


def _one_writer() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, 0)", [STANDING_LOCK_CLASS])
