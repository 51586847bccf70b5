"""Checking the risk score against what really happened (docs/risk-method.md, "Backtest").

The scorer is replayed monthly over a period using only records dated on or before each date.
Label: the customer churned within the horizon for a controllable reason, or its revenue in the
next 6 months fell below 20% of the 6 months before. Customers lost to an uncontrollable reason
within the horizon are left out: the score is not meant to predict them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from accounts.models import ChurnReason, Customer, Order, RiskBand

from .parameters import RiskError

HALF_YEAR = timedelta(days=182)
REVENUE_COLLAPSE_SHARE = Decimal("0.2")
FLAGGED_BANDS = {RiskBand.AMBER, RiskBand.RED}


@dataclass
class Sample:
    """One customer scored at one replay date, with what happened afterwards."""

    as_of: date
    customer_id: int
    score: float
    band: str
    factor_risks: dict[str, float | None]
    contributions: dict[str, float]
    label: int
    revenue_12m: float
    churned_on: date | None = None


@dataclass
class BacktestReport:
    start: date
    end: date
    horizon_days: int
    dates: list[date]
    samples: int
    positives: int
    auc: float | None
    top_k: int
    top_k_precision: float | None
    base_rate: float | None
    lift: float | None
    churned_revenue_flagged_90d: float | None
    weekly_band_change_rate: float | None
    factor_means: dict[str, tuple[float, float]]
    baseline_auc: float | None
    baseline_top_k_precision: float | None
    notes: list[str] = field(default_factory=list)


def roc_auc(scores: list[float], labels: list[int]) -> float | None:
    """Area under the ROC curve by ranks (Mann-Whitney U), ties sharing the average rank."""
    positives = sum(labels)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        average = (i + j) / 2 + 1
        for k in range(i, j + 1):
            ranks[order[k]] = average
        i = j + 1
    rank_sum = sum(r for r, y in zip(ranks, labels, strict=True) if y)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def precision_at_k(groups: Iterable[tuple[list[float], list[int], int]]) -> float | None:
    """The share of positives among the k highest scores of each group, pooled over the groups.

    Each group is (scores, labels, k); a group with k of 0 picks nobody. None when no group picks
    anyone. Equal scores keep the groups' order.
    """
    hits = picked = 0
    for scores, labels, k in groups:
        if k <= 0:
            continue
        ranked = sorted(zip(scores, labels, strict=True), key=lambda pair: -pair[0])[:k]
        hits += sum(label for _, label in ranked)
        picked += len(ranked)
    return hits / picked if picked else None


def month_ends(start: date, end: date) -> list[date]:
    """The replay dates: the last day of each month from start to end."""
    days = []
    cursor = (start.replace(day=1) + relativedelta(months=1)) - timedelta(days=1)
    while cursor <= end:
        days.append(cursor)
        cursor = (cursor + timedelta(days=1) + relativedelta(months=1)) - timedelta(days=1)
    return days


def _revenue_by_customer(first: date, last: date) -> dict[int, Decimal]:
    rows = (
        Order.objects.filter(ordered_on__gte=first, ordered_on__lte=last)
        .values("customer_id")
        .annotate(total=Coalesce(Sum("amount"), Value(Decimal(0)), output_field=DecimalField()))
        .values_list("customer_id", "total")
    )
    return dict(rows)


def labels_as_of(*, as_of: date, horizon_days: int, churn: dict[int, tuple[date, str]]) -> dict[int, int | None]:
    """1 = lost (controllable churn or revenue collapse), 0 = retained, None = left out."""
    horizon_end = as_of + timedelta(days=horizon_days)
    before = _revenue_by_customer(as_of - HALF_YEAR + timedelta(days=1), as_of)
    after = _revenue_by_customer(as_of + timedelta(days=1), as_of + HALF_YEAR)
    labels: dict[int, int | None] = {}
    for customer_id, revenue_before in before.items():
        labels[customer_id] = int(
            revenue_before > 0 and after.get(customer_id, Decimal(0)) < REVENUE_COLLAPSE_SHARE * revenue_before
        )
    for customer_id, (churned_on, reason) in churn.items():
        if as_of < churned_on <= horizon_end:
            labels[customer_id] = None if reason in ChurnReason.uncontrollable() else 1
    return labels


def run_backtest(
    *,
    start: date,
    end: date,
    horizon_days: int,
    score_as_of: Callable[[date], Iterable[tuple[int, float | None, str, dict, float]]],
    data_end: date,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[BacktestReport, list[Sample]]:
    """Replay `score_as_of` at each month end and measure it against what happened.

    `score_as_of(day)` yields (customer_id, score, band, factors, revenue_12m) for the customers
    active on that day, computed from records dated on or before it, writing nothing.
    """
    notes = []
    dates = month_ends(start, end)
    if not dates:
        raise RiskError(_("The backtest period holds no month end; widen --start/--end."), code="no_month_end")
    if dates[-1] + timedelta(days=max(horizon_days, HALF_YEAR.days)) > data_end:
        notes.append(f"The last replay dates' outcome window runs past {data_end}: their labels are incomplete.")
    churn = {
        pk: (day, reason)
        for pk, day, reason in Customer.objects.filter(~Q(churned_on=None)).values_list(
            "pk", "churned_on", "churn_reason"
        )
    }
    samples: list[Sample] = []
    for step, day in enumerate(dates, start=1):
        labels = labels_as_of(as_of=day, horizon_days=horizon_days, churn=churn)
        for customer_id, score, band, factors, revenue_12m in score_as_of(day):
            label = labels.get(customer_id, 0)
            if label is None or score is None:
                continue
            weights = sum(f["weight"] for f in factors.values() if f.get("risk") is not None) or 1
            samples.append(
                Sample(
                    as_of=day,
                    customer_id=customer_id,
                    score=score,
                    band=band,
                    factor_risks={name: f.get("risk") for name, f in factors.items()},
                    contributions={
                        name: (f["weight"] * f["risk"] / weights) if f.get("risk") is not None else 0.0
                        for name, f in factors.items()
                    },
                    label=label,
                    revenue_12m=float(revenue_12m or 0),
                    churned_on=churn.get(customer_id, (None, ""))[0],
                )
            )
        if progress:
            progress(step, len(dates))
    return summarise(samples, start=start, end=end, horizon_days=horizon_days, dates=dates, notes=notes), samples


def summarise(
    samples: list[Sample], *, start: date, end: date, horizon_days: int, dates: list[date], notes: list[str]
) -> BacktestReport:
    scores = [s.score for s in samples]
    labels = [s.label for s in samples]
    positives = sum(labels)
    base_rate = positives / len(samples) if samples else None

    # Top k per replay date, k = the size of that date's red band, pooled over the dates.
    by_date: dict[date, list[Sample]] = defaultdict(list)
    for s in samples:
        by_date[s.as_of].append(s)
    top_k = []
    for day_samples in by_date.values():
        k = sum(1 for s in day_samples if s.band == RiskBand.RED)
        top_k.append((day_samples, [s.label for s in day_samples], k))
    picked = sum(k for _day_samples, _labels, k in top_k)
    top_k_precision = precision_at_k(([s.score for s in day], labels, k) for day, labels, k in top_k)
    baseline_precision = precision_at_k(
        ([s.factor_risks.get("purchase_trend") or 0 for s in day], labels, k) for day, labels, k in top_k
    )

    # Share of churned revenue flagged amber/red at the last replay 90+ days before the churn.
    churned_revenue = flagged_revenue = 0.0
    latest_early: dict[int, Sample] = {}
    for s in samples:
        if s.churned_on is None or s.label != 1 or (s.churned_on - s.as_of).days < 90:
            continue
        current = latest_early.get(s.customer_id)
        if current is None or s.as_of > current.as_of:
            latest_early[s.customer_id] = s
    for s in latest_early.values():
        churned_revenue += s.revenue_12m
        if s.band in FLAGGED_BANDS:
            flagged_revenue += s.revenue_12m

    factor_names = sorted({name for s in samples for name in s.contributions})
    factor_means = {}
    for name in factor_names:
        churned = [s.contributions[name] for s in samples if s.label == 1 and name in s.contributions]
        retained = [s.contributions[name] for s in samples if s.label == 0 and name in s.contributions]
        factor_means[name] = (_mean(churned), _mean(retained))

    return BacktestReport(
        start=start,
        end=end,
        horizon_days=horizon_days,
        dates=dates,
        samples=len(samples),
        positives=positives,
        auc=roc_auc(scores, labels),
        top_k=picked,
        top_k_precision=top_k_precision,
        base_rate=base_rate,
        lift=(top_k_precision / base_rate) if top_k_precision is not None and base_rate else None,
        churned_revenue_flagged_90d=(flagged_revenue / churned_revenue) if churned_revenue else None,
        weekly_band_change_rate=None,
        factor_means=factor_means,
        baseline_auc=roc_auc([s.factor_risks.get("purchase_trend") or 0.0 for s in samples], labels),
        baseline_top_k_precision=baseline_precision,
        notes=notes,
    )


def band_change_rate(bands_by_week: list[dict[int, str]]) -> float | None:
    """Mean share of accounts whose band differs from the week before."""
    rates = []
    for before, after in zip(bands_by_week, bands_by_week[1:], strict=False):
        common = before.keys() & after.keys()
        if common:
            rates.append(sum(1 for c in common if before[c] != after[c]) / len(common))
    return _mean(rates) if rates else None


def _mean(values: list[float]) -> float:
    return math.fsum(values) / len(values) if values else 0.0
