"""Reads for the executive risk dashboard: every figure comes from the portfolio summaries of
one date (``accounts.portfolio`` writes them nightly) and the Pareto snapshots.

A page reads a fixed handful of queries whatever the size of the portfolio: the latest summary
date, the account managers offered as a filter, the summary rows of the date and the week
before at the grain the filters need, the weekly trend (summed in SQL), the Pareto snapshots,
and one query per breakdown (region, industry, account manager).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.db.models import FloatField, Max, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints.models import Ticket

from .models import (
    AlertKind,
    ChurnReason,
    Industry,
    ParetoSnapshot,
    PortfolioSummary,
    Region,
    RiskBand,
    SummaryGrain,
    Tier,
)
from .people import person_name
from .portfolio import trend_dates
from .risk.defaults import FACTORS
from .risk.reasons import FACTOR_LABELS

TREND_WEEKS = 26
MOVERS_SHOWN = 10
BREAKDOWN_ROWS = 10
BANDS = (RiskBand.GREEN, RiskBand.AMBER, RiskBand.RED, RiskBand.GREY)
DIMENSIONS = ("region", "industry", "owner")
COUNTED = (
    "customers",
    "green",
    "amber",
    "red",
    "grey",
    "overrides",
    "worsened",
    "improved",
    "tier_entries",
    "tier_exits",
    "alerts_closed",
    "sla_due",
    "sla_met",
    "open_breaches",
    "breach_customers",
    "otif_lines",
    "otif_hits",
)
AMOUNTS = ("revenue", "green_revenue", "amber_revenue", "red_revenue", "grey_revenue")
# Countermeasures each factor stands for (RISK.md), shown beside the factor's name.
FACTOR_COUNTERMEASURES = {
    "purchase_trend": "",
    "relationship": "1, 2, 7",
    "criteria": "3",
    "quality": "4, 5",
    "supply": "6",
    "price": "10",
    "strategy": "8, 9",
}


class DashboardFilterForm(forms.Form):
    """The dashboard's filters. An unknown value is reported and otherwise ignored."""

    region = forms.ChoiceField(label=_("Region"), required=False)
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    owner = forms.ChoiceField(label=_("Account manager"), required=False)
    tier = forms.ChoiceField(label=_("Tier"), required=False)

    def __init__(self, *args, owners: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", _("All regions")), *Region.choices]
        self.fields["industry"].choices = [("", _("All industries")), *Industry.choices]
        self.fields["owner"].choices = [("", _("All account managers")), *owners]
        self.fields["tier"].choices = [("", _("All tiers")), *Tier.choices]
        for bound in self.fields.values():
            bound.widget.attrs["class"] = "form-select form-select-sm"


@dataclass
class Totals:
    """The summed figures of some summary rows."""

    counts: dict = field(default_factory=lambda: defaultdict(int))
    amounts: dict = field(default_factory=lambda: defaultdict(Decimal))
    completeness_sum: float = 0.0
    alerts_raised: dict = field(default_factory=lambda: defaultdict(int))
    complaints: dict = field(default_factory=lambda: defaultdict(int))
    factors: dict = field(default_factory=lambda: defaultdict(lambda: [0.0, 0.0, 0]))
    churn: dict = field(default_factory=lambda: defaultdict(lambda: [0, Decimal(0)]))
    worsened_movers: list = field(default_factory=list)
    improved_movers: list = field(default_factory=list)

    def add(self, row: dict) -> None:
        for name in COUNTED:
            self.counts[name] += row[name]
        for name in AMOUNTS:
            self.amounts[name] += row[name]
        self.completeness_sum += row["completeness_sum"]
        for kind, count in (row.get("alerts_raised") or {}).items():
            self.alerts_raised[kind] += count
        for category, count in (row.get("complaints") or {}).items():
            self.complaints[category] += count
        for factor, (weighted, revenue, count) in (row.get("factors") or {}).items():
            mine = self.factors[factor]
            mine[0], mine[1], mine[2] = mine[0] + weighted, mine[1] + revenue, mine[2] + count
        for reason, (count, revenue) in (row.get("churn") or {}).items():
            mine = self.churn[reason]
            mine[0], mine[1] = mine[0] + count, mine[1] + Decimal(revenue)
        movers = row.get("movers") or {}
        self.worsened_movers += movers.get("worsened", [])
        self.improved_movers += movers.get("improved", [])

    def merge(self, other: Totals) -> None:
        """Add another set of totals to these."""
        for name, value in other.counts.items():
            self.counts[name] += value
        for name, value in other.amounts.items():
            self.amounts[name] += value
        self.completeness_sum += other.completeness_sum
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
        self.worsened_movers += other.worsened_movers
        self.improved_movers += other.improved_movers

    def __getattr__(self, name):
        if name in COUNTED:
            return self.counts[name]
        if name in AMOUNTS:
            return self.amounts[name]
        raise AttributeError(name)

    @property
    def at_risk(self) -> int:
        return self.counts["amber"] + self.counts["red"]

    @property
    def revenue_at_risk(self) -> Decimal:
        return self.amounts["amber_revenue"] + self.amounts["red_revenue"]

    @property
    def revenue_at_risk_share(self) -> float | None:
        return _share(self.revenue_at_risk, self.amounts["revenue"])

    @property
    def revenue_at_risk_pct(self) -> float | None:
        return _pct(self.revenue_at_risk_share)

    @property
    def completeness_pct(self) -> float | None:
        return _pct(self.completeness)

    @property
    def sla_pct(self) -> float | None:
        return _pct(self.sla_attainment)

    @property
    def otif_pct(self) -> float | None:
        return _pct(self.otif)

    @property
    def completeness(self) -> float | None:
        return _share(self.completeness_sum, self.counts["customers"])

    @property
    def sla_attainment(self) -> float | None:
        return _share(self.counts["sla_met"], self.counts["sla_due"])

    @property
    def otif(self) -> float | None:
        return _share(self.counts["otif_hits"], self.counts["otif_lines"])

    @property
    def complaints_total(self) -> int:
        return sum(self.complaints.values())

    def factor_risk(self, factor: str) -> float | None:
        """Mean factor risk weighted by trailing 12-month revenue; none when nobody with data has revenue."""
        weighted, revenue, count = self.factors.get(factor, (0.0, 0.0, 0))
        if not count:
            return None
        return weighted / revenue if revenue else None

    @property
    def weakest_factor(self) -> str:
        risks = [(risk, factor) for factor in FACTORS if (risk := self.factor_risk(factor)) is not None]
        return max(risks)[1] if risks else ""

    def top_movers(self, direction: str) -> list[dict]:
        movers = self.worsened_movers if direction == "worsened" else self.improved_movers
        ordered = sorted(movers, key=lambda m: (-abs(m["change"]), m["id"]))
        return ordered[:MOVERS_SHOWN]


def _pct(share: float | None) -> float | None:
    return None if share is None else share * 100


def _share(part, whole) -> float | None:
    return float(part) / float(whole) if whole else None


def _sum_by_tier(rows: Iterable[dict]) -> tuple[Totals, Totals, Totals]:
    """Key accounts, the rest, and both together, adding each row once."""
    key, regular = Totals(), Totals()
    for row in rows:
        (key if row["tier"] == Tier.KEY else regular).add(row)
    both = Totals()
    both.merge(key)
    both.merge(regular)
    return key, regular, both


def grain_for(dimensions: set[str]) -> str:
    """The coarsest grain that carries every dimension asked for."""
    if not dimensions:
        return SummaryGrain.ALL
    if len(dimensions) == 1:
        return {"region": SummaryGrain.REGION, "industry": SummaryGrain.INDUSTRY, "owner": SummaryGrain.OWNER}[
            next(iter(dimensions))
        ]
    return SummaryGrain.CELL


# Breakdowns and last week's comparison need only the figures, not the lists of movers, churn,
# alerts and complaints (parsing those JSON columns is most of a wide row's cost).
FIGURE_FIELDS = ("as_of", "tier", "region", "industry", "owner_id", *COUNTED, *AMOUNTS, "completeness_sum")
BREAKDOWN_FIGURES = ("customers", "amber", "red", "revenue", "amber_revenue", "red_revenue")
ROW_FIELDS = (*FIGURE_FIELDS, "alerts_raised", "complaints", "factors", "churn", "movers")


@dataclass
class Breakdown:
    """One line of a breakdown table: a region, industry or account manager and its figures."""

    dimension: str
    value: str
    label: str
    totals: Totals
    link: str

    @property
    def factor_cells(self) -> list[dict]:
        """One cell per factor for the heat map: its risk, a shade, and whether it is the weakest."""
        weakest = self.totals.weakest_factor
        cells = []
        for factor in FACTORS:
            risk = self.totals.factor_risk(factor)
            cells.append({"factor": factor, "risk": risk, "shade": heat_shade(risk), "weakest": factor == weakest})
        return cells


def heat_shade(risk: float | None) -> str:
    """The heat-map class of a factor risk, on the bands' own thresholds (green < 40 ≤ amber < 65)."""
    if risk is None:
        return "heat-none"
    if risk >= 65:
        return "heat-red"
    if risk >= 40:
        return "heat-amber"
    return "heat-green"


@dataclass
class Dashboard:
    as_of: date | None
    form: DashboardFilterForm
    filters: dict
    notices: list[str]
    key: Totals = field(default_factory=Totals)
    regular: Totals = field(default_factory=Totals)
    base: Totals = field(default_factory=Totals)
    selected: Totals = field(default_factory=Totals)
    last_week: dict = field(default_factory=dict)
    trend: list[dict] = field(default_factory=list)
    pareto: dict | None = None
    breakdowns: dict = field(default_factory=dict)
    owner_names: dict = field(default_factory=dict)

    @property
    def tier_label(self) -> str:
        tier = self.filters.get("tier")
        return str(Tier(tier).label) if tier else gettext("All tiers")

    def link(self, **extra) -> str:
        """The customer list behind a number: the dashboard's filters plus the number's own."""
        params = {k: v for k, v in self.filters.items() if v}
        for name, value in extra.items():
            if value is None:
                params.pop(name, None)
            else:
                params[name] = value
        query = urlencode(sorted(params.items()))
        return reverse("home") + (f"?{query}" if query else "")

    @property
    def glance(self) -> list[dict]:
        """The two at-a-glance columns: key accounts and the whole customer base."""
        columns = []
        for title, totals, tier, ident in (
            (_("Key accounts"), self.key, Tier.KEY, "key"),
            (_("Whole customer base"), self.base, None, "base"),
        ):
            before = self.last_week.get(ident)
            columns.append(
                {
                    "title": title,
                    "totals": totals,
                    "id": ident,
                    "bands": self.band_cards(totals, tier),
                    "scored_link": self.link(tier=tier, band="scored"),
                    "at_risk_link": self.link(tier=tier, band="at_risk"),
                    "override_link": self.link(tier=tier, override="1"),
                    "risk_change": (totals.revenue_at_risk - before.revenue_at_risk) if before else None,
                }
            )
        return columns

    def band_cards(self, totals: Totals, tier: str | None) -> list[dict]:
        return [
            {
                "band": band,
                "label": RiskBand(band).label,
                "count": totals.counts[band],
                "revenue": totals.amounts[f"{band}_revenue"],
                "link": self.link(tier=tier, band=band),
            }
            for band in BANDS
        ]

    @property
    def factor_table(self) -> list[dict]:
        rows = []
        for factor in FACTORS:
            rows.append(
                {
                    "factor": factor,
                    "label": FACTOR_LABELS[factor],
                    "countermeasures": FACTOR_COUNTERMEASURES[factor],
                    "risk": self.selected.factor_risk(factor),
                    "customers": self.selected.factors.get(factor, (0, 0, 0))[2],
                    "weakest": factor == self.selected.weakest_factor,
                }
            )
        return rows

    @property
    def churn_table(self) -> list[dict]:
        rows = []
        controllable = ChurnReason.controllable()
        for reason in ChurnReason.values:
            count, revenue = self.selected.churn.get(reason, (0, Decimal(0)))
            rows.append(
                {
                    "reason": reason,
                    "label": ChurnReason(reason).label,
                    "controllable": reason in controllable,
                    "customers": count,
                    "revenue": revenue,
                    "link": self.link(churned=reason),
                }
            )
        rows.sort(key=lambda r: (not r["controllable"], -r["revenue"], r["reason"]))
        return rows

    def churn_total(self, group: str) -> dict:
        wanted = ChurnReason.controllable() if group == "controllable" else ChurnReason.uncontrollable()
        customers = sum(c for r, (c, _rev) in self.selected.churn.items() if r in wanted)
        revenue = sum((rev for r, (_c, rev) in self.selected.churn.items() if r in wanted), Decimal(0))
        return {"customers": customers, "revenue": revenue, "link": self.link(churned=group)}

    @property
    def churn_controllable(self) -> dict:
        return self.churn_total("controllable")

    @property
    def churn_uncontrollable(self) -> dict:
        return self.churn_total("uncontrollable")

    # Alert and breach figures count the customers scored that day, so their lists ask for those.
    @property
    def alert_rows(self) -> list[dict]:
        return [
            {
                "kind": kind,
                "label": AlertKind(kind).label,
                "customers": self.selected.alerts_raised.get(kind, 0),
                "link": self.link(alert=kind, band="scored"),
            }
            for kind in AlertKind.values
        ]

    @property
    def service_rows(self) -> list[dict]:
        """Key accounts against the rest: SLA attainment, open breaches, OTIF, complaints per category."""
        rows = []
        for title, totals, tier in ((_("Key accounts"), self.key, Tier.KEY), (_("The rest"), self.regular, "regular")):
            per_hundred = {
                category: (totals.complaints.get(category, 0) * 100 / totals.customers if totals.customers else None)
                for category in Ticket.Category.values
            }
            rows.append(
                {
                    "title": title,
                    "tier": tier,
                    "totals": totals,
                    "complaints_per_hundred": [
                        (Ticket.Category(c).label, per_hundred[c], totals.complaints.get(c, 0))
                        for c in Ticket.Category.values
                    ],
                    "breach_link": self.link(tier=tier, breach="1", band="scored"),
                    "tier_link": self.link(tier=tier, band="scored"),
                }
            )
        return rows

    @property
    def links(self) -> dict:
        return {
            "entered": self.link(tier_move="entered", tier=None),
            "left": self.link(tier_move="left", tier=None),
            "alerts_closed": self.link(alert="closed", band="scored"),
        }

    @property
    def mover_groups(self) -> list[tuple]:
        groups = []
        for direction, title, count in (
            ("worsened", _("Worsened most"), self.selected.worsened),
            ("improved", _("Improved most"), self.selected.improved),
        ):
            movers = [
                {**m, "factor_label": FACTOR_LABELS.get(m["factor"], "")} for m in self.selected.top_movers(direction)
            ]
            groups.append((direction, title, count, self.link(moved=direction), movers))
        return groups

    @property
    def breakdown_tables(self) -> list[tuple]:
        titles = {
            "region": _("By region"),
            "industry": _("By industry"),
            "owner": _("By account manager (most revenue at risk)"),
        }
        return [(dimension, titles[dimension], lines) for dimension, lines in self.breakdowns.items()]

    @property
    def factor_headers(self) -> list[tuple[str, str]]:
        return [(str(FACTOR_LABELS[factor]), FACTOR_COUNTERMEASURES[factor]) for factor in FACTORS]

    def chart_data(self) -> dict:
        """What the charts draw, as plain numbers for the page's JSON."""
        return {
            "labels": [point["label"] for point in self.trend],
            "bands": {band: [point[band] for point in self.trend] for band in BANDS},
            "band_labels": {band: str(RiskBand(band).label) for band in BANDS},
            "risk_key": [float(point["risk_key"]) for point in self.trend],
            "risk_base": [float(point["risk_base"]) for point in self.trend],
            "entries": [point["tier_entries"] for point in self.trend],
            "exits": [point["tier_exits"] for point in self.trend],
            "key_share": [
                round(point["key_share"] * 100, 1) if point["key_share"] is not None else None for point in self.trend
            ],
            "pareto": (self.pareto or {}).get("curve", []),
        }


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
    today_rows = list(_summary_rows(dates=[as_of], filters=whole_tiers).values(*ROW_FIELDS))
    dashboard.key, dashboard.regular, dashboard.base = _sum_by_tier(today_rows)
    tier = filters.get("tier")
    dashboard.selected = {Tier.KEY: dashboard.key, Tier.REGULAR: dashboard.regular}.get(tier, dashboard.base)
    previous = list(_summary_rows(dates=[week_before], filters=whole_tiers).values(*FIGURE_FIELDS))
    if previous:
        key_before, _regular_before, base_before = _sum_by_tier(previous)
        dashboard.last_week = {"key": key_before, "base": base_before}

    dashboard.trend = _trend(as_of=as_of, filters=filters)
    dashboard.pareto = _pareto(as_of=as_of, trend=dashboard.trend)
    for dimension in DIMENSIONS:
        dashboard.breakdowns[dimension] = _breakdown(dashboard, dimension)
    return dashboard


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
                "label": formats.date_format(row["as_of"], "m-d"),
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


def _breakdown(dashboard: Dashboard, dimension: str) -> list[Breakdown]:
    """Per region, industry or account manager: revenue at risk and the revenue-weighted risk of
    each factor, the weakest first by revenue at risk; at most BREAKDOWN_ROWS lines."""
    column = "owner_id" if dimension == "owner" else dimension
    # Summed in SQL, factor sums included (read out of the JSON column): a filtered page may
    # cover thousands of cells, and adding them up row by row in Python would cost more.
    sums = {name: Sum(name) for name in BREAKDOWN_FIGURES}
    for factor in FACTORS:
        for index in range(3):
            sums[f"factor_{factor}_{index}"] = Sum(Cast(KT(f"factors__{factor}__{index}"), FloatField()))
    rows = (
        _summary_rows(dates=[dashboard.as_of], filters=dashboard.filters, group_by=dimension)
        .values(column)
        .annotate(**sums)
    )
    groups: dict[str, Totals] = {}
    for row in rows:
        totals = Totals()
        for name in BREAKDOWN_FIGURES:
            target = totals.amounts if name in AMOUNTS else totals.counts
            target[name] += row[name] or 0
        for factor in FACTORS:
            parts = [row[f"factor_{factor}_{index}"] or 0 for index in range(3)]
            if parts[2]:
                totals.factors[factor] = parts
        groups[str(row[column] or "")] = totals
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
