"""The executive dashboard's read model: the filter form, totals per band and tier, breakdowns,
heat shades and the Dashboard the page, the export and the digest render.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints.models import Ticket

from ..models import (
    AlertKind,
    ChurnReason,
    Industry,
    Region,
    RiskBand,
    SummaryGrain,
    Tier,
)
from ..risk.defaults import FACTORS
from ..risk.reasons import FACTOR_LABELS

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
# Countermeasures each factor stands for (docs/risk-method.md, "Reasons"), shown beside the factor's name.
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
    # Customers won back in the 12 months to the date (within the filters): `recovered_count`.
    recovered: int = 0
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
        """What the charts draw, as plain numbers for the page's JSON (amounts in ``currency``)."""
        return {
            "currency": settings.CURRENCY,
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
