"""Writes the portfolio summaries the executive dashboard reads, one date at a time: snapshots,
alerts, service, supply and churn gathered into cells and rolled up, one writer per date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import orjson
from django.db import connection, transaction
from django.db.models import Count, F, Q

from complaints.models import Ticket
from keyaccounts.bulk import copy_insert, copy_rows
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
from ..packing import unpack
from ..risk import plumbing
from ..risk.defaults import FACTORS

# The same thresholds and windows as the customer list's drill-down filters, so the list
# behind a number shows that many customers.
from ..workspace.common import chunked
from ..workspace.filters import CHURN_WINDOW_DAYS, MOVE_POINTS
from .cells import (
    BANDS,
    KEEP_EVERY_DAY,
    MOVERS_KEPT,
    OTIF_HIT,
    PRUNE_WINDOW_DAYS,
    SERVICE_WINDOW_DAYS,
    TREND_WEEKDAY,
    Cell,
    CellKey,
    _float,
    _moved_by,
    _roll_up,
    factor_columns,
)

# Each slice keeps its largest moves; the page merges the slices it shows and takes the top.


def portfolio_summaries_refresh(*, as_of: date) -> int:
    """Replace the portfolio summaries of ``as_of`` with ones built from that day's snapshots.

    Returns the number of rows written (0 when the day has no snapshots: its rows are removed).
    Every figure is summed per cell by the database (a few grouped queries over the day's
    snapshots joined to what is counted, run at once over several connections reading one
    snapshot of the database, ``plumbing.read_all``); only the cells, and the largest movers of
    each, come to Python, to be rolled up to the coarser grains and written in one transaction
    (on PostgreSQL with COPY, by another connection loading each batch of rows while the next is
    rolled up, ``plumbing.writing_behind``).
    """
    with _one_writer_per_date(as_of):
        week_before = as_of - timedelta(days=7)
        window_from = as_of - timedelta(days=SERVICE_WINDOW_DAYS)
        cells: dict[CellKey, Cell] = defaultdict(Cell)
        day = _Day(as_of)
        reads = [
            *_snapshot_reads(day, cells, as_of=as_of, week_before=week_before),
            *_factor_reads(day, cells),
            *_mover_reads(day, cells, week_before=week_before),
            *_alert_reads(day, cells, as_of=as_of, week_before=week_before),
            *_service_reads(day, cells, as_of=as_of, window_from=window_from),
            *_supply_reads(day, cells, as_of=as_of, window_from=window_from),
            *_churn_reads(cells, as_of=as_of),
        ]
        # Read longest first; the rows are added in the order above, so the cells come out the same.
        order = sorted(range(len(reads)), key=lambda index: -reads[index].cost)
        results = plumbing.read_all([reads[index].fetch for index in order])
        rows_of = dict(zip(order, results, strict=True))
        for index, read in enumerate(reads):
            read.add(rows_of[index])

        postgres = connection.vendor == "postgresql"

        def write(batches) -> None:
            with transaction.atomic():
                PortfolioSummary.objects.filter(as_of=as_of).delete()
                if postgres:
                    copy_insert(PortfolioSummary, batches)
                else:
                    rows = (PortfolioSummary(**row) for batch in batches for row in batch)
                    PortfolioSummary.objects.bulk_create(rows, batch_size=2000)
                _prune(as_of=as_of)

        # The rows are rolled up here while the server loads the ones before them (elsewhere, or
        # in a caller's transaction, they are written here once all are rolled up).
        written = 0
        with plumbing.writing_behind(write) as put:
            for batch in chunked(_roll_up(cells, as_of=as_of), 5000):
                put(copy_rows(PortfolioSummary, batch) if postgres else batch)
                written += len(batch)
    return written


@dataclass(frozen=True)
class _Read:
    """One read of the day's figures: ``fetch()`` returns its rows (on whichever connection runs
    it), ``add(rows)`` files them on the cells. ``cost`` ranks the reads, slowest first (seconds at
    100,000 customers, roughly)."""

    fetch: Callable[[], list]
    add: Callable[[list], None]
    cost: float = 0.0


def _fetch(sql: str, params: list) -> Callable[[], list]:
    def fetch() -> list:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    return fetch


class _Day:
    """The day's snapshots with their customer's cell, as a subquery other queries are grouped over.

    ``grouped(select, source, params)`` is ``SELECT <cell key>, <select> FROM (<source>) x JOIN
    (<the day's customers>) d ON d.customer_id = x.customer_id GROUP BY <cell key>`` with its
    parameters; ``split(rows)`` yields each of its rows as (cell key, rest of the row).
    """

    KEY = "d.tier, d.region, d.industry, d.owner_id"

    def __init__(self, as_of: date) -> None:
        snapshot, customer = RiskSnapshot._meta.db_table, Customer._meta.db_table
        self.sql = (
            f"SELECT s.customer_id, s.tier, c.region, c.industry, c.owner_id, c.name, s.band, s.score, "
            f"s.score_change_7d, s.completeness, s.revenue_12m, s.factors, s.factor_risks "
            f"FROM {snapshot} s JOIN {customer} c ON c.id = s.customer_id WHERE s.as_of = %s"
        )
        self.params = [as_of]

    def grouped(self, select: str, source: str | None = None, params=(), *, also_by: str = "") -> tuple[str, list]:
        if source is None:
            sql = f"SELECT {self.KEY}{also_by}, {select} FROM ({self.sql}) d GROUP BY {self.KEY}{also_by}"
            return sql, list(self.params)
        sql = (
            f"SELECT {self.KEY}{also_by}, {select} FROM ({source}) x "
            f"JOIN ({self.sql}) d ON d.customer_id = x.customer_id GROUP BY {self.KEY}{also_by}"
        )
        return sql, [*params, *self.params]

    @staticmethod
    def split(rows):
        for row in rows:
            yield tuple(row[:4]), row[4:]


def _orm_sql(queryset) -> tuple[str, list]:
    sql, params = queryset.query.sql_with_params()
    return sql, list(params)


def _snapshot_reads(day: _Day, cells, *, as_of: date, week_before: date) -> list[_Read]:
    """Customers, bands and their revenue, completeness, manual bands in force, moves over the
    week and moves between tiers, per cell."""
    in_force_sql, in_force_params = _orm_sql(
        RiskOverride.objects.filter(starts_on__lte=as_of, expires_on__gt=as_of)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=as_of))
        .values("customer_id")
        .distinct()
        .order_by()
    )
    previous_sql, previous_params = _orm_sql(
        RiskSnapshot.objects.filter(as_of=week_before).values("customer_id", "tier").order_by()
    )
    bands = ", ".join(f"COUNT(*) FILTER (WHERE d.band = '{band}')" for band in BANDS)
    revenue = ", ".join(f"COALESCE(SUM(d.revenue_12m) FILTER (WHERE d.band = '{band}'), 0)" for band in BANDS)
    sql = (
        f"SELECT {day.KEY}, COUNT(*), {bands}, {revenue}, SUM(COALESCE(d.completeness, 0)), "
        f"COUNT(o.customer_id), "
        f"COUNT(*) FILTER (WHERE d.score_change_7d >= %s), COUNT(*) FILTER (WHERE d.score_change_7d <= %s), "
        f"COUNT(*) FILTER (WHERE p.tier <> d.tier AND d.tier = %s), "
        f"COUNT(*) FILTER (WHERE p.tier <> d.tier AND d.tier <> %s) "
        f"FROM ({day.sql}) d "
        f"LEFT JOIN ({in_force_sql}) o ON o.customer_id = d.customer_id "
        f"LEFT JOIN ({previous_sql}) p ON p.customer_id = d.customer_id "
        f"GROUP BY {day.KEY}"
    )
    params = [MOVE_POINTS, -MOVE_POINTS, Tier.KEY, Tier.KEY, *day.params, *in_force_params, *previous_params]
    n = len(BANDS)

    def add(rows) -> None:
        for key, figures in day.split(rows):
            cell = cells[key]
            cell.customers = figures[0]
            for i, band in enumerate(BANDS):
                cell.bands[band] = figures[1 + i]
                cell.band_revenue[band] = _money(figures[1 + n + i])
            rest = figures[1 + 2 * n :]
            cell.completeness_sum = float(rest[0] or 0.0)
            cell.overrides, cell.worsened, cell.improved, cell.tier_entries, cell.tier_exits = rest[1:6]

    return [_Read(_fetch(sql, params), add, cost=1.3)]


def _factor_reads(day: _Day, cells) -> list[_Read]:
    """Per cell and factor: Σ revenue × factor risk, Σ revenue and the customers with data.

    Read from each snapshot's ``factor_risks`` (a short JSON array), summed by PostgreSQL; a
    snapshot without it (none is written so since ``accounts`` 0019) has its risks read from its
    packed ``factors`` here.
    """
    if connection.vendor != "postgresql":
        return [_factors_python_read(day, cells)]
    sums = []
    for n in range(len(FACTORS)):
        risk = f"(x.risks ->> {n})::float"
        sums.append(
            f"SUM(x.revenue * {risk}) FILTER (WHERE {risk} IS NOT NULL), "
            f"SUM(x.revenue) FILTER (WHERE {risk} IS NOT NULL), COUNT({risk})"
        )
    # The subquery is kept apart (OFFSET 0), so each snapshot's array is parsed once, not once
    # per factor.
    sql = (
        f"SELECT x.tier, x.region, x.industry, x.owner_id, {', '.join(sums)} FROM ("
        f"SELECT d.tier, d.region, d.industry, d.owner_id, d.revenue_12m::float AS revenue, "
        f"d.factor_risks::jsonb AS risks FROM ({day.sql}) d WHERE d.factor_risks IS NOT NULL OFFSET 0) x "
        f"GROUP BY x.tier, x.region, x.industry, x.owner_id"
    )

    def add(rows) -> None:
        for key, figures in day.split(rows):
            cell = cells[key]
            for n, factor in enumerate(FACTORS):
                weighted, revenue, count = figures[3 * n : 3 * n + 3]
                if count:
                    cell.factors[factor] = [weighted, revenue, count]

    return [_Read(_fetch(sql, day.params), add, cost=1.9), _factors_python_read(day, cells, only_without_risks=True)]


def _factors_python_read(day: _Day, cells, *, only_without_risks: bool = False) -> _Read:
    """The same sums, added up here (SQLite; on PostgreSQL the snapshots without ``factor_risks``)."""
    sql = f"SELECT {day.KEY}, d.revenue_12m, d.factor_risks, d.factors FROM ({day.sql}) d"
    if only_without_risks:
        sql += " WHERE d.factor_risks IS NULL"

    def add(rows) -> None:
        for key, (revenue, risks, factors) in day.split(rows):
            revenue = float(revenue or 0)
            risks = _json(risks)
            if risks is None:
                factors = unpack("factors", factors) or {}
                risks = [(factors.get(factor) or {}).get("risk") for factor in FACTORS]
            cell = cells[key]
            for factor, risk in zip(FACTORS, risks, strict=False):
                risk = _float(risk)
                if risk is not None:
                    totals = cell.factors[factor]
                    totals[0] += revenue * risk
                    totals[1] += revenue
                    totals[2] += 1

    return _Read(_fetch(sql, day.params), add, cost=0.0 if only_without_risks else 2.0)


def _json(value):
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _mover_reads(day: _Day, cells, *, week_before: date) -> list[_Read]:
    """The largest moves of each cell over the week, each with the factor that moved most: only
    the customers kept (MOVERS_KEPT each way) come from the database."""
    snapshot = RiskSnapshot._meta.db_table
    sql = (
        f"SELECT * FROM (SELECT {day.KEY}, d.customer_id, d.name, d.score, d.band, d.score_change_7d, "
        f"d.revenue_12m, d.factors, p.factors AS before_factors, ROW_NUMBER() OVER ("
        f"PARTITION BY {day.KEY}, d.score_change_7d > 0 ORDER BY ABS(d.score_change_7d) DESC, d.customer_id) AS n "
        f"FROM ({day.sql}) d LEFT JOIN {snapshot} p ON p.customer_id = d.customer_id AND p.as_of = %s "
        f"WHERE ABS(d.score_change_7d) >= %s) m WHERE n <= %s"
    )

    def add(rows) -> None:
        for key, figures in day.split(rows):
            customer_id, name, score, band, change, revenue, factors, before_factors = figures[:8]
            now = factor_columns(unpack("factors", factors))
            before = None if before_factors is None else factor_columns(unpack("factors", before_factors))
            factor, points = _moved_by(now, before, change)
            mover = {
                "id": customer_id,
                "name": name,
                "score": round(score, 1) if score is not None else None,
                "band": band,
                "change": round(change, 1),
                "factor": factor,
                "points": points,
                "revenue": float(revenue or 0),
            }
            cells[key].keep_mover(change, customer_id, mover)

    return [_Read(_fetch(sql, [*day.params, week_before, MOVE_POINTS, MOVERS_KEPT]), add, cost=0.1)]


def _money(value) -> Decimal:
    """A sum of amounts as a Decimal (SQLite sums its decimal columns as floats)."""
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(round(value, 2)))


# PostgreSQL advisory lock class of the summary refresh ("KA" + 1); the date is the lock's id.
SUMMARY_LOCK_CLASS = 0x4B41 + 1


@contextmanager
def _one_writer_per_date(as_of: date):
    """Make a second refresh of the same date (the nightly job and a rebuild at once) wait for the
    first to finish, so it reads after the first one's reads and its delete sees the first one's
    rows instead of adding to them. Inside a caller's transaction the lock is held until that
    transaction ends. SQLite lets one writer at a time in anyway."""
    if connection.vendor != "postgresql":
        yield
        return
    key = [SUMMARY_LOCK_CLASS, as_of.toordinal()]
    if connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", key)
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", key)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)


def _prune(*, as_of: date) -> int:
    """Drop the finest-grain rows of the days the dashboard no longer reads (see KEEP_EVERY_DAY)."""
    outdated = PortfolioSummary.objects.filter(
        grain=SummaryGrain.CELL,
        as_of__gte=as_of - timedelta(days=PRUNE_WINDOW_DAYS),
        as_of__lt=as_of - timedelta(days=KEEP_EVERY_DAY),
    ).exclude(as_of__week_day=(TREND_WEEKDAY + 1) % 7 + 1)  # Django counts Sunday as 1
    return outdated.delete()[0]


def _alert_reads(day: _Day, cells, *, as_of: date, week_before: date) -> list[_Read]:
    """Per cell: customers with an alert of each kind raised in the week, and customers with an
    alert dealt with in the week."""
    raised_sql, raised_params = _orm_sql(
        Alert.objects.filter(as_of__gt=week_before, as_of__lte=as_of)
        .values("customer_id", "kind")
        .distinct()
        .order_by()
    )

    def add_raised(rows) -> None:
        for key, (kind, customers) in sorted(day.split(rows), key=lambda row: row[1][0]):
            cells[key].alerts_raised[kind] += customers

    closed_sql, closed_params = _orm_sql(
        Alert.objects.filter(
            closed_at__gte=day_start(week_before + timedelta(days=1)), closed_at__lt=day_end_or_now(as_of)
        )
        .values("customer_id")
        .distinct()
        .order_by()
    )

    def add_closed(rows) -> None:
        for key, (customers,) in day.split(rows):
            cells[key].alerts_closed += customers

    return [
        _Read(_fetch(*day.grouped("COUNT(*)", raised_sql, raised_params, also_by=", x.kind")), add_raised),
        _Read(_fetch(*day.grouped("COUNT(*)", closed_sql, closed_params)), add_closed),
    ]


def _service_reads(day: _Day, cells, *, as_of: date, window_from: date) -> list[_Read]:
    """SLA attainment over the tickets whose resolution fell due in the window, the tickets open
    and past a target at the end of the day, and complaints opened in the window by category."""
    end, start = day_end_or_now(as_of), day_start(window_from + timedelta(days=1))
    due = Q(resolution_due_at__gte=start, resolution_due_at__lt=end)
    open_then = Q(opened_at__lt=end) & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=end))
    late_then = Q(response_due_at__lt=end) & (Q(first_response_at__isnull=True) | Q(first_response_at__gte=end))
    breach = open_then & (late_then | Q(resolution_due_at__lt=end))
    complaint = Q(kind=Ticket.Kind.COMPLAINT, opened_at__gte=start, opened_at__lt=end)
    categories = Ticket.Category.values
    per_category = {
        f"complaints_{n}": Count("pk", filter=complaint & Q(category=category)) for n, category in enumerate(categories)
    }
    per_customer_sql, params = _orm_sql(
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
    sums = ", ".join(f"SUM(x.complaints_{n})" for n in range(len(categories)))
    select = f"SUM(x.sla_due), SUM(x.sla_met), SUM(x.breaches), COUNT(*) FILTER (WHERE x.breaches > 0), {sums}"
    if connection.vendor != "postgresql":
        select = select.replace(
            "COUNT(*) FILTER (WHERE x.breaches > 0)", "SUM(CASE WHEN x.breaches > 0 THEN 1 ELSE 0 END)"
        )

    def add(rows) -> None:
        for key, figures in day.split(rows):
            cell = cells[key]
            # PostgreSQL sums counts as numeric.
            figures = [int(figure or 0) for figure in figures]
            cell.sla_due += figures[0]
            cell.sla_met += figures[1]
            cell.open_breaches += figures[2]
            cell.breach_customers += figures[3]
            for category, count in zip(categories, figures[4:], strict=True):
                if count:
                    cell.complaints[category] += count

    return [_Read(_fetch(*day.grouped(select, per_customer_sql, params)), add, cost=0.7)]


def _supply_reads(day: _Day, cells, *, as_of: date, window_from: date) -> list[_Read]:
    """On-time-in-full as the risk score counts it: lines promised in the window, on orders placed by the date."""
    per_customer_sql, params = _orm_sql(
        DeliveryLine.objects.filter(order__ordered_on__lte=as_of, promised_on__lte=as_of, promised_on__gt=window_from)
        .values(customer_id=F("order__customer_id"))
        .annotate(lines=Count("pk"), hits=Count("pk", filter=OTIF_HIT))
        .order_by()
    )

    def add(rows) -> None:
        for key, (lines, hits) in day.split(rows):
            cells[key].otif_lines += int(lines or 0)
            cells[key].otif_hits += int(hits or 0)

    return [_Read(_fetch(*day.grouped("SUM(x.lines), SUM(x.hits)", per_customer_sql, params)), add, cost=2.0)]


def _churn_reads(cells, *, as_of: date) -> list[_Read]:
    """Customers lost in the year to the date, by reason, with their revenue of the 12 months
    before they churned (the revenue lost). Their cell is their last tier and current owner."""
    year_before = as_of - timedelta(days=CHURN_WINDOW_DAYS)
    churned = Customer.objects.filter(
        status=CustomerStatus.CHURNED, churned_on__gt=year_before, churned_on__lte=as_of
    ).values_list("pk", "tier", "region", "industry", "owner_id", "churned_on", "churn_reason")
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

    def fetch() -> list:
        lost = defaultdict(Decimal)
        for customer_id, churned_on, ordered_on, amount in orders.iterator(chunk_size=5000):
            if ordered_on > churned_on - timedelta(days=CHURN_WINDOW_DAYS):
                lost[customer_id] += amount
        return [(*row, lost[row[0]]) for row in churned]

    def add(rows) -> None:
        for _pk, tier, region, industry, owner_id, _churned_on, reason, revenue_lost in rows:
            totals = cells[(tier, region, industry, owner_id)].churn[reason]
            totals[0] += 1
            totals[1] += revenue_lost

    return [_Read(fetch, add, cost=0.5)]
