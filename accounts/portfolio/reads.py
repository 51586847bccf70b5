"""Reads for the executive risk dashboard: every figure comes from the portfolio summaries of one
date (at the grain the filters need) and the Pareto snapshots, a fixed number of queries
whatever the data size.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import FloatField, Max, Sum, TextField, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import formats
from django.utils.translation import gettext

from ..models import (
    Customer,
    Industry,
    ParetoSnapshot,
    PortfolioSummary,
    Region,
    SummaryGrain,
    Tier,
)
from ..people import person_name
from ..risk.defaults import FACTORS
from ..services.account_data import recovered_count
from .cells import trend_dates
from .dashboard import (
    AMOUNTS,
    BANDS,
    BREAKDOWN_FIGURES,
    BREAKDOWN_ROWS,
    DIMENSIONS,
    ROW_FIELDS,
    TREND_WEEKS,
    Breakdown,
    Dashboard,
    DashboardFilterForm,
    Totals,
    _sum_by_tier,
    grain_for,
)


def _owner_choices(as_of: date) -> list[tuple[str, str]]:
    rows = (
        PortfolioSummary.objects.filter(as_of=as_of, grain=SummaryGrain.OWNER, owner__isnull=False)
        .values_list("owner_id", "owner__username", "owner__first_name", "owner__last_name")
        .distinct()
        .order_by()
    )
    pairs = {}
    for pk, username, first, last in rows:
        pairs[str(pk)] = person_name(first, last) or username
    return sorted(pairs.items(), key=lambda pair: pair[1].lower())


def _summary_rows(*, dates: list[date], filters: dict, group_by: str | None = None):
    dims = {name for name in DIMENSIONS if filters.get(name)}
    if group_by:
        dims.add(group_by)
    queryset = PortfolioSummary.objects.filter(as_of__in=dates, grain=grain_for(dims))
    for name in DIMENSIONS:
        if filters.get(name):
            queryset = queryset.filter(**{"owner_id" if name == "owner" else name: filters[name]})
    if filters.get("tier"):
        queryset = queryset.filter(tier=filters["tier"])
    return queryset.order_by()


def portfolio_dashboard(*, params: Mapping) -> Dashboard:
    """The whole dashboard for the latest summarised date, filtered by region, industry,
    account manager and tier."""
    as_of = PortfolioSummary.objects.aggregate(day=Max("as_of"))["day"]
    owners = _owner_choices(as_of) if as_of else []
    form = DashboardFilterForm(params or None, owners=owners)
    filters, notices = {}, []
    if form.is_bound:
        form.is_valid()
        for name in form.fields:
            if name in form.errors:
                notices.append(
                    gettext("Ignored the unknown value “%(value)s” for %(field)s.")
                    % {"value": str(params.get(name, ""))[:40], "field": form.fields[name].label}
                )
            elif form.cleaned_data.get(name):
                filters[name] = form.cleaned_data[name]
    dashboard = Dashboard(as_of=as_of, form=form, filters=filters, notices=notices, owner_names=dict(owners))
    if as_of is None:
        return dashboard

    week_before = as_of - timedelta(days=7)
    # The at-a-glance columns show both tiers whatever the tier filter; the other sections follow it.
    whole_tiers = {**filters, "tier": None}
    # The day's rows and the week before's (for the comparison) in one query.
    today_rows, previous = [], []
    for row in _summary_rows(dates=[as_of, week_before], filters=whole_tiers).values(*ROW_FIELDS):
        (today_rows if row["as_of"] == as_of else previous).append(row)
    dashboard.key, dashboard.regular, dashboard.base = _sum_by_tier(today_rows)
    tier = filters.get("tier")
    dashboard.selected = {Tier.KEY: dashboard.key, Tier.REGULAR: dashboard.regular}.get(tier, dashboard.base)
    if previous:
        key_before, _regular_before, base_before = _sum_by_tier(previous)
        dashboard.last_week = {"key": key_before, "base": base_before}

    dashboard.recovered = _recovered(as_of=as_of, filters=filters)
    dashboard.trend = _trend(as_of=as_of, filters=filters)
    dashboard.pareto = _pareto(as_of=as_of, trend=dashboard.trend)
    dashboard.breakdowns = _breakdowns(dashboard)
    return dashboard


def _recovered(*, as_of: date, filters: dict) -> int:
    """Customers won back in the 12 months to the date, within the filters: one query."""
    customers = Customer.objects.all()
    for name in ("region", "industry", "tier"):
        if filters.get(name):
            customers = customers.filter(**{name: filters[name]})
    if filters.get("owner"):
        customers = customers.filter(owner_id=filters["owner"])
    return recovered_count(start=as_of - timedelta(days=365), end=as_of, customers=customers)


def _trend(*, as_of: date, filters: dict) -> list[dict]:
    """Per week: band counts of the tier in the filter (key accounts when none is chosen),
    revenue at risk of key accounts and of the whole base, tier entries and exits."""
    dates = trend_dates(as_of, weeks=TREND_WEEKS)
    per_tier = (
        _summary_rows(dates=dates, filters={**filters, "tier": None})
        .values("as_of", "tier")
        .annotate(
            **{band: Sum(band) for band in BANDS},
            amber_rev=Sum("amber_revenue"),
            red_rev=Sum("red_revenue"),
            entries=Sum("tier_entries"),
            exits=Sum("tier_exits"),
        )
    )
    charted_tier = filters.get("tier") or Tier.KEY
    points: dict[date, dict] = {}
    for row in per_tier:
        point = points.setdefault(
            row["as_of"],
            {
                "as_of": row["as_of"],
                "label": formats.date_format(row["as_of"], "MONTH_DAY_FORMAT"),
                **{band: 0 for band in BANDS},
                "risk_key": Decimal(0),
                "risk_base": Decimal(0),
                "tier_entries": 0,
                "tier_exits": 0,
                "key_share": None,
            },
        )
        at_risk = (row["amber_rev"] or Decimal(0)) + (row["red_rev"] or Decimal(0))
        point["risk_base"] += at_risk
        if row["tier"] == Tier.KEY:
            point["risk_key"] += at_risk
            point["tier_entries"] += row["entries"] or 0
        else:
            point["tier_exits"] += row["exits"] or 0
        if row["tier"] == charted_tier:
            for band in BANDS:
                point[band] += row[band] or 0
    return [points[day] for day in sorted(points)]


def _pareto(*, as_of: date, trend: list[dict]) -> dict | None:
    """The latest Pareto curve and the key tier's revenue share on each trend date (whole base)."""
    by_date = {point["as_of"]: point for point in trend}
    latest = None
    for snapshot in ParetoSnapshot.objects.filter(as_of__in=[*by_date, as_of]).order_by("as_of"):
        if snapshot.as_of in by_date:
            by_date[snapshot.as_of]["key_share"] = snapshot.key_revenue_share
        if snapshot.as_of == as_of:
            latest = snapshot
    if latest is None:
        return None
    return {
        "curve": latest.curve,
        "key_share": latest.key_revenue_share,
        "key_share_pct": latest.key_revenue_share * 100,
        "customers": latest.customers,
        "key_customers": latest.key_customers,
        "cutoff_revenue": latest.cutoff_revenue,
        "total_revenue": latest.total_revenue,
    }


