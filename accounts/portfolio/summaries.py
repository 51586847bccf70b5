"""Writes the portfolio summaries the executive dashboard reads, one date at a time: snapshots,
alerts, service, supply and churn gathered into cells and rolled up, one writer per date.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, F, Q

from complaints.models import Ticket
from keyaccounts.clock import day_end_or_now, day_start

from ..models import (
    Alert,
    Customer,
    CustomerStatus,
    DeliveryLine,
    Order,
    PortfolioSummary,
    RiskOverride,
    RiskSnapshot,
    SummaryGrain,
    Tier,
)
from ..risk.defaults import FACTORS

# The same thresholds and windows as the customer list's drill-down filters, so the list
# behind a number shows that many customers.
from ..workspace.filters import CHURN_WINDOW_DAYS, MOVE_POINTS
from .cells import (
    KEEP_EVERY_DAY,
    OTIF_HIT,
    PRUNE_WINDOW_DAYS,
    SERVICE_WINDOW_DAYS,
    TREND_WEEKDAY,
    Cell,
    CellKey,
    _factors_text,
    _float,
    _moved_by,
    _roll_up,
    _with_factor_columns,
)

# Each slice keeps its largest moves; the page merges the slices it shows and takes the top.


@transaction.atomic
def portfolio_summaries_refresh(*, as_of: date) -> int:
    """Replace the portfolio summaries of ``as_of`` with ones built from that day's snapshots.

    Returns the number of rows written (0 when the day has no snapshots: its rows are removed).
    """
    _one_writer_per_date(as_of)
    week_before = as_of - timedelta(days=7)
    window_from = as_of - timedelta(days=SERVICE_WINDOW_DAYS)
    cells: dict[CellKey, Cell] = defaultdict(Cell)
    cell_of: dict[int, CellKey] = {}

    previous = {
        row["customer_id"]: _with_factor_columns(row)
        for row in RiskSnapshot.objects.filter(as_of=week_before)
        .values("customer_id", "tier", factors_text=_factors_text())
        .iterator(chunk_size=5000)
    }
    in_force = set(
        RiskOverride.objects.filter(starts_on__lte=as_of, expires_on__gt=as_of)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=as_of))
        .values_list("customer_id", flat=True)
    )
    snapshots = (
        RiskSnapshot.objects.filter(as_of=as_of)
        .annotate(
            region=F("customer__region"),
            industry=F("customer__industry"),
            owner_id=F("customer__owner_id"),
            name=F("customer__name"),
            factors_text=_factors_text(),
        )
        .values(
            "customer_id",
            "region",
            "industry",
            "owner_id",
            "name",
            "tier",
            "band",
            "score",
            "score_change_7d",
            "completeness",
            "revenue_12m",
            "factors_text",
        )
        .order_by()
    )
    for row in snapshots.iterator(chunk_size=5000):
        _with_factor_columns(row)
        customer_id = row["customer_id"]
        key = (row["tier"], row["region"], row["industry"], row["owner_id"])
        cell_of[customer_id] = key
        cell = cells[key]
        revenue = row["revenue_12m"] or Decimal(0)
        cell.customers += 1
        cell.bands[row["band"]] += 1
        cell.band_revenue[row["band"]] += revenue
        cell.completeness_sum += row["completeness"] or 0.0
        cell.overrides += customer_id in in_force
        for factor in FACTORS:
            risk = _float(row[f"risk_{factor}"])
            if risk is not None:
                totals = cell.factors[factor]
                totals[0] += float(revenue) * risk
                totals[1] += float(revenue)
                totals[2] += 1
        before = previous.get(customer_id)
        if before is not None and before["tier"] != row["tier"]:
            if row["tier"] == Tier.KEY:
                cell.tier_entries += 1
            else:
                cell.tier_exits += 1
        change = row["score_change_7d"]
        if change is not None and abs(change) >= MOVE_POINTS:
            if change > 0:
                cell.worsened += 1
            else:
                cell.improved += 1
            factor, points = _moved_by(row, before, change)
            mover = {
                "id": customer_id,
                "name": row["name"],
                "score": round(row["score"], 1) if row["score"] is not None else None,
                "band": row["band"],
                "change": round(change, 1),
                "factor": factor,
                "points": points,
                "revenue": float(revenue),
            }
            cell.keep_mover(change, customer_id, mover)

    _add_alerts(cells, cell_of, as_of=as_of, week_before=week_before)
    _add_service(cells, cell_of, as_of=as_of, window_from=window_from)
    _add_supply(cells, cell_of, as_of=as_of, window_from=window_from)
    _add_churn(cells, as_of=as_of)

    rows = list(_roll_up(cells, as_of=as_of))
    PortfolioSummary.objects.filter(as_of=as_of).delete()
    PortfolioSummary.objects.bulk_create(rows, batch_size=2000)
    _prune(as_of=as_of)
    return len(rows)


# PostgreSQL advisory lock class of the summary refresh ("KA" + 1); the date is the lock's id.
SUMMARY_LOCK_CLASS = 0x4B41 + 1


def _one_writer_per_date(as_of: date) -> None:
    """Make a second refresh of the same date (the nightly job and a rebuild at once) wait for the
    first to commit, so its delete sees the first one's rows instead of adding to them. Held
    until the transaction ends. SQLite lets one writer at a time in anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [SUMMARY_LOCK_CLASS, as_of.toordinal()])


