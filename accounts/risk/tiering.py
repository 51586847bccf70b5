"""The 2/8 rule: the top 20% of active customers by trailing-12-month revenue are key accounts
(docs/risk-method.md, "Tiering").

Rules (numbers from the active model version's ``tiering`` parameters):

- Customers active on the date are ranked by revenue over ``revenue_window_days`` up to and
  including it. The cut-off is the revenue of the customer at position ``ceil(key_share × n)``;
  a customer qualifies when its revenue is above zero and at least the cut-off, so customers tied
  at the cut-off all qualify.
- A qualifying customer becomes key at once. A customer pinned by an admin is always key.
- Hysteresis: a key account that no longer qualifies stays key until it has been below the
  cut-off in ``months_below_to_leave`` consecutive monthly runs.
- The monthly run of a calendar month is its first tiering run, recognised by its
  ParetoSnapshot: a run is the month's monthly run when no ParetoSnapshot exists earlier in the
  same month. Nothing else is stored: whether a customer was below at an earlier monthly run is
  recomputed from its orders as of that run's date against that run's stored cut-off. This keeps
  the run idempotent for a date (re-running it finds the same earlier snapshots and orders), and
  lets a mid-month run keep the month's count without adding to it. Months without any run break
  the chain of consecutive months.
- ``Customer.tier_months_below_cutoff`` stores that count of consecutive monthly runs below the
  cut-off (capped at ``months_below_to_leave``, the most the rule needs). Customers no longer
  active on the date are left untouched.
- A tier change is recorded in the customer's history (with its account team, as a save would
  record it), dated the moment of the run or, for a run of an earlier date, the last instant of
  that date: the scorer reads the tier as of a date from that history. Revenue updates alone
  are not recorded.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from math import ceil
from typing import NamedTuple

from django.db import transaction
from django.db.models import DecimalField, FilteredRelation, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import Customer, ParetoSnapshot, Tier
from keyaccounts.bulk import update_rows
from keyaccounts.clock import business_today, day_end

from .engine import active_model_version
from .parameters import RiskError, RiskParameters
from .signals import customers_active_on

BATCH_SIZE = 2000


class TierChange(NamedTuple):
    """A customer whose tier changed in a tiering run."""

    customer_id: int
    old_tier: str
    new_tier: str


@dataclass
class TieringResult:
    """The outcome of a tiering run: the Pareto figures and the customers whose tier changed."""

    as_of: date
    customers: int
    key_customers: int
    cutoff_revenue: Decimal
    total_revenue: Decimal
    key_revenue_share: float
    changes: list[TierChange]


def _month_start(day: date, months_back: int = 0) -> date:
    month_index = day.year * 12 + day.month - 1 - months_back
    return date(month_index // 12, month_index % 12 + 1, 1)


def _qualifies(revenue: Decimal, cutoff: Decimal) -> bool:
    return revenue > 0 and revenue >= cutoff


def _monthly_observations(as_of: date, months: int) -> list[tuple[date, Decimal | None]]:
    """The monthly runs to look at, newest first: (date, stored cut-off or None for this run).

    The first entry is this month's monthly run (this run itself when no earlier run exists this
    month); then the previous months' monthly runs, stopping at the first month without a run.
    """
    earliest = _month_start(as_of, months - 1)
    first_runs: dict[tuple[int, int], tuple[date, Decimal]] = {}
    for row in (
        ParetoSnapshot.objects.filter(as_of__gte=earliest, as_of__lt=as_of)
        .order_by("as_of")
        .values("as_of", "cutoff_revenue")
    ):
        first_runs.setdefault((row["as_of"].year, row["as_of"].month), (row["as_of"], row["cutoff_revenue"]))
    this_month = (as_of.year, as_of.month)
    observations: list[tuple[date, Decimal | None]] = [first_runs.get(this_month, (as_of, None))]
    for back in range(1, months):
        start = _month_start(as_of, back)
        run = first_runs.get((start.year, start.month))
        if run is None:
            break
        observations.append(run)
    return observations


def tiering_run(*, as_of: date) -> TieringResult:
    """Rank the customers active on ``as_of``, update their tier and revenue, store the Pareto snapshot.

    Returns the Pareto figures and the tier changes (for alerts). Idempotent for a date: a second
    run changes nothing and reports no changes.
    """
    today = business_today()
    if as_of > today:
        raise RiskError(
            _("Tiers cannot be computed for %(date)s: it is after today (%(today)s).")
            % {"date": formats.date_format(as_of, "DATE_FORMAT"), "today": formats.date_format(today, "DATE_FORMAT")},
            code="after_today",
        )
    version = active_model_version()
    p = RiskParameters.of_version(version).tiering
    window = timedelta(days=p.revenue_window_days)
    months_to_leave = int(p.months_below_to_leave)
    observations = _monthly_observations(as_of, months_to_leave)

    def revenue_up_to(day: date):
        return Coalesce(
            Sum(
                "window_orders__amount",
                filter=Q(window_orders__ordered_on__gt=day - window, window_orders__ordered_on__lte=day),
            ),
            Value(Decimal(0)),
            output_field=DecimalField(max_digits=18, decimal_places=2),
        )

    past = {f"revenue_{i}": revenue_up_to(day) for i, (day, cutoff) in enumerate(observations) if cutoff is not None}
    # Only the orders in the windows of this run and the earlier monthly runs are joined, not the
    # whole order history.
    earliest = min(day for day, _cutoff in observations) - window
    rows = list(
        customers_active_on(as_of)
        .annotate(
            window_orders=FilteredRelation(
                "orders", condition=Q(orders__ordered_on__gt=earliest, orders__ordered_on__lte=as_of)
            )
        )
        .annotate(revenue_now=revenue_up_to(as_of), **past)
        .values("pk", "tier", "tier_pinned", "revenue_12m", "tier_months_below_cutoff", "revenue_now", *past)
    )
    rows.sort(key=lambda row: (-row["revenue_now"], row["pk"]))

    n = len(rows)
    key_count = ceil(Fraction(str(p.key_share)) * n) if n else 0
    cutoff = rows[key_count - 1]["revenue_now"] if key_count else Decimal(0)

    changes: list[TierChange] = []
    updated: list[Customer] = []
    key_revenue = Decimal(0)
    key_customers = 0
    for row in rows:
        months_below = 0
        for i, (_day, run_cutoff) in enumerate(observations):
            below = (
                not _qualifies(row["revenue_now"], cutoff)
                if run_cutoff is None
                else not _qualifies(row[f"revenue_{i}"], run_cutoff)
            )
            if not below:
                break
            months_below += 1
        qualifies = _qualifies(row["revenue_now"], cutoff)
        stays = row["tier"] == Tier.KEY and months_below < months_to_leave
        new_tier = Tier.KEY if row["tier_pinned"] or qualifies or stays else Tier.REGULAR
        if new_tier == Tier.KEY:
            key_customers += 1
            key_revenue += row["revenue_now"]
        if new_tier != row["tier"]:
            changes.append(TierChange(row["pk"], row["tier"], new_tier))
        if (new_tier, row["revenue_now"], months_below) != (
            row["tier"],
            row["revenue_12m"],
            row["tier_months_below_cutoff"],
        ):
            updated.append(
                Customer(
                    pk=row["pk"], tier=new_tier, revenue_12m=row["revenue_now"], tier_months_below_cutoff=months_below
                )
            )

    total = sum((row["revenue_now"] for row in rows), Decimal(0))
    share = float(key_revenue / total) if total else 0.0
    with transaction.atomic():
        update_rows(Customer, updated, ["tier", "revenue_12m", "tier_months_below_cutoff"], batch_size=BATCH_SIZE)
        _record_tier_changes([change.customer_id for change in changes], as_of)
        ParetoSnapshot.objects.update_or_create(
            as_of=as_of,
            defaults={
                "customers": n,
                "key_customers": key_customers,
                "cutoff_revenue": cutoff,
                "total_revenue": total,
                "key_revenue_share": round(min(share, 1.0), 6),
                "curve": _pareto_curve([row["revenue_now"] for row in rows], total, int(p.curve_points)),
            },
        )
    return TieringResult(
        as_of=as_of,
        customers=n,
        key_customers=key_customers,
        cutoff_revenue=cutoff,
        total_revenue=total,
        key_revenue_share=share,
        changes=changes,
    )


def _tiering_reason(as_of: date) -> str:
    return f"tiering {as_of.isoformat()}"


def _record_tier_changes(customer_ids: list[int], as_of: date) -> None:
    """One history row per customer whose tier changed, dated the run or the end of its date."""
    when = min(timezone.now(), day_end(as_of) - timedelta(microseconds=1))
    record_customer_history(customer_ids, when=when, reason=_tiering_reason(as_of))


def tier_changes_of(as_of: date) -> list[TierChange]:
    """The tier changes the tiering of ``as_of`` made, read back from the history it recorded.

    The same whether the run that made them finished or was killed before raising their alerts, so
    the run that finishes the night raises them all. One query.
    """
    rows = (
        Customer.history.filter(history_change_reason=_tiering_reason(as_of))
        .order_by("id", "-history_date", "-history_id")
        .values_list("id", "tier")
    )
    latest = dict(reversed(list(rows)))
    other = {Tier.KEY: Tier.REGULAR, Tier.REGULAR: Tier.KEY}
    return [TierChange(pk, other[tier], tier) for pk, tier in sorted(latest.items())]


def record_customer_history(customer_ids: list[int], *, when, reason: str) -> None:
    """A history row of each customer as it now is, with its account team (as a save writes),
    dated ``when``: for changes written without a save (an UPDATE of many rows)."""
    history = Customer.history
    team_history = history.model.account_team.model
    through = Customer.account_team.through
    for start in range(0, len(customer_ids), BATCH_SIZE):
        batch = customer_ids[start : start + BATCH_SIZE]
        created = history.bulk_history_create(
            Customer.objects.filter(pk__in=batch).order_by("pk"),
            update=True,
            default_change_reason=reason,
            default_date=when,
        )
        if not created:
            continue
        history_ids = {row.id: row.history_id for row in created}
        if None in history_ids.values():  # a database that does not return the new keys
            history_ids = dict(
                history.filter(id__in=batch, history_date=when, history_change_reason=reason).values_list(
                    "id", "history_id"
                )
            )
        team_history.objects.bulk_create(
            [
                team_history(
                    id=member.pk,
                    customer_id=member.customer_id,
                    user_id=member.user_id,
                    history_id=history_ids[member.customer_id],
                )
                for member in through.objects.filter(customer_id__in=batch)
            ],
            batch_size=BATCH_SIZE,
        )


def _pareto_curve(revenues: list[Decimal], total: Decimal, points: int) -> list[list[float]]:
    """[[share of customers, cumulative share of revenue], ...] from the largest customer down."""
    n = len(revenues)
    if not n:
        return []
    cumulative = [Decimal(0)]
    for revenue in revenues:
        cumulative.append(cumulative[-1] + revenue)
    positions = sorted({round(k * n / points) for k in range(points + 1)})
    return [[round(i / n, 4), round(float(cumulative[i] / total), 4) if total else 0.0] for i in positions]