def _breakdowns(dashboard: Dashboard) -> dict[str, list[Breakdown]]:
    """Per region, industry and account manager: revenue at risk and the revenue-weighted risk of
    each factor, the weakest first by revenue at risk; at most BREAKDOWN_ROWS lines each. One
    query: the three groupings (each at its own grain) as one UNION ALL, the value as text."""
    # Summed in SQL, factor sums included (read out of the JSON column): a filtered page may
    # cover thousands of cells, and adding them up row by row in Python would cost more.
    sums = {name: Sum(name) for name in BREAKDOWN_FIGURES}
    for factor in FACTORS:
        for index in range(3):
            sums[f"factor_{factor}_{index}"] = Sum(Cast(KT(f"factors__{factor}__{index}"), FloatField()))
    first, *others = [
        _summary_rows(dates=[dashboard.as_of], filters=dashboard.filters, group_by=dimension)
        .annotate(
            dimension=Value(dimension), value=Cast("owner_id" if dimension == "owner" else dimension, TextField())
        )
        .values("dimension", "value")
        .annotate(**sums)
        for dimension in DIMENSIONS
    ]
    grouped: dict[str, dict[str, Totals]] = {dimension: {} for dimension in DIMENSIONS}
    for row in first.union(*others, all=True):
        totals = Totals()
        for name in BREAKDOWN_FIGURES:
            target = totals.amounts if name in AMOUNTS else totals.counts
            target[name] += row[name] or 0
        for factor in FACTORS:
            parts = [row[f"factor_{factor}_{index}"] or 0 for index in range(3)]
            if parts[2]:
                totals.factors[factor] = parts
        grouped[row["dimension"]][row["value"] or ""] = totals
    return {dimension: _breakdown(dashboard, dimension, grouped[dimension]) for dimension in DIMENSIONS}


def _breakdown(dashboard: Dashboard, dimension: str, groups: dict[str, Totals]) -> list[Breakdown]:
    """The lines of one breakdown from its groups' totals, the weakest first."""
    if dimension == "region":
        labels = dict(Region.choices)
    elif dimension == "industry":
        labels = dict(Industry.choices)
    else:
        labels = dashboard.owner_names
    shown = sorted(
        ((value, str(labels.get(value, value or "—")), totals) for value, totals in groups.items() if totals.customers),
        key=lambda line: (-line[2].revenue_at_risk, line[1]),
    )[:BREAKDOWN_ROWS]
    return [
        Breakdown(
            dimension=dimension,
            value=value,
            label=label,
            totals=totals,
            # The customers behind the revenue at risk of this line.
            link=dashboard.link(**{dimension: value, "band": "at_risk"}),
        )
        for value, label, totals in shown
    ]
