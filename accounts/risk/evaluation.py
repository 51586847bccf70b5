"""A whole backtest out of time, and its report (docs/risk-method.md, "Backtest").

``evaluate`` replays a model version at the month ends of a period, splits the dates into earlier
*fitting* dates and later *test* dates, fits the baselines that need fitting on the earlier dates
only, and measures the score and each baseline on the test dates: ROC AUC with a bootstrap
interval, top-k precision and lift, the ROC and lift curves, calibration per band, each factor's
own AUC, the early warning and the week-to-week band changes of a nightly replay. The report is a
plain JSON-able dict, stored by the model-quality page and printed by ``backtest_risk``.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from django.utils import formats
from django.utils.translation import gettext as _

from accounts.models import RiskBand, RiskModelVersion
from keyaccounts.clock import business_today

from .backtest import (
    COMPONENTS,
    Sample,
    band_change_rate,
    bootstrap_auc,
    collect_samples,
    lift_curve,
    month_ends,
    precision_at_k,
    roc_auc,
    roc_points,
)
from .defaults import FACTORS
from .engine import risk_score
from .fitting import fit_logistic_l2
from .parameters import RiskError

# What the product aims for (docs/risk-method.md, "Targets").
TARGETS = {"auc": 0.80, "lift": 3.0, "early_warning": 0.60, "weekly_band_change": 0.05}
FLAGGED_BANDS = (RiskBand.AMBER, RiskBand.RED)
# When no account is red on a date, top-k picks this share of the date's accounts instead.
FALLBACK_TOP_SHARE = 0.10
# Days of nightly replay before the last test date for the week-to-week band changes.
STABILITY_DAYS = 28
EARLY_WARNING_DAYS = 90
PREDICTOR_LABELS = {
    "score": "Risk score",
    "recency": "Days since last order",
    "rfm": "RFM logistic (fitted on earlier dates)",
    "purchase_factor": "Purchase factor alone",
}


@dataclass
class Split:
    """The replay dates of a backtest: fitting dates (outcome known before the first test date) and test dates."""

    fit: list[date]
    test: list[date]
    dropped: list[date]


def split_dates(*, start: date, end: date, horizon_days: int, test_from: date | None, data_end: date) -> Split:
    """Month ends from start to end whose outcome is known by ``data_end``; those from ``test_from``
    (default: the middle of the period) are test dates, those whose whole horizon ends before the
    first test date are fitting dates."""
    every = month_ends(start, end)
    if not every:
        raise RiskError(_("The backtest period holds no month end; widen the period."), code="no_month_end")
    horizon = timedelta(days=horizon_days)
    known = [day for day in every if day + horizon <= data_end]
    dropped = [day for day in every if day + horizon > data_end]
    if not known:
        raise RiskError(
            _("No month end in the period has a known outcome yet: the horizon after %(date)s runs past today.")
            % {"date": formats.date_format(every[0], "DATE_FORMAT")},
            code="no_outcome",
        )
    if test_from is None:
        test_from = known[0] + (known[-1] - known[0]) / 2
    test = [day for day in known if day >= test_from]
    if not test:
        raise RiskError(_("No replay date falls on or after the start of the test period."), code="no_test_dates")
    fit = [day for day in known if day + horizon < test[0]]
    return Split(fit=fit, test=test, dropped=dropped)


def rfm_features(samples: list[Sample]) -> np.ndarray:
    """log(1 + x) of recency, frequency, monetary value and tenure."""
    return np.log1p(
        np.array(
            [[s.recency_days, s.orders_12m, max(s.revenue_12m_orders, 0.0), s.tenure_days] for s in samples],
            dtype=float,
        ).reshape(-1, 4)
    )


def rfm_baseline(fit_samples: list[Sample], test_samples: list[Sample]) -> list[float] | None:
    """A logistic regression on log R/F/M/tenure fitted on the fitting samples, read on the test samples."""
    labels = [s.label for s in fit_samples]
    if len(set(labels)) < 2:
        return None
    x = rfm_features(fit_samples)
    mean, spread = x.mean(axis=0), x.std(axis=0)
    spread[spread == 0] = 1.0
    coefficients, intercept, _iterations = fit_logistic_l2((x - mean) / spread, np.array(labels, float), l2=1.0)
    logits = ((rfm_features(test_samples) - mean) / spread) @ coefficients + intercept
    return [float(v) for v in logits]


def purchase_factor_risk(sample: Sample) -> float:
    """The purchase factor's risk; a customer with no order at all is as lapsed as can be."""
    risk = sample.factor_risks.get("purchase_trend")
    return 100.0 if risk is None else float(risk)


