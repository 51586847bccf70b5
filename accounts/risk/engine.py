"""The churn-risk engine: a run of the model over a book, from model version to stored snapshots.

``risk_recompute`` scores every customer active on a date in a fixed number of queries
(``loaders``), combines the factors in one Python pass and upserts one snapshot per customer and
date in bulk, in one transaction. Re-running a date rewrites that date's snapshots identically;
other dates are never touched. ``risk_score`` scores the same way and writes nothing. How a run is
made fast (one database snapshot over several connections, COPY) is
``plumbing``'s; what a score means is ``factors``', ``bands``' and ``reasons``' (docs/risk-method.md).

Decisions where the method is silent:

- Completeness below ``bands.min_completeness`` makes an account without order data grey, but
  the score of the factors that do have data is still stored (null only when no factor has
  data), so a reader can see it beside "insufficient data". A customer with orders is always
  banded: its buying is evidence enough, and a book with nothing but an ERP's orders must work.
- A trip-wire overrides grey: known evidence of red or amber beats "insufficient data".
- Hysteresis compares with the customer's latest snapshot before the date if it is at most
  ``bands.hysteresis_max_gap_days`` old; a grey or missing previous snapshot means no hysteresis.
- ``bands`` in the result counts the displayed band (after overrides).
"""

import copy
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import partial

from django.db import connection
from django.db.models import Q
from django.utils import formats
from django.utils.translation import gettext as _

from accounts.models import RiskModelVersion, RiskOverride, RiskSnapshot
from keyaccounts.clock import business_today

from . import plumbing
from .bands import computed_band, tripwires
from .defaults import DEFAULT_PARAMETERS, DEFAULT_WEIGHTS, FACTORS
from .factors import score_factors
from .loaders import collect
from .parameters import RiskError, RiskModelError, RiskParameters, validate_model
from .reasons import rank_reasons
from .signals import CustomerData, customers_active_on

__all__ = [
    "BATCH_SIZE",
    "check_date",
    "RecomputeResult",
    "RiskError",
    "RiskModelError",
    "active_model_version",
    "risk_recompute",
    "risk_score",
    "validate_model",
]

BATCH_SIZE = 2000


def active_model_version() -> RiskModelVersion:
    """The active model version, after checking it; version 1 is created from the defaults on first use."""
    version = RiskModelVersion.objects.filter(is_active=True).first()
    if version is None:
        if RiskModelVersion.objects.exists():
            raise RiskModelError(_("No risk model version is active. Activate one in the admin."))
        version, _created = RiskModelVersion.objects.get_or_create(
            version=1,
            defaults={
                "is_active": True,
                "weights": copy.deepcopy(DEFAULT_WEIGHTS),
                "parameters": copy.deepcopy(DEFAULT_PARAMETERS),
                "notes": "Default model of docs/risk-method.md.",
            },
        )
    validate_model(weights=version.weights, parameters=version.parameters)
    return version


@dataclass
class RecomputeResult:
    """What a recompute did: the date, how many customers it scored, per displayed band, and which model."""

    as_of: date
    customers_scored: int
    bands: Counter
    model_version: RiskModelVersion
    # A book scored in chunks (``chunks``): how many, and how many worker processes scored them.
    chunks: int = 1
    processes: int = 1


@dataclass(frozen=True, slots=True)
class History:
    """Earlier snapshots by customer: the latest one within the hysteresis gap (score, computed
    band), and the scores 7 and 30 days before, for the trend."""

    previous: dict[int, tuple[float | None, str]]
    score_7d: dict[int, float | None]
    score_30d: dict[int, float | None]


@dataclass(frozen=True, slots=True)
class ScoringRun:
    """What scoring a date reads besides each customer's signals, loaded once for the whole book."""

    as_of: date
    version: RiskModelVersion
    parameters: RiskParameters
    history: History
    # The manual band in force on the date, by customer.
    overrides: dict[int, str]


