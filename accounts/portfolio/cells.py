"""The cells the nightly summaries are built from: one per tier, region, industry and manager, with
their running totals, largest movers and roll-up to each grain the dashboard reads.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import F, Q

from ..models import (
    RiskBand,
    SummaryGrain,
    Tier,
)
from ..risk.defaults import FACTORS
from ..risk.storage import KEPT_WEEKDAY
from ..workspace.customer import OTIF_WINDOW_DAYS

# The same thresholds and windows as the customer list's drill-down filters, so the list
# behind a number shows that many customers.
from ..workspace.filters import MOVE_POINTS

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
# Monday, the digest's day: also the day whose risk snapshots are kept once they are old
# (accounts.risk.storage), so a trend reads the same days from both.
TREND_WEEKDAY = KEPT_WEEKDAY
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
        # A roll-up adds every cell to four coarser ones (100,000 adds for a large book): the
        # totals are read and written through the instances' dicts, and empty parts are skipped.
        mine, theirs = self.__dict__, other.__dict__
        for name in SCALAR_TOTALS:
            mine[name] += theirs[name]
        bands, band_revenue = self.bands, self.band_revenue
        for band, count in other.bands.items():
            bands[band] += count
        for band, revenue in other.band_revenue.items():
            band_revenue[band] += revenue
        if other.alerts_raised:
            alerts_raised = self.alerts_raised
            for kind, count in other.alerts_raised.items():
                alerts_raised[kind] += count
        if other.complaints:
            complaints = self.complaints
            for category, count in other.complaints.items():
                complaints[category] += count
        factors = self.factors
        for factor, (weighted, revenue, count) in other.factors.items():
            totals = factors[factor]
            totals[0] += weighted
            totals[1] += revenue
            totals[2] += count
        if other.churn:
            for reason, (count, revenue) in other.churn.items():
                totals = self.churn[reason]
                totals[0] += count
                totals[1] += revenue
        for item in other.worst:
            _push(self.worst, item[0], item[1])
        for item in other.best:
            _push(self.best, item[0], item[1])

    def row(self, *, as_of: date, grain: str, key: CellKey) -> dict:
        """The cell as a summary row: ``PortfolioSummary`` field values by attribute name (cheaper
        than a model instance for the COPY text of tens of thousands of rows)."""
        tier, region, industry, owner_id = key
        return dict(
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


def factor_columns(factors: dict | None) -> dict:
    """A snapshot's factors as ``risk_<factor>`` and ``weight_<factor>`` values."""
    row = {}
    for factor in FACTORS:
        entry = (factors or {}).get(factor) or {}
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


GRAIN_KEYS = {
    SummaryGrain.ALL: lambda key: (key[0], "", "", None),
    SummaryGrain.REGION: lambda key: (key[0], key[1], "", None),
    SummaryGrain.INDUSTRY: lambda key: (key[0], "", key[2], None),
    SummaryGrain.OWNER: lambda key: (key[0], "", "", key[3]),
}


def _roll_up(cells: dict[CellKey, Cell], *, as_of: date) -> Iterable[dict]:
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
