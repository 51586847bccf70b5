"""Checking the risk score against what really happened (docs/risk-method.md, "Backtest").

The scorer is replayed at past month ends using only records dated on or before each date, and
each customer's sample is labelled with what happened in the horizon after it (``labels_as_of``).
This module holds the samples and the measures; ``evaluation`` runs a whole backtest out of time
and builds its report.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from dateutil.relativedelta import relativedelta
from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import ChurnReason, Customer, Order

from .order_loaders import order_aggregates

REVENUE_COLLAPSE_SHARE = Decimal("0.2")
COLLAPSE_MIN_ORDERS = 3
# The label's components, in the order they take precedence.
RECORDED_CHURN, LAPSE, COLLAPSE = "recorded_churn", "lapse", "collapse"
COMPONENTS = (RECORDED_CHURN, LAPSE, COLLAPSE)


@dataclass(slots=True)
class Sample:
    """One customer scored at one replay date, what was known of its orders then, and what happened."""

    as_of: date
    customer_id: int
    score: float
    band: str
    factor_risks: dict[str, float | None]
    # Every signal's risk by (factor, signal), None where it had no data; the trip-wires that fired.
    signal_risks: dict[tuple[str, str], float | None]
    tripwires: list[str]
    label: int
    component: str
    revenue_12m: float
    churned_on: date | None
    # Recency, frequency, monetary value and tenure as of the date, for the baselines: days since
    # the last order (since becoming a customer if none), orders and revenue over the last 365
    # days, days since the first order (or since becoming a customer).
    recency_days: int
    orders_12m: int
    revenue_12m_orders: float
    tenure_days: int


def roc_auc(scores, labels) -> float | None:
    """Area under the ROC curve by ranks (Mann-Whitney U), ties sharing the average rank."""
    scores, labels = np.asarray(scores, dtype=float), np.asarray(labels, dtype=bool)
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    return float((_average_ranks(scores)[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, tied values sharing the mean of their ranks."""
    unique, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return ((ends - counts + 1 + ends) / 2)[inverse]


def bootstrap_auc(scores, labels, clusters, *, rounds: int = 200, seed: int = 0) -> tuple[float, float] | None:
    """A 95% interval of the AUC by resampling whole customers (their samples are not independent)."""
    scores, labels, clusters = np.asarray(scores, float), np.asarray(labels, bool), np.asarray(clusters)
    if len(scores) == 0:
        return None
    ids, members = np.unique(clusters, return_inverse=True)
    order = np.argsort(members, kind="stable")
    starts = np.searchsorted(members[order], np.arange(len(ids)))
    sizes = np.diff(np.append(starts, len(order)))
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(rounds):
        picked = rng.integers(0, len(ids), len(ids))
        index = np.concatenate([order[starts[c] : starts[c] + sizes[c]] for c in picked])
        auc = roc_auc(scores[index], labels[index])
        if auc is not None:
            values.append(auc)
    if not values:
        return None
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def roc_points(scores, labels, *, points: int = 101) -> list[list[float]]:
    """At most ``points`` [false-positive rate, true-positive rate] pairs, from (0, 0) to (1, 1)."""
    scores, labels = np.asarray(scores, float), np.asarray(labels, bool)
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if positives == 0 or negatives == 0:
        return []
    order = np.argsort(-scores, kind="stable")
    ranked_scores, ranked = scores[order], labels[order]
    # Cut only between different scores: tied samples move the curve together.
    cuts = np.flatnonzero(np.diff(ranked_scores)) + 1
    cuts = np.append(cuts, len(ranked))
    if len(cuts) > points - 1:
        cuts = cuts[np.linspace(0, len(cuts) - 1, points - 1).round().astype(int)]
    tp = np.cumsum(ranked)[cuts - 1]
    fp = cuts - tp
    curve = [[0.0, 0.0]] + [[round(f / negatives, 4), round(t / positives, 4)] for f, t in zip(fp, tp, strict=True)]
    return curve


def lift_curve(groups: list[tuple[list[float], list[int]]], *, steps: int = 20) -> list[list[float]]:
    """[share of accounts contacted, lift] for the top 5%, 10%, … of each date's ranking, pooled."""
    total = sum(len(labels) for _scores, labels in groups)
    lost = sum(sum(labels) for _scores, labels in groups)
    if not total or not lost:
        return []
    base = lost / total
    curve = []
    for step in range(1, steps + 1):
        share = step / steps
        picks = [(scores, labels, math.ceil(share * len(labels))) for scores, labels in groups]
        precision = precision_at_k(picks)
        if precision is not None:
            curve.append([round(share, 3), round(precision / base, 3)])
    return curve


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


def _orders_by_customer(first: date, last: date) -> dict[int, tuple[int, Decimal]]:
    """Per customer: orders and revenue dated from ``first`` to ``last``, both included."""
    rows = (
        Order.objects.filter(ordered_on__gte=first, ordered_on__lte=last)
        .order_by()
        .values("customer_id")
        .annotate(
            orders=Count("pk"),
            total=Coalesce(Sum("amount"), Value(Decimal(0)), output_field=DecimalField()),
        )
        .values_list("customer_id", "orders", "total")
    )
    return {customer_id: (orders, total) for customer_id, orders, total in rows}