def _prune(*, as_of: date) -> int:
    """Drop the finest-grain rows of the days the dashboard no longer reads (see KEEP_EVERY_DAY)."""
    outdated = PortfolioSummary.objects.filter(
        grain=SummaryGrain.CELL,
        as_of__gte=as_of - timedelta(days=PRUNE_WINDOW_DAYS),
        as_of__lt=as_of - timedelta(days=KEEP_EVERY_DAY),
    ).exclude(as_of__week_day=(TREND_WEEKDAY + 1) % 7 + 1)  # Django counts Sunday as 1
    return outdated.delete()[0]


def _add_alerts(cells, cell_of, *, as_of: date, week_before: date) -> None:
    raised = (
        Alert.objects.filter(as_of__gt=week_before, as_of__lte=as_of)
        .values("customer_id", "kind")
        .distinct()
        .order_by()
    )
    for row in raised.iterator(chunk_size=5000):
        key = cell_of.get(row["customer_id"])
        if key is not None:
            cells[key].alerts_raised[row["kind"]] += 1
    closed = (
        Alert.objects.filter(
            closed_at__gte=day_start(week_before + timedelta(days=1)), closed_at__lt=day_end_or_now(as_of)
        )
        .values_list("customer_id", flat=True)
        .distinct()
        .order_by()
    )
    for customer_id in closed.iterator(chunk_size=5000):
        key = cell_of.get(customer_id)
        if key is not None:
            cells[key].alerts_closed += 1


def _add_service(cells, cell_of, *, as_of: date, window_from: date) -> None:
    """SLA attainment over the tickets whose resolution fell due in the window, the tickets open
    and past a target at the end of the day, and complaints opened in the window by category."""
    end, start = day_end_or_now(as_of), day_start(window_from + timedelta(days=1))
    due = Q(resolution_due_at__gte=start, resolution_due_at__lt=end)
    open_then = Q(opened_at__lt=end) & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=end))
    late_then = Q(response_due_at__lt=end) & (Q(first_response_at__isnull=True) | Q(first_response_at__gte=end))
    breach = open_then & (late_then | Q(resolution_due_at__lt=end))
    complaint = Q(kind=Ticket.Kind.COMPLAINT, opened_at__gte=start, opened_at__lt=end)
    per_category = {
        f"complaints_{category}": Count("pk", filter=complaint & Q(category=category))
        for category in Ticket.Category.values
    }
    rows = (
        Ticket.objects.filter(due | breach | complaint)
        .values("customer_id")
        .annotate(
            sla_due=Count("pk", filter=due),
            sla_met=Count("pk", filter=due & Q(resolved_at__isnull=False, resolved_at__lte=F("resolution_due_at"))),
            breaches=Count("pk", filter=breach),
            **per_category,
        )
        .order_by()
    )
    for row in rows.iterator(chunk_size=5000):
        key = cell_of.get(row["customer_id"])
        if key is None:
            continue
        cell = cells[key]
        cell.sla_due += row["sla_due"]
        cell.sla_met += row["sla_met"]
        cell.open_breaches += row["breaches"]
        cell.breach_customers += row["breaches"] > 0
        for category in Ticket.Category.values:
            if row[f"complaints_{category}"]:
                cell.complaints[category] += row[f"complaints_{category}"]


def _add_supply(cells, cell_of, *, as_of: date, window_from: date) -> None:
    """On-time-in-full as the risk score counts it: lines promised in the window, on orders placed by the date."""
    rows = (
        DeliveryLine.objects.filter(order__ordered_on__lte=as_of, promised_on__lte=as_of, promised_on__gt=window_from)
        .values("order__customer_id")
        .annotate(lines=Count("pk"), hits=Count("pk", filter=OTIF_HIT))
        .order_by()
    )
    for row in rows.iterator(chunk_size=5000):
        key = cell_of.get(row["order__customer_id"])
        if key is not None:
            cells[key].otif_lines += row["lines"]
            cells[key].otif_hits += row["hits"]


def _add_churn(cells, *, as_of: date) -> None:
    """Customers lost in the year to the date, by reason, with their revenue of the 12 months
    before they churned (the revenue lost). Their cell is their last tier and current owner."""
    year_before = as_of - timedelta(days=CHURN_WINDOW_DAYS)
    churned = Customer.objects.filter(
        status=CustomerStatus.CHURNED, churned_on__gt=year_before, churned_on__lte=as_of
    ).values_list("pk", "tier", "region", "industry", "owner_id", "churned_on", "churn_reason")
    lost = defaultdict(Decimal)
    orders = (
        Order.objects.filter(
            customer__status=CustomerStatus.CHURNED,
            customer__churned_on__gt=year_before,
            customer__churned_on__lte=as_of,
            ordered_on__gt=year_before - timedelta(days=CHURN_WINDOW_DAYS),
            ordered_on__lte=F("customer__churned_on"),
        )
        .values_list("customer_id", "customer__churned_on", "ordered_on", "amount")
        .order_by()
    )
    for customer_id, churned_on, ordered_on, amount in orders.iterator(chunk_size=5000):
        if ordered_on > churned_on - timedelta(days=CHURN_WINDOW_DAYS):
            lost[customer_id] += amount
    for pk, tier, region, industry, owner_id, _churned_on, reason in churned:
        totals = cells[(tier, region, industry, owner_id)].churn[reason]
        totals[0] += 1
        totals[1] += lost[pk]