@plumbing.without_cycle_collection()
def risk_score(
    *,
    as_of: date,
    model_version: RiskModelVersion | None = None,
    customer_ids: Iterable[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
    previous: dict[int, tuple[float | None, str]] | None = None,
) -> list[RiskSnapshot]:
    """Score every customer active on ``as_of`` (or the given subset), writing nothing.

    Returns unsaved snapshots. Backtests replay past dates with this; ``risk_recompute`` stores
    its result. ``previous`` replaces the stored snapshots as the night before (customer → score
    and computed band) for hysteresis, so that a replay of consecutive nights settles bands
    exactly as the nightly job would; the 7- and 30-day changes are then left empty. Raises
    RiskError (a ValidationError) for a date after today (in ``settings.TIME_ZONE``) and
    RiskModelError for an unusable model version.
    """
    items, run = prepare_scoring(as_of=as_of, model_version=model_version, customer_ids=customer_ids, previous=previous)
    return _snapshots(items, run, progress)


@plumbing.without_cycle_collection()
def risk_recompute(
    *,
    as_of: date,
    model_version: RiskModelVersion | None = None,
    customer_ids: Iterable[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RecomputeResult:
    """Score every customer active on ``as_of`` (or the given subset) and upsert their snapshots.

    The write is one transaction, so a run killed half-way leaves nothing half-written, and
    re-running the date gives the same snapshots. On PostgreSQL the snapshots are scored in chunks
    (over several processes for a large book) and streamed to the server with COPY while the next
    chunk is scored.
    """
    items, run = prepare_scoring(as_of=as_of, model_version=model_version, customer_ids=customer_ids)
    total, bands = len(items), Counter()
    if connection.vendor == "postgresql":
        done = 0

        def chunks():
            nonlocal done
            for count, chunk_bands, text in plumbing.scored_batches(
                items, partial(score_customers, run=run), batch_size=BATCH_SIZE
            ):
                done += count
                bands.update(chunk_bands)
                if progress is not None:
                    progress(done, total)
                yield text

        scored = None if customer_ids is None else [item.customer_id for item in items]
        plumbing.copy_snapshots(chunks(), as_of=as_of, customer_ids=scored)
    else:
        snapshots = _snapshots(items, run, progress)
        plumbing.upsert_snapshots(snapshots, batch_size=BATCH_SIZE)
        bands.update(s.band for s in snapshots)
    if progress is not None and total == 0:
        progress(0, 0)
    return RecomputeResult(as_of=as_of, customers_scored=total, bands=bands, model_version=run.version)


def check_date(as_of: date) -> None:
    """RiskError for a date after today (in ``settings.TIME_ZONE``): risk is never scored ahead."""
    today = business_today()
    if as_of > today:
        raise RiskError(
            _("Risk cannot be scored for %(date)s: it is after today (%(today)s).")
            % {"date": formats.date_format(as_of, "DATE_FORMAT"), "today": formats.date_format(today, "DATE_FORMAT")},
            code="after_today",
        )


def prepare_scoring(
    *, as_of: date, model_version: RiskModelVersion | None, customer_ids, previous=None
) -> tuple[list[CustomerData], ScoringRun]:
    """Everything scoring needs, loaded with a fixed number of queries: signals, history, overrides."""
    check_date(as_of)
    version = model_version if model_version is not None else active_model_version()
    parameters = RiskParameters.of_version(version)
    if customer_ids is not None:
        customer_ids = list(customer_ids)
    scope = customers_active_on(as_of, customer_ids)
    ids = scope.values("pk")
    max_gap_days = parameters.bands.hysteresis_max_gap_days
    loaded = {}
    # Read with the signals, in the same snapshot (and alongside them for a large book).
    also = [lambda: loaded.update(overrides=_load_overrides(ids, as_of))]
    if previous is None:
        also.append(lambda: loaded.update(history=_load_history(ids, as_of, max_gap_days)))
    else:
        loaded["history"] = History(previous=previous, score_7d={}, score_30d={})
    data = collect(
        scope=scope,
        as_of=as_of,
        parameters=parameters,
        also=also,
        expected=None if customer_ids is None else len(customer_ids),
    )
    run = ScoringRun(
        as_of=as_of,
        version=version,
        parameters=parameters,
        history=loaded.get("history") or History(previous={}, score_7d={}, score_30d={}),
        overrides=loaded.get("overrides") or {},
    )
    return list(data.values()), run


def _snapshots(
    items: list[CustomerData], run: ScoringRun, progress: Callable[[int, int], None] | None
) -> list[RiskSnapshot]:
    """The unsaved snapshots of the customers, scored a batch at a time (for the progress)."""
    version = run.version
    snapshots: list[RiskSnapshot] = []
    for start in range(0, len(items), BATCH_SIZE):
        snapshots.extend(
            RiskSnapshot(model_version=version, **values)
            for values in score_customers(items[start : start + BATCH_SIZE], run)
        )
        if progress is not None:
            progress(len(snapshots), len(items))
    if progress is not None and not items:
        progress(0, 0)
    return snapshots


def score_customers(items: list[CustomerData], run: ScoringRun) -> list[dict]:
    """The snapshots of a chunk of customers, as field values (cheaper than model instances)."""
    as_of, version_id, parameters, history = run.as_of, run.version.pk, run.parameters, run.history
    overrides = run.overrides
    return [
        _snapshot(
            customer,
            as_of=as_of,
            version_id=version_id,
            parameters=parameters,
            history=history,
            override_band=overrides.get(customer.customer_id),
        )
        for customer in items
    ]


def _snapshot(
    customer: CustomerData,
    *,
    as_of: date,
    version_id: int,
    parameters: RiskParameters,
    history: History,
    override_band: str | None,
) -> dict:
    """One customer's snapshot as a mapping of RiskSnapshot field (attribute) names to values."""
    results = score_factors(customer, as_of, parameters)
    weights = parameters.weights
    total_weight = parameters.total_weight
    # Each factor as stored, and the weighted mean over the weighted factors that have data
    # (summed in the order of the factors).
    factors = {}
    present_weight, weighted_sum = 0, 0
    for factor, result in results.items():
        risk, weight = result.risk, weights[factor]
        if risk is None:
            factors[factor] = {"risk": None, "weight": weight, "signals": result.signals}
            continue
        factors[factor] = {"risk": round(risk, 1), "weight": weight, "signals": result.signals}
        if weight > 0:
            present_weight += weight
            weighted_sum += weight * risk
    completeness = present_weight / total_weight if total_weight else 0.0
    score = None
    if present_weight:
        score = round(min(max(weighted_sum / present_weight, 0.0), 100.0), 1)

    fired = tripwires(customer, as_of, parameters)
    customer_id = customer.customer_id
    # A customer with orders is judged on its behaviour whatever else is recorded: it is banded
    # (the minimum completeness applies to customers without order data).
    judged = 1.0 if results["purchase_trend"].risk is not None else completeness
    computed = computed_band(
        score=score,
        completeness=judged,
        previous=history.previous.get(customer_id, (None, None)),
        fired=fired,
        bands=parameters.bands,
    )
    orders = customer.orders
    return {
        "customer_id": customer_id,
        "as_of": as_of,
        "model_version_id": version_id,
        "score": score,
        "computed_band": computed,
        "band": override_band or computed,
        "completeness": round(completeness, 4),
        "factors": factors,
        "factor_risks": [factors[factor]["risk"] if factor in factors else None for factor in FACTORS],
        "tripwires": [t.code for t in fired],
        "reasons": rank_reasons(results, fired, weights, parameters.reasons.min_factor_risk),
        "score_change_7d": _change(score, history.score_7d.get(customer_id)),
        "score_change_30d": _change(score, history.score_30d.get(customer_id)),
        "tier": customer.tier,
        "revenue_12m": orders.revenue_12m if orders else Decimal(0),
    }


def _change(score: float | None, earlier: float | None) -> float | None:
    if score is None or earlier is None:
        return None
    return round(score - earlier, 1)


def _load_history(ids, as_of: date, max_gap_days: int) -> History:
    """Earlier snapshots needed for hysteresis and trend, for every customer in one query."""
    day_7, day_30 = as_of - timedelta(days=7), as_of - timedelta(days=30)
    window = Q(as_of__gte=as_of - timedelta(days=max_gap_days), as_of__lt=as_of) if max_gap_days else Q(pk__in=[])
    rows = (
        RiskSnapshot.objects.filter(customer_id__in=ids)
        .filter(window | Q(as_of__in=[day_7, day_30]))
        .order_by("customer_id", "as_of")
        .values_list("customer_id", "as_of", "score", "computed_band")
    )
    history = History(previous={}, score_7d={}, score_30d={})
    gap_from = as_of - timedelta(days=max_gap_days)
    for customer_id, day, score, band in rows:
        if day == day_7:
            history.score_7d[customer_id] = score
        if day == day_30:
            history.score_30d[customer_id] = score
        if max_gap_days and day >= gap_from:
            # Ordered by date, so the last one seen is the latest before as_of.
            history.previous[customer_id] = (score, band)
    return history


def _load_overrides(ids, as_of: date) -> dict[int, str]:
    """The manual band in force on the date per customer: started, not yet expired, not ended."""
    rows = (
        RiskOverride.objects.filter(customer_id__in=ids, starts_on__lte=as_of, expires_on__gt=as_of)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=as_of))
        .order_by("customer_id", "starts_on", "pk")
        .values("customer_id", "band")
    )
    return {row["customer_id"]: row["band"] for row in rows}
