"""Writes the portfolio summaries the executive dashboard reads, one date at a time.

The refresh reads the day's risk snapshots and a handful of set-based aggregates (GROUP BY per
customer over tickets, delivery lines, alerts and the churned customers' last year of orders),
folds them into cells (tier × region × industry × account manager) in one pass, rolls the cells
up to the coarser grains, and replaces the date's rows in one transaction. Running it twice for
a date gives the same rows.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from decimal import Decimal

import orjson
from django.db import connection, transaction
from django.db.models import Count, F, Q, TextField
from django.db.models.functions import Cast

from complaints.models import Ticket
from keyaccounts.clock import day_end_or_now, day_start

from .models import (
    Alert,
    Customer,
    CustomerStatus,
    DeliveryLine,
    Order,
    PortfolioSummary,
    RiskBand,
    RiskOverride,
    RiskSnapshot,
    SummaryGrain,
    Tier,
)
from .risk.defaults import FACTORS
from .selectors import OTIF_WINDOW_DAYS

# The same thresholds and windows as the customer list's drill-down filters, so the list
# behind a number shows that many customers.
from .workspace import CHURN_WINDOW_DAYS, MOVE_POINTS

# Each slice keeps its largest moves; the page merges the slices it shows and takes the top.
MOVERS_KEPT = 10
SERVICE_WINDOW_DAYS = OTIF_WINDOW_DAYS
BANDS = (RiskBand.GREEN, RiskBand.AMBER, RiskBand.RED, RiskBand.GREY)
# The risk signal's definition (accounts/risk/signals.py): delivered, no later than promised, in full.
OTIF_HIT = Q(
    delivered_on__isnull=False, delivered_on__lte=F("promised_on"), quantity_delivered__gte=F("quantity_ordered")
)

CellKey = tuple[str, str, str, int | None]  # tier, region, industry, owner id

# Retention: the finest grain (tier × region × industry × manager) has a row for most cells of
# the portfolio, so it is kept for every day of the last week and a bit (the week-on-week
# comparison) and for Mondays only before that (the weekly trend). The coarser grains are a few
# hundred rows a day and are kept for every day.
KEEP_EVERY_DAY = 8
TREND_WEEKDAY = 0  # Monday, the digest's day
PRUNE_WINDOW_DAYS = 40


def trend_dates(as_of: date, *, weeks: int) -> list[date]:
    """The dates of a weekly trend ending on ``as_of``: the Mondays before it, and the date itself."""
    anchor = as_of - timedelta(days=(as_of.weekday() - TREND_WEEKDAY) % 7)
    if anchor == as_of:
        return [as_of - timedelta(days=7 * week) for week in range(weeks - 1, -1, -1)]
    return [anchor - timedelta(days=7 * week) for week in range(weeks - 2, -1, -1)] + [as_of]


@dataclass
class Cell:
    """The running totals of one slice of the portfolio."""

    customers: int = 0
    bands: dict = field(default_factory=lambda: {band: 0 for band in BANDS})
    band_revenue: dict = field(default_factory=lambda: {band: Decimal(0) for band in BANDS})
    completeness_sum: float = 0.0
    overrides: int = 0
    worsened: int = 0
    improved: int = 0
    tier_entries: int = 0
    tier_exits: int = 0
    alerts_closed: int = 0
    alerts_raised: dict = field(default_factory=lambda: defaultdict(int))
    worst: list = field(default_factory=list)  # heaps of (change, customer id, mover)
    best: list = field(default_factory=list)
    factors: dict = field(default_factory=lambda: defaultdict(lambda: [0.0, 0.0, 0]))
    churn: dict = field(default_factory=lambda: defaultdict(lambda: [0, Decimal(0)]))
    sla_due: int = 0
    sla_met: int = 0
    open_breaches: int = 0
    breach_customers: int = 0
    complaints: dict = field(default_factory=lambda: defaultdict(int))
    otif_lines: int = 0
    otif_hits: int = 0

    def keep_mover(self, change: float, customer_id: int, mover: dict) -> None:
        if change >= MOVE_POINTS:
            _push(self.worst, (change, -customer_id), mover)
        elif change <= -MOVE_POINTS:
            _push(self.best, (-change, -customer_id), mover)

    def add(self, other: Cell) -> None:
        for name in SCALAR_TOTALS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for band in BANDS:
            self.bands[band] += other.bands[band]
            self.band_revenue[band] += other.band_revenue[band]
        for kind, count in other.alerts_raised.items():
            self.alerts_raised[kind] += count
        for category, count in other.complaints.items():
            self.complaints[category] += count
        for factor, (weighted, revenue, count) in other.factors.items():
            mine = self.factors[factor]
            mine[0], mine[1], mine[2] = mine[0] + weighted, mine[1] + revenue, mine[2] + count
        for reason, (count, revenue) in other.churn.items():
            mine = self.churn[reason]
            mine[0], mine[1] = mine[0] + count, mine[1] + revenue
        for item in other.worst:
            _push(self.worst, item[0], item[1])
        for item in other.best:
            _push(self.best, item[0], item[1])

    def row(self, *, as_of: date, grain: str, key: CellKey) -> PortfolioSummary:
        tier, region, industry, owner_id = key
        return PortfolioSummary(
            as_of=as_of,
            grain=grain,
            tier=tier,
            region=region,
            industry=industry,
            owner_id=owner_id,
            customers=self.customers,
            green=self.bands[RiskBand.GREEN],
            amber=self.bands[RiskBand.AMBER],
            red=self.bands[RiskBand.RED],
            grey=self.bands[RiskBand.GREY],
            revenue=sum(self.band_revenue.values(), Decimal(0)),
            green_revenue=self.band_revenue[RiskBand.GREEN],
            amber_revenue=self.band_revenue[RiskBand.AMBER],
            red_revenue=self.band_revenue[RiskBand.RED],
            grey_revenue=self.band_revenue[RiskBand.GREY],
            completeness_sum=self.completeness_sum,
            overrides=self.overrides,
            worsened=self.worsened,
            improved=self.improved,
            tier_entries=self.tier_entries,
            tier_exits=self.tier_exits,
            alerts_closed=self.alerts_closed,
            alerts_raised=dict(self.alerts_raised),
            movers={"worsened": _largest(self.worst), "improved": _largest(self.best)},
            factors={factor: [round(w, 4), round(r, 2), n] for factor, (w, r, n) in self.factors.items()},
            churn={reason: [count, str(revenue)] for reason, (count, revenue) in self.churn.items()},
            sla_due=self.sla_due,
            sla_met=self.sla_met,
            open_breaches=self.open_breaches,
            breach_customers=self.breach_customers,
            complaints=dict(self.complaints),
            otif_lines=self.otif_lines,
            otif_hits=self.otif_hits,
        )


# The plain running totals of a cell (its int and float fields), which add up field by field; derived
# from the class so a new total cannot be forgotten when cells are merged.
SCALAR_TOTALS = tuple(f.name for f in fields(Cell) if isinstance(f.default, int | float))


def _push(heap: list, rank: tuple, mover: dict) -> None:
    # A min-heap of the largest moves: the smallest kept move is dropped first.
    item = (rank, mover)
    if len(heap) < MOVERS_KEPT:
        heapq.heappush(heap, item)
    elif rank > heap[0][0]:
        heapq.heapreplace(heap, item)


def _largest(heap: list) -> list[dict]:
    return [mover for _rank, mover in sorted(heap, key=lambda item: item[0], reverse=True)]


def _float(value) -> float | None:
    if value in (None, "", "null"):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _factors_text() -> Cast:
    """A snapshot's factors as JSON text, decoded here (much cheaper than one lookup per value)."""
    return Cast("factors", TextField())


