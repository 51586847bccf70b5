"""What the model quality pages show of a run's result: tables, targets and chart data.

A run's ``result`` is the dict `evaluation.evaluate` returned (docs/risk-method.md, "Model quality
page"). Everything here reads it defensively — any number may be missing or null, any list empty —
and labels predictors, factors, bands and label components in the page's language by their keys,
not by the English labels the dict carries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import RiskBand
from .reasons import FACTOR_LABELS

# The targets of the method (docs/risk-method.md).
TARGET_AUC = 0.80
TARGET_LIFT = 3.0
TARGET_EARLY_WARNING = 0.60
TARGET_WEEKLY_BAND_CHANGE = 0.05

PREDICTOR_LABELS = {
    "recency": gettext_lazy("Days since last order"),
    "rfm": gettext_lazy("RFM logistic (fitted on earlier dates)"),
    "purchase_factor": gettext_lazy("Purchase factor alone"),
}
COMPONENT_LABELS = {
    "recorded_churn": gettext_lazy("Recorded churn"),
    "lapse": gettext_lazy("Lapse (stopped ordering)"),
    "collapse": gettext_lazy("Revenue collapse"),
}
BAND_ORDER = ("green", "amber", "red", "grey")
MAX_CURVE_POINTS = 501
MAX_ROWS = 200


def number(value) -> float | None:
    """A finite number, or None for anything else (missing, null, text, NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _points(value) -> list[list[float]]:
    """[[x, y], …] pairs of numbers, others dropped."""
    points = []
    for point in _list(value)[:MAX_CURVE_POINTS]:
        if isinstance(point, list | tuple) and len(point) == 2:
            x, y = number(point[0]), number(point[1])
            if x is not None and y is not None:
                points.append([round(x, 4), round(y, 4)])
    return points


def predictor_label(key: str, version) -> str:
    if key == "score":
        if version is None:
            return _("Risk score")
        return _("Risk score v%(version)s") % {"version": version}
    label = PREDICTOR_LABELS.get(key)
    return str(label) if label else key.replace("_", " ").capitalize()


def band_label(band: str) -> str:
    try:
        return str(RiskBand(band).label)
    except ValueError:
        return band


def factor_label(name: str) -> str:
    label = FACTOR_LABELS.get(name)
    return str(label) if label else name.replace("_", " ").capitalize()


@dataclass
class Predictor:
    key: str
    label: str
    auc: float | None
    auc_low: float | None
    auc_high: float | None
    top_k_precision: float | None
    lift: float | None
    by_component: dict
    roc: list
    lift_curve: list

    @property
    def is_score(self) -> bool:
        return self.key == "score"


@dataclass
class Target:
    key: str
    label: str
    target: str
    value: float | None
    kind: str  # how the value reads: "ratio" (0.81) or "percent" (64%)
    met: bool | None  # None: no figure to judge


@dataclass
class Report:
    """One run's result, ready for the page."""

    version: object
    samples: float | None
    positives: float | None
    base_rate: float | None
    top_k: float | None
    replay_dates: int
    first_date: str
    last_date: str
    predictors: list[Predictor]
    components: list[dict]
    calibration: list[dict]
    factors: list[dict]
    early_warning: dict
    weekly_band_change: float | None
    targets: list[Target]
    notes: list[str]
    headline: dict = field(default_factory=dict)

    @property
    def score(self) -> Predictor | None:
        return next((p for p in self.predictors if p.is_score), None)

    @property
    def baselines(self) -> list[Predictor]:
        return [p for p in self.predictors if not p.is_score]

    def chart_data(self) -> dict:
        return {
            "predictors": [
                {"key": p.key, "label": p.label, "roc": p.roc, "lift": p.lift_curve} for p in self.predictors
            ],
            "calibration": [
                {"band": row["band"], "label": row["label"], "rate": row["rate"], "samples": row["samples"]}
                for row in self.calibration
            ],
            "base_rate": self.base_rate,
            "text": chart_text(),
        }


def chart_text() -> dict:
    """The charts' words, in the page's language."""
    return {
        "fpr": _("Retained accounts flagged"),
        "tpr": _("Lost accounts flagged"),
        "chance": _("Chance"),
        "share": _("Share of accounts contacted, highest risk first"),
        "lift": _("Lift"),
        "rate": _("Actual churn rate"),
        "base_rate": _("Base rate"),
        "samples": _("samples"),
    }


def _predictor(raw: dict, version) -> Predictor:
    key = str(raw.get("key") or "")
    by_component = {name: number(value) for name, value in _dict(raw.get("auc_by_component")).items()}
    return Predictor(
        key=key,
        label=predictor_label(key, version),
        auc=number(raw.get("auc")),
        auc_low=number(raw.get("auc_low")),
        auc_high=number(raw.get("auc_high")),
        top_k_precision=number(raw.get("top_k_precision")),
        lift=number(raw.get("lift")),
        by_component=by_component,
        roc=_points(raw.get("roc")),
        lift_curve=_points(raw.get("lift_curve")),
    )


def _targets(score: Predictor | None, base_rate, early_share, band_change) -> list[Target]:
    auc = score.auc if score else None
    precision = score.top_k_precision if score else None
    wanted_precision = TARGET_LIFT * base_rate if base_rate is not None else None

    def judged(value, ok):
        return None if value is None else ok(value)

    return [
        Target(
            "auc",
            _("AUC of the score"),
            _("at least %(target)s") % {"target": f"{TARGET_AUC:.2f}"},
            auc,
            "ratio",
            judged(auc, lambda v: v >= TARGET_AUC),
        ),
        Target(
            "top_k",
            _("Top-k precision"),
            _("at least 3× the base rate")
            + (f" ({wanted_precision * 100:.1f}%)" if wanted_precision is not None else ""),
            precision,
            "percent",
            None if wanted_precision is None else judged(precision, lambda v: v >= wanted_precision),
        ),
        Target(
            "early_warning",
            _("Churned revenue amber or red 90+ days ahead"),
            _("at least %(target)s%%") % {"target": round(TARGET_EARLY_WARNING * 100)},
            early_share,
            "percent",
            judged(early_share, lambda v: v >= TARGET_EARLY_WARNING),
        ),
        Target(
            "weekly_band_change",
            _("Accounts changing band in a week"),
            _("below %(target)s%%") % {"target": round(TARGET_WEEKLY_BAND_CHANGE * 100)},
            band_change,
            "percent",
            judged(band_change, lambda v: v < TARGET_WEEKLY_BAND_CHANGE),
        ),
    ]


def _headline(score: Predictor | None, baselines: list[Predictor]) -> dict:
    judged = [p for p in baselines if p.auc is not None]
    best = max(judged, key=lambda p: p.auc) if judged else None
    difference = None
    if score and score.auc is not None and best is not None:
        difference = score.auc - best.auc
    # "clearly": the baseline's AUC lies below the score's whole 95% interval.
    beats = None
    if difference is not None:
        beats = "no" if difference <= 0 else "clearly" if (score.auc_low or 0) > best.auc else "yes"
    return {"score": score, "best": best, "difference": difference, "beats": beats}


def quality_report(result) -> Report:
    result = _dict(result)
    version = result.get("version")
    version = version if isinstance(version, int | str) and not isinstance(version, bool) else None
    predictors = [
        _predictor(raw, version) for raw in _list(result.get("predictors"))[:MAX_ROWS] if isinstance(raw, dict)
    ]
    score = next((p for p in predictors if p.is_score), None)
    positives = number(result.get("positives"))
    components = []
    for name, count in _dict(result.get("components")).items():
        count = number(count)
        components.append(
            {
                "key": name,
                "label": str(COMPONENT_LABELS.get(name, name)),
                "count": count,
                "share": count / positives if count is not None and positives else None,
                "auc": score.by_component.get(name) if score else None,
            }
        )
    calibration = []
    raw_bands = {row.get("band"): row for row in _list(result.get("calibration")) if isinstance(row, dict)}
    for band in sorted(raw_bands, key=lambda b: (BAND_ORDER.index(b) if b in BAND_ORDER else 9, str(b))):
        row = raw_bands[band]
        calibration.append(
            {
                "band": str(band),
                "label": band_label(str(band)),
                "samples": number(row.get("samples")),
                "lost": number(row.get("lost")),
                "rate": number(row.get("rate")),
            }
        )
    factors = [
        {
            "name": str(row.get("name") or ""),
            "label": factor_label(str(row.get("name") or "")),
            "auc": number(row.get("auc")),
            "coverage": number(row.get("coverage")),
            "mean_lost": number(row.get("mean_lost")),
            "mean_retained": number(row.get("mean_retained")),
        }
        for row in _list(result.get("factors"))[:MAX_ROWS]
        if isinstance(row, dict)
    ]
    early = _dict(result.get("early_warning"))
    early_warning = {key: number(early.get(key)) for key in ("share", "customers", "revenue")}
    band_change = number(result.get("weekly_band_change"))
    base_rate = number(result.get("base_rate"))
    dates = [str(d) for d in _list(result.get("dates"))]
    report = Report(
        version=version,
        samples=number(result.get("samples")),
        positives=positives,
        base_rate=base_rate,
        top_k=number(result.get("top_k")),
        replay_dates=len(dates),
        first_date=dates[0] if dates else str(result.get("start") or ""),
        last_date=dates[-1] if dates else str(result.get("end") or ""),
        predictors=predictors,
        components=components,
        calibration=calibration,
        factors=factors,
        early_warning=early_warning,
        weekly_band_change=band_change,
        targets=_targets(score, base_rate, early_warning["share"], band_change),
        notes=[str(note) for note in _list(result.get("notes"))[:MAX_ROWS] if note not in (None, "")],
    )
    report.headline = _headline(score, report.baselines)
    return report


def _pairs(left: list[dict], right: list[dict], key: str) -> list[tuple]:
    """Rows of both sides matched by ``key``, in the left side's order, the right's extras after."""
    right_by = {row[key]: row for row in right}
    left_keys = {row[key] for row in left}
    rows = [(row, right_by.get(row[key])) for row in left]
    rows += [(None, row) for row in right if row[key] not in left_keys]
    return rows


def compare_report(a: Report, b: Report, *, a_name: str, b_name: str) -> dict:
    """Two runs side by side: predictors and factors matched by key, both scores' ROC curves."""
    predictors = _pairs(
        [{"key": p.key, "p": p} for p in a.predictors], [{"key": p.key, "p": p} for p in b.predictors], "key"
    )
    factors = _pairs(a.factors, b.factors, "name")
    curves = []
    for name, report in ((a_name, a), (b_name, b)):
        if report.score is not None:
            curves.append({"key": "score", "label": f"{name}: {report.score.label}", "roc": report.score.roc})
    return {
        "predictors": [
            {
                "label": _("Risk score") if (left or right)["key"] == "score" else (left or right)["p"].label,
                "is_score": (left or right)["key"] == "score",
                "a": left["p"] if left else None,
                "b": right["p"] if right else None,
            }
            for left, right in predictors
        ],
        "factors": [{"label": (left or right)["label"], "a": left, "b": right} for left, right in factors],
        "targets": list(zip(a.targets, b.targets, strict=True)),
        "chart": {"predictors": curves, "text": chart_text()},
    }