def labels_as_of(
    *, as_of: date, horizon_days: int, churn: dict[int, tuple[date, str]]
) -> dict[int, tuple[int, str] | None]:
    """What happened to each customer in the horizon after ``as_of`` (docs/risk-method.md, "Label").

    Returns customer → (1, component) for a loss, (0, "") for retained, None for left out;
    a customer missing from the result is left out as well (it had no orders in the look-back and
    no recorded churn). The look-back is as long as the horizon and ends on ``as_of``.

    1. A churn recorded within the horizon: lost ("recorded_churn") if its reason is controllable,
       left out if not. An uncontrollable churn up to twice the horizon ahead also leaves the
       customer out: its fading orders before it are not what the score is meant to predict.
    2. A customer with orders in the look-back and none in the horizon: lost ("lapse").
    3. One regular enough to judge (``COLLAPSE_MIN_ORDERS`` orders in the look-back) whose revenue
       in the horizon is below ``REVENUE_COLLAPSE_SHARE`` of the look-back's: lost ("collapse").
    4. Any other customer with orders in the look-back: retained.
    """
    horizon = timedelta(days=horizon_days)
    before = _orders_by_customer(as_of - horizon + timedelta(days=1), as_of)
    after = _orders_by_customer(as_of + timedelta(days=1), as_of + horizon)
    labels: dict[int, tuple[int, str] | None] = {}
    for customer_id, (orders, revenue) in before.items():
        later_orders, later_revenue = after.get(customer_id, (0, Decimal(0)))
        if later_orders == 0:
            labels[customer_id] = (1, LAPSE)
        elif orders >= COLLAPSE_MIN_ORDERS and revenue > 0 and later_revenue < REVENUE_COLLAPSE_SHARE * revenue:
            labels[customer_id] = (1, COLLAPSE)
        else:
            labels[customer_id] = (0, "")
    uncontrollable = ChurnReason.uncontrollable()
    for customer_id, (churned_on, reason) in churn.items():
        if churned_on <= as_of:
            continue
        if reason in uncontrollable:
            if churned_on <= as_of + 2 * horizon:
                labels[customer_id] = None
        elif churned_on <= as_of + horizon:
            labels[customer_id] = (1, RECORDED_CHURN)
    return labels


def customers_with_churn() -> dict[int, tuple[date, str]]:
    """Every recorded churn: customer → (date, reason)."""
    return {
        pk: (day, reason)
        for pk, day, reason in Customer.objects.filter(~Q(churned_on=None)).values_list(
            "pk", "churned_on", "churn_reason"
        )
    }


def order_features(as_of: date) -> dict[int, tuple[date, date, int, float]]:
    """Per customer with orders on or before the date: first and last order day, orders and
    revenue over the 365 days ending on it (from the scorer's own ``order_aggregates``)."""
    rows = order_aggregates(as_of, 1).values_list(
        "customer_id", "first_order_on", "last_order_on", "orders_12m", "revenue_12m"
    )
    return {pk: (first, last, orders, float(revenue or 0)) for pk, first, last, orders, revenue in rows}


def collect_samples(
    *,
    dates: list[date],
    horizon_days: int,
    score_as_of: Callable[[date], Iterable],
    progress: Callable[[], None] | None = None,
) -> list[Sample]:
    """Replay ``score_as_of`` at each date and label every customer it scores.

    ``score_as_of(day)`` yields unsaved snapshots (``RiskSnapshot``: customer_id, score,
    computed_band, factors, tripwires, revenue_12m) of the customers active on that day, computed
    from records dated on or before it, writing nothing.
    Customers with no score, and those the label leaves out, give no sample.
    """
    churn = customers_with_churn()
    since = dict(Customer.objects.values_list("pk", "customer_since"))
    samples: list[Sample] = []
    for day in dates:
        labels = labels_as_of(as_of=day, horizon_days=horizon_days, churn=churn)
        features = order_features(day)
        for snapshot in score_as_of(day):
            customer_id, score, factors = snapshot.customer_id, snapshot.score, snapshot.factors
            label = labels.get(customer_id)
            if label is None or score is None:
                continue
            first, last, orders, revenue = features.get(customer_id, (None, None, 0, 0.0))
            joined = since.get(customer_id) or day
            samples.append(
                Sample(
                    as_of=day,
                    customer_id=customer_id,
                    score=score,
                    band=snapshot.computed_band,
                    factor_risks={name: f.get("risk") for name, f in factors.items()},
                    signal_risks={
                        (name, signal): pair[1] for name, f in factors.items() for signal, pair in f["signals"].items()
                    },
                    tripwires=list(snapshot.tripwires),
                    label=label[0],
                    component=label[1],
                    revenue_12m=float(snapshot.revenue_12m or 0),
                    churned_on=churn.get(customer_id, (None, ""))[0],
                    recency_days=(day - (last or joined)).days,
                    orders_12m=orders,
                    revenue_12m_orders=revenue,
                    tenure_days=(day - (first or joined)).days,
                )
            )
        if progress:
            progress()
    return samples


def band_change_rate(bands_by_week: list[dict[int, str]]) -> float | None:
    """Mean share of accounts whose band differs from the week before."""
    rates = []
    for before, after in zip(bands_by_week, bands_by_week[1:], strict=False):
        common = before.keys() & after.keys()
        if common:
            rates.append(sum(1 for c in common if before[c] != after[c]) / len(common))
    return math.fsum(rates) / len(rates) if rates else None
