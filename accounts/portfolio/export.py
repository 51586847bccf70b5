"""The executive dashboard's tables as an XLSX workbook, one sheet per table.

Names typed by people (customers, account managers) pass through ``neutralise`` so a name such as
"=HYPERLINK(...)" arrives as text; figures stay numeric cells.
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook

from ..models import RiskBand
from ..risk.reasons import FACTOR_LABELS
from ..spreadsheet_safety import neutralise
from ..workspace.exports import _xlsx_value
from .dashboard import BANDS, Dashboard


def _cell(value):
    if value is not None and not isinstance(value, int | float | str):
        value = float(value) if hasattr(value, "as_tuple") else str(value)
    return _xlsx_value(neutralise(value))


def _sheet(workbook: Workbook, title: str, headers: list, rows: list[list]) -> None:
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([_cell(str(h)) for h in headers])
    for row in rows:
        sheet.append([_cell(v) for v in row])


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def dashboard_xlsx(board: Dashboard) -> io.BytesIO:
    workbook = Workbook(write_only=True)
    filters = [
        [str(board.form.fields[name].label), str(dict(board.form.fields[name].choices).get(value, value))]
        for name, value in board.filters.items()
    ]
    _sheet(workbook, _("Filters"), [_("As of"), board.as_of.isoformat() if board.as_of else "—"], filters)

    glance_rows = []
    for column in board.glance:
        totals = column["totals"]
        for band in BANDS:
            glance_rows.append(
                [
                    str(column["title"]),
                    str(RiskBand(band).label),
                    totals.counts[band],
                    totals.amounts[f"{band}_revenue"],
                ]
            )
        glance_rows.append(
            [str(column["title"]), _("Revenue at risk (amber and red)"), totals.at_risk, totals.revenue_at_risk]
        )
        glance_rows.append([str(column["title"]), _("Mean data completeness (%)"), _percent(totals.completeness), None])
        glance_rows.append([str(column["title"]), _("Manual bands in force"), totals.overrides, None])
    _sheet(
        workbook, _("At a glance"), [_("Portfolio"), _("Figure"), _("Customers"), _("Revenue, 12 months")], glance_rows
    )

    _sheet(
        workbook,
        _("Trends"),
        [
            _("Week ending"),
            *[RiskBand(b).label for b in BANDS],
            _("Key accounts' revenue at risk"),
            _("Whole base's revenue at risk"),
            _("Entered the key tier"),
            _("Left the key tier"),
            _("Key tier's revenue share (%)"),
        ],
        [
            [
                p["as_of"].isoformat(),
                *[p[b] for b in BANDS],
                p["risk_key"],
                p["risk_base"],
                p["tier_entries"],
                p["tier_exits"],
                _percent(p["key_share"]),
            ]
            for p in board.trend
        ],
    )

    movers = []
    for direction, label in (("worsened", _("Worsened")), ("improved", _("Improved"))):
        for m in board.selected.top_movers(direction):
            factor = FACTOR_LABELS.get(m["factor"], "")
            movers.append([label, m["name"], m["score"], m["change"], str(factor), m["points"], m["revenue"]])
    _sheet(
        workbook,
        _("What changed"),
        [
            _("Direction"),
            _("Customer"),
            _("Risk score"),
            _("Change in 7 days"),
            _("Factor that moved it"),
            _("Points of that factor"),
            _("Revenue, 12 months"),
        ],
        movers,
    )
    _sheet(
        workbook,
        _("Alerts this week"),
        [_("Alert"), _("Customers")],
        [[str(r["label"]), r["customers"]] for r in board.alert_rows]
        + [[_("Dealt with this week"), board.selected.alerts_closed]],
    )
    _sheet(
        workbook,
        _("Churn by reason"),
        [_("Reason"), _("Controllable"), _("Customers"), _("Revenue lost, 12 months before churn")],
        [
            [str(r["label"]), _("yes") if r["controllable"] else _("no"), r["customers"], r["revenue"]]
            for r in board.churn_table
        ],
    )
    factor_rows = [[_("Whole selection"), "", *[_round(board.selected.factor_risk(f)) for f in FACTOR_LABELS]]]
    names = {"region": _("Region"), "industry": _("Industry"), "owner": _("Account manager")}
    for dimension, lines in board.breakdowns.items():
        for line in lines:
            factor_rows.append(
                [str(names[dimension]), line.label, *[_round(line.totals.factor_risk(f)) for f in FACTOR_LABELS]]
            )
    _sheet(
        workbook,
        _("Countermeasures"),
        [_("By"), _("Name"), *[str(label) for label in FACTOR_LABELS.values()]],
        factor_rows,
    )
    service = []
    for row in board.service_rows:
        t = row["totals"]
        service.append(
            [
                str(row["title"]),
                _percent(t.sla_attainment),
                t.open_breaches,
                t.breach_customers,
                _percent(t.otif),
                *[_round(per) for _label, per, _n in row["complaints_per_hundred"]],
            ]
        )
    _sheet(
        workbook,
        _("Service and supply"),
        [
            _("Portfolio"),
            _("SLA attainment (%)"),
            _("Open tickets past SLA"),
            _("Customers with open breaches"),
            _("On time in full (%)"),
            *[
                _("Complaints per 100 customers: %(category)s") % {"category": label}
                for label, _per, _n in board.service_rows[0]["complaints_per_hundred"]
            ],
        ],
        service,
    )
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