def predictor_report(key: str, label: str, values: list[float], samples: list[Sample], tops: dict[date, int]) -> dict:
    labels = [s.label for s in samples]
    clusters = [s.customer_id for s in samples]
    interval = bootstrap_auc(values, labels, clusters)
    by_date: dict[date, tuple[list[float], list[int]]] = defaultdict(lambda: ([], []))
    for value, s in zip(values, samples, strict=True):
        scores, day_labels = by_date[s.as_of]
        scores.append(value)
        day_labels.append(s.label)
    top = precision_at_k((scores, day_labels, tops.get(day, 0)) for day, (scores, day_labels) in by_date.items())
    base = sum(labels) / len(labels) if labels else None
    by_component = {}
    for component in COMPONENTS:
        keep = [i for i, s in enumerate(samples) if s.label == 0 or s.component == component]
        by_component[component] = roc_auc([values[i] for i in keep], [labels[i] for i in keep])
    return {
        "key": key,
        "label": label,
        "auc": roc_auc(values, labels),
        "auc_low": interval[0] if interval else None,
        "auc_high": interval[1] if interval else None,
        "top_k_precision": top,
        "lift": (top / base) if top is not None and base else None,
        "auc_by_component": by_component,
        "roc": roc_points(values, labels),
        "lift_curve": lift_curve(list(by_date.values())),
    }


def evaluate(
    version: RiskModelVersion,
    *,
    start: date,
    end: date,
    horizon_days: int = 180,
    test_from: date | None = None,
    stability_days: int = STABILITY_DAYS,
    data_end: date | None = None,
    progress: Callable[[int, int], None] | None = None,
    score_as_of: Callable | None = None,
) -> dict:
    """Backtest ``version`` out of time over the month ends from ``start`` to ``end``; the report dict.

    ``score_as_of(day, previous=None)`` scores a day writing nothing (by default the scorer with
    this version); ``stability_days`` of nightly replay (0: none) measure the weekly band changes.
    """
    data_end = data_end or business_today()
    split = split_dates(start=start, end=end, horizon_days=horizon_days, test_from=test_from, data_end=data_end)
    replay_nights = _stability_nights(split.test[-1], stability_days)
    total = len(split.fit) + len(split.test) + len(replay_nights)
    done = 0

    def step():
        nonlocal done
        done += 1
        if progress:
            progress(done, total)

    if score_as_of is None:

        def score_as_of(day, previous=None):
            return risk_score(as_of=day, model_version=version, previous=previous)

    fit_samples = collect_samples(dates=split.fit, horizon_days=horizon_days, score_as_of=score_as_of, progress=step)
    samples = collect_samples(dates=split.test, horizon_days=horizon_days, score_as_of=score_as_of, progress=step)
    if progress and total == 0:
        progress(0, 0)
    report = summarise(
        samples,
        fit_samples=fit_samples,
        version=version.version,
        start=start,
        end=end,
        horizon_days=horizon_days,
        split=split,
    )
    report["weekly_band_change"] = _weekly_band_change(replay_nights, score_as_of, step)
    report["notes"].extend(_notes(report, split, stability_days))
    return report


def summarise(
    samples: list[Sample],
    *,
    fit_samples: list[Sample],
    version: int,
    start: date,
    end: date,
    horizon_days: int,
    split: Split,
) -> dict:
    """The report of test ``samples`` (the score and its baselines), the RFM baseline fitted on ``fit_samples``."""
    labels = [s.label for s in samples]
    positives = sum(labels)
    notes: list[str] = []
    tops = _top_k(samples, notes)
    predictors = [
        predictor_report("score", f"Risk score v{version}", [s.score for s in samples], samples, tops),
        predictor_report(
            "recency", PREDICTOR_LABELS["recency"], [float(s.recency_days) for s in samples], samples, tops
        ),
    ]
    rfm = rfm_baseline(fit_samples, samples) if samples else None
    if rfm is None:
        notes.append("The RFM baseline could not be fitted: the fitting dates hold no churned and retained samples.")
    else:
        predictors.append(predictor_report("rfm", PREDICTOR_LABELS["rfm"], rfm, samples, tops))
    predictors.append(
        predictor_report(
            "purchase_factor",
            PREDICTOR_LABELS["purchase_factor"],
            [purchase_factor_risk(s) for s in samples],
            samples,
            tops,
        )
    )
    return {
        "version": version,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "horizon_days": horizon_days,
        "dates": [day.isoformat() for day in split.test],
        "fit_dates": [day.isoformat() for day in split.fit],
        "samples": len(samples),
        "fit_samples": len(fit_samples),
        "positives": positives,
        "base_rate": positives / len(samples) if samples else None,
        "components": {c: sum(1 for s in samples if s.label and s.component == c) for c in COMPONENTS},
        "top_k": sum(tops.values()),
        "predictors": predictors,
        "calibration": _calibration(samples),
        "early_warning": _early_warning(samples),
        "weekly_band_change": None,
        "factors": _factors(samples),
        "targets": TARGETS,
        "notes": notes,
    }