def _with_factor_columns(row: dict) -> dict:
    """Replace the row's ``factors_text`` by ``risk_<factor>`` and ``weight_<factor>`` values."""
    factors = orjson.loads(row.pop("factors_text") or "{}")
    for factor in FACTORS:
        entry = factors.get(factor) or {}
        row[f"risk_{factor}"] = entry.get("risk")
        row[f"weight_{factor}"] = entry.get("weight")
    return row


def _points(row: dict, factor: str) -> float | None:
    """A factor's share of the score in points: its weight × risk over the weights with data."""
    risk = _float(row.get(f"risk_{factor}"))
    if risk is None:
        return None
    total = sum(_float(row.get(f"weight_{f}")) or 0 for f in FACTORS if _float(row.get(f"risk_{f}")) is not None)
    weight = _float(row.get(f"weight_{factor}")) or 0
    return weight * risk / total if total else None


def _moved_by(now: dict, before: dict | None, change: float) -> tuple[str, float | None]:
    """The factor whose points moved most in the direction of the score's move."""
    if before is None:
        return "", None
    best, best_delta = "", 0.0
    for factor in FACTORS:
        a, b = _points(now, factor), _points(before, factor)
        if a is None or b is None:
            continue
        delta = a - b
        if (change > 0 and delta > best_delta) or (change < 0 and delta < best_delta):
            best, best_delta = factor, delta
    return best, (round(best_delta, 1) if best else None)


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


GRAIN_KEYS = {
    SummaryGrain.ALL: lambda key: (key[0], "", "", None),
    SummaryGrain.REGION: lambda key: (key[0], key[1], "", None),
    SummaryGrain.INDUSTRY: lambda key: (key[0], "", key[2], None),
    SummaryGrain.OWNER: lambda key: (key[0], "", "", key[3]),
}


def _roll_up(cells: dict[CellKey, Cell], *, as_of: date) -> Iterable[PortfolioSummary]:
    """The cells as they are, and summed up to each coarser grain. Both tiers always have an
    ``all`` row, so an empty tier reads as zeros rather than as a missing date."""
    # Written in region, industry, manager order so that a date's cells of one region (or one
    # region and industry) sit on neighbouring pages: a filtered page reads a few of them, not
    # every page of the date.
    for key in sorted(cells, key=lambda key: (key[1], key[2], key[3] or 0, key[0])):
        yield cells[key].row(as_of=as_of, grain=SummaryGrain.CELL, key=key)
    if not cells:
        return
    for grain, coarser in GRAIN_KEYS.items():
        rolled: dict[CellKey, Cell] = defaultdict(Cell)
        if grain == SummaryGrain.ALL:
            for tier in Tier.values:
                rolled[(tier, "", "", None)]
        for key, cell in cells.items():
            rolled[coarser(key)].add(cell)
        for key, cell in rolled.items():
            yield cell.row(as_of=as_of, grain=grain, key=key)