def _top_k(samples: list[Sample], notes: list[str]) -> dict[date, int]:
    """k per date: the size of the red band; where nothing is red, the top tenth."""
    per_date = Counter(s.as_of for s in samples)
    red = Counter(s.as_of for s in samples if s.band == RiskBand.RED)
    tops, fallback = {}, 0
    for day, count in per_date.items():
        if red[day]:
            tops[day] = red[day]
        else:
            tops[day] = math.ceil(FALLBACK_TOP_SHARE * count)
            fallback += 1
    if fallback:
        notes.append(
            f"On {fallback} of {len(per_date)} test dates no account was red; top-k took the "
            f"highest {FALLBACK_TOP_SHARE:.0%} there."
        )
    return tops


def _calibration(samples: list[Sample]) -> list[dict]:
    rows = []
    for band in (RiskBand.GREEN, RiskBand.AMBER, RiskBand.RED, RiskBand.GREY):
        members = [s.label for s in samples if s.band == band]
        rows.append(
            {
                "band": str(band),
                "samples": len(members),
                "lost": sum(members),
                "rate": (sum(members) / len(members)) if members else None,
            }
        )
    return rows


def _early_warning(samples: list[Sample]) -> dict:
    """The share of churned customers' revenue (trailing 12 months) that was amber or red at the
    latest replay at least 90 days before the recorded churn."""
    latest: dict[int, Sample] = {}
    for s in samples:
        if s.component != "recorded_churn" or (s.churned_on - s.as_of).days < EARLY_WARNING_DAYS:
            continue
        if s.customer_id not in latest or s.as_of > latest[s.customer_id].as_of:
            latest[s.customer_id] = s
    revenue = sum(s.revenue_12m for s in latest.values())
    flagged = sum(s.revenue_12m for s in latest.values() if s.band in FLAGGED_BANDS)
    return {"share": (flagged / revenue) if revenue else None, "customers": len(latest), "revenue": revenue}


def _factors(samples: list[Sample]) -> list[dict]:
    rows = []
    for name in FACTORS:
        present = [s for s in samples if s.factor_risks.get(name) is not None]
        lost = [s.factor_risks[name] for s in present if s.label]
        kept = [s.factor_risks[name] for s in present if not s.label]
        rows.append(
            {
                "name": name,
                "auc": roc_auc([s.factor_risks[name] for s in present], [s.label for s in present]),
                "coverage": (len(present) / len(samples)) if samples else None,
                "mean_lost": (math.fsum(lost) / len(lost)) if lost else None,
                "mean_retained": (math.fsum(kept) / len(kept)) if kept else None,
            }
        )
    return rows


def _stability_nights(last: date, days: int) -> list[date]:
    """The nights replayed for the weekly band changes: ``days`` nights ending on ``last``, after
    two nights that only settle the bands."""
    if days <= 0:
        return []
    return [last - timedelta(days=i) for i in range(days + 2, -1, -1)]


def _weekly_band_change(nights: list[date], score_as_of, step) -> float | None:
    """Replay the nights one after another, each settling its bands against the night before (as
    the nightly job does), and measure the share of accounts whose band changed week on week."""
    if not nights:
        return None
    previous: dict[int, tuple[float | None, str]] = {}
    bands: dict[date, dict[int, str]] = {}
    for night in nights:
        tonight = {}
        for s in score_as_of(night, previous=previous):
            tonight[s.customer_id] = (s.score, s.computed_band)
        previous = tonight
        bands[night] = {pk: band for pk, (_score, band) in tonight.items()}
        step()
    last = nights[-1]
    weeks = [bands[day] for day in sorted(bands) if (last - day).days % 7 == 0 and (last - day).days <= len(nights) - 3]
    return band_change_rate(weeks)


def _notes(report: dict, split: Split, stability_days: int) -> list[str]:
    notes = []
    if split.dropped:
        notes.append(
            f"{len(split.dropped)} month end(s) from {split.dropped[0].isoformat()} were not replayed: "
            "their outcome is not known yet."
        )
    if not split.fit:
        notes.append("No replay date ends its horizon before the test dates: nothing was fitted on earlier dates.")
    score = report["predictors"][0]["auc"]
    best = max((p for p in report["predictors"][1:] if p["auc"] is not None), key=lambda p: p["auc"], default=None)
    if score is not None and best is not None and score < best["auc"]:
        notes.append(f"The score does not beat the best baseline ({best['label']}, AUC {best['auc']:.3f}).")
    return notes
