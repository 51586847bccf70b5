"""The churn-risk engine: model versions, the nightly set-based recompute, bands and hysteresis.

``risk_recompute`` scores every customer active on a date in a fixed number of queries (see
``signals``), combines the factors in one Python pass and upserts one snapshot per customer and
date in bulk, in one transaction. Re-running a date rewrites that date's snapshots identically;
other dates are never touched.

Decisions where RISK.md is silent:

- Completeness below ``bands.min_completeness`` makes the account grey, but the score of the
  factors that do have data is still stored (null only when no factor has data), so a reader can
  see it beside "insufficient data".
- A trip-wire overrides grey: known evidence of red or amber beats "insufficient data".
- Hysteresis compares with the customer's latest snapshot before the date if it is at most
  ``bands.hysteresis_max_gap_days`` old; a grey or missing previous snapshot means no hysteresis.
- ``bands`` in the result counts the displayed band (after overrides).
"""

import copy
import gc
import os
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from numbers import Real

import billiard
import orjson
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import RiskBand, RiskModelVersion, RiskOverride, RiskSnapshot
from keyaccounts.bulk import copy_insert, copy_rows, copy_text, copy_upsert, upsert
from keyaccounts.bulk import fields as bulk_fields
from keyaccounts.clock import business_today
from relationships.models import Department

from .defaults import DEFAULT_PARAMETERS, DEFAULT_WEIGHTS, FACTORS
from .factors import FactorResult, Tripwire, score_factors, tripwires
from .signals import CustomerData, collect, customers_active_on

BATCH_SIZE = 2000
BAND_ORDER = (RiskBand.GREEN, RiskBand.AMBER, RiskBand.RED)
# A trip-wire's reason says the same as one factor reason; show it once, as the trip-wire.
_SUPERSEDED_BY_TRIPWIRE = {
    "tripwire_criterion_alarm": ("criterion_alarm", "criterion"),
    "tripwire_revenue_collapse": ("revenue_down", None),
    "tripwire_decision_maker_gone": ("key_person_left", "name"),
}
_SUPERSEDED_BY_TRIPWIRE_KEYS = {code: key for code, key in _SUPERSEDED_BY_TRIPWIRE.values()}
# The snapshot's columns in COPY order, as ``accounts.bulk.copy_rows`` writes them; checked
# against the model before each use, so a new field cannot be written in the wrong place.
_SNAPSHOT_COPY_COLUMNS = [
    "customer_id",
    "as_of",
    "model_version_id",
    "score",
    "computed_band",
    "band",
    "completeness",
    "factors",
    "tripwires",
    "reasons",
    "score_change_7d",
    "score_change_30d",
    "tier",
    "revenue_12m",
    "computed_at",
]
# A date scored again rewrites everything but the key.
_SNAPSHOT_UPDATE_FIELDS = [
    column.removesuffix("_id") for column in _SNAPSHOT_COPY_COLUMNS if column not in ("customer_id", "as_of")
]


class RiskModelError(Exception):
    """The risk model version cannot be used: bad weights or parameters, or none is active."""


# Model versions -----------------------------------------------------------------------------


def validate_model(*, weights: dict, parameters: dict | None) -> dict:
    """Check a version's weights and parameters; return the parameters merged over the defaults.

    Raises RiskModelError naming the first problem: unknown factors or parameters, weights that are
    not non-negative numbers summing to more than zero, grids that are not ``[value, risk 0-100]``
    pairs, or thresholds out of order.
    """
    if not isinstance(weights, dict) or not weights:
        raise RiskModelError(_("The weights must map factor names to numbers."))
    unknown = sorted(set(weights) - set(FACTORS))
    if unknown:
        raise RiskModelError(
            _("Unknown factor(s) in the weights: %(names)s. Known factors: %(known)s.")
            % {"names": ", ".join(unknown), "known": ", ".join(FACTORS)}
        )
    for name, value in weights.items():
        if not _is_number(value) or value < 0:
            raise RiskModelError(_("The weight of %(factor)s must be a number of 0 or more.") % {"factor": name})
    if not sum(weights.values()) > 0:
        raise RiskModelError(_("The factor weights must add up to more than zero."))

    merged = _merge_parameters(DEFAULT_PARAMETERS, parameters or {}, "parameters")
    bands = merged["bands"]
    if not 0 < bands["amber"] < bands["red"] <= 100:
        raise RiskModelError(_("Band thresholds must satisfy 0 < amber < red ≤ 100."))
    if not 0 <= bands["min_completeness"] <= 1:
        raise RiskModelError(_("The minimum data completeness must be between 0 and 1."))
    if not 0 < merged["tripwires"]["revenue_drop_share"] < 1:
        raise RiskModelError(_("The revenue drop of the trip-wire must be a share between 0 and 1."))
    if not 1 <= merged["tripwires"]["criterion_min_importance"] <= 5:
        raise RiskModelError(_("The criterion importance of the trip-wire must be between 1 and 5."))
    departments = merged["relationship"]["key_departments"]
    if not departments or set(departments) - set(Department.values):
        raise RiskModelError(
            _("Key departments must be a non-empty list of: %(known)s.") % {"known": ", ".join(Department.values)}
        )
    for factor in FACTORS:
        signal_weights = merged[factor].get("signal_weights")
        if signal_weights is not None and not sum(signal_weights.values()) > 0:
            raise RiskModelError(
                _("The signal weights of %(factor)s must add up to more than zero.") % {"factor": factor}
            )
    tiering = merged["tiering"]
    if not 0 < tiering["key_share"] <= 1:
        raise RiskModelError(_("The key-account share must be above 0 and at most 1."))
    if tiering["months_below_to_leave"] < 1 or tiering["curve_points"] < 2:
        raise RiskModelError(_("Tiering needs at least one month below the cut-off and two curve points."))
    return merged


def _is_number(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _merge_parameters(defaults: dict, given, path: str) -> dict:
    if not isinstance(given, dict):
        raise RiskModelError(_("%(path)s must be a mapping.") % {"path": path})
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise RiskModelError(
            _("Unknown setting(s) in %(path)s: %(names)s.") % {"path": path, "names": ", ".join(unknown)}
        )
    merged = copy.deepcopy(defaults)
    for key, value in given.items():
        where = f"{path}.{key}"
        default = defaults[key]
        if isinstance(default, dict):
            merged[key] = _merge_parameters(default, value, where)
        elif key.endswith("_grid"):
            merged[key] = _check_grid(value, where)
        elif isinstance(default, list):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise RiskModelError(_("%(path)s must be a list of names.") % {"path": where})
            merged[key] = list(value)
        else:
            if not _is_number(value) or value < 0:
                raise RiskModelError(_("%(path)s must be a number of 0 or more.") % {"path": where})
            if key.endswith("_risk") and value > 100:
                raise RiskModelError(_("%(path)s is a risk and must be between 0 and 100.") % {"path": where})
            merged[key] = value
    for key, value in merged.items():
        # Risk tables (per situation, per level) hold risks too.
        if key in ("situation_risk", "relationship_level_risk") and not all(
            _is_number(v) and 0 <= v <= 100 for v in value.values()
        ):
            raise RiskModelError(_("%(path)s.%(key)s must hold risks between 0 and 100.") % {"path": path, "key": key})
    return merged


def _check_grid(value, path: str) -> list:
    if (
        not isinstance(value, list)
        or len(value) < 2
        or not all(
            isinstance(point, list | tuple) and len(point) == 2 and all(map(_is_number, point)) for point in value
        )
    ):
        raise RiskModelError(_("%(path)s must be a list of at least two [value, risk] pairs.") % {"path": path})
    if not all(0 <= point[1] <= 100 for point in value):
        raise RiskModelError(_("%(path)s: every risk must be between 0 and 100.") % {"path": path})
    return [list(point) for point in value]


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
                "notes": "Default model of RISK.md.",
            },
        )
    validate_model(weights=version.weights, parameters=version.parameters)
    return version


# Bands --------------------------------------------------------------------------------------


def band_for_score(score: float, *, amber: float, red: float) -> str:
    """The band a score falls in, before hysteresis and trip-wires."""
    if score >= red:
        return RiskBand.RED
    if score >= amber:
        return RiskBand.AMBER
    return RiskBand.GREEN


def settle_band(
    *,
    score: float,
    previous_band: str | None,
    previous_score: float | None,
    amber: float,
    red: float,
    margin: float,
) -> str:
    """The band after hysteresis: it moves across a threshold only if the score is past it by the
    margin, or the previous score was past it too (second night); otherwise it stays where it was.

    Moves over two thresholds (green to red) are taken one threshold at a time.
    """
    candidate = band_for_score(score, amber=amber, red=red)
    if previous_band not in BAND_ORDER or previous_score is None:
        return candidate
    position, target = BAND_ORDER.index(previous_band), BAND_ORDER.index(candidate)
    thresholds = (amber, red)  # between green|amber and amber|red
    while position != target:
        if target > position:
            threshold = thresholds[position]
            crossed = score - threshold >= margin or previous_score >= threshold
            step = 1
        else:
            threshold = thresholds[position - 1]
            crossed = threshold - score >= margin or previous_score < threshold
            step = -1
        if not crossed:
            break
        position += step
    return BAND_ORDER[position]


def _worst(bands: Iterable[str]) -> str:
    return max(bands, key=BAND_ORDER.index)


# Recompute ----------------------------------------------------------------------------------


@dataclass
class RecomputeResult:
    """What a recompute did: the date, how many customers it scored, per displayed band, and which model."""

    as_of: date
    customers_scored: int
    bands: Counter
    model_version: RiskModelVersion


@dataclass
class _History:
    previous: dict[int, tuple[float | None, str]]
    score_7d: dict[int, float | None]
    score_30d: dict[int, float | None]


def _prepare(*, as_of: date, model_version: RiskModelVersion | None, customer_ids) -> tuple[list, dict]:
    """Everything scoring needs, loaded with a fixed number of queries: signals, history, overrides."""
    today = business_today()
    if as_of > today:
        raise ValueError(
            _("Risk cannot be scored for %(date)s: it is after today (%(today)s).")
            % {"date": as_of.isoformat(), "today": today.isoformat()}
        )
    version = model_version if model_version is not None else active_model_version()
    parameters = validate_model(weights=version.weights, parameters=version.parameters)
    weights = {factor: version.weights.get(factor, 0) for factor in FACTORS}
    if customer_ids is not None:
        customer_ids = list(customer_ids)
    scope = customers_active_on(as_of, customer_ids)
    ids = scope.values("pk")
    max_gap_days = parameters["bands"]["hysteresis_max_gap_days"]
    scoring = {
        "as_of": as_of,
        "version": version,
        "weights": weights,
        "parameters": parameters,
        "history": _History(previous={}, score_7d={}, score_30d={}),
        "overrides": {},
    }
    # Read with the signals, in the same snapshot (and alongside them for a large book).
    also = [
        lambda: scoring.update(history=_load_history(ids, as_of, max_gap_days)),
        lambda: scoring.update(overrides=_load_overrides(ids, as_of)),
    ]
    data = collect(
        scope=scope,
        as_of=as_of,
        parameters=parameters,
        also=also,
        expected=None if customer_ids is None else len(customer_ids),
    )
    return list(data.values()), scoring


@contextmanager
def _without_cycle_collection():
    """Pause Python's cyclic garbage collector while a whole book is loaded and scored.

    A run builds millions of small objects (signal rows, factor results, snapshot values) and
    frees almost none of them until the end, so the collector, which runs every few hundred
    new objects, walks the ever larger heap again and again: half of the scoring time at
    100,000 customers. Those objects hold no reference cycles; reference counting frees them as
    usual, and collection resumes afterwards. Forked scoring processes inherit the pause.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@_without_cycle_collection()
def risk_score(
    *,
    as_of: date,
    model_version: RiskModelVersion | None = None,
    customer_ids: Iterable[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[RiskSnapshot]:
    """Score every customer active on ``as_of`` (or the given subset), writing nothing.

    Returns unsaved snapshots. Backtests replay past dates with this; ``risk_recompute`` stores
    its result. Raises ValueError for a date after today (in ``settings.TIME_ZONE``) and
    RiskModelError for an unusable model version.
    """
    items, scoring = _prepare(as_of=as_of, model_version=model_version, customer_ids=customer_ids)
    version = scoring["version"]
    snapshots: list[RiskSnapshot] = []
    for start in range(0, len(items), BATCH_SIZE):
        snapshots.extend(
            RiskSnapshot(model_version=version, **values)
            for values in _score_chunk_with(items[start : start + BATCH_SIZE], scoring)
        )
        if progress is not None:
            progress(len(snapshots), len(items))
    if progress is not None and not items:
        progress(0, 0)
    return snapshots


@_without_cycle_collection()
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
    items, scoring = _prepare(as_of=as_of, model_version=model_version, customer_ids=customer_ids)
    total, bands = len(items), Counter()
    if connection.vendor == "postgresql":
        done = 0

        def chunks():
            nonlocal done
            for count, chunk_bands, text in _scored_chunks(items, scoring):
                done += count
                bands.update(chunk_bands)
                if progress is not None:
                    progress(done, total)
                yield text

        with transaction.atomic():
            # A date scored for the first time, as every night, takes the straight COPY; a date
            # scored before is merged, so its snapshots are rewritten in place.
            if RiskSnapshot.objects.filter(as_of=as_of).exists():
                copy_upsert(
                    RiskSnapshot, chunks(), unique_fields=["customer", "as_of"], update_fields=_SNAPSHOT_UPDATE_FIELDS
                )
            else:
                copy_insert(RiskSnapshot, chunks())
    else:
        snapshots = risk_score(
            as_of=as_of, model_version=scoring["version"], customer_ids=customer_ids, progress=progress
        )
        upsert(
            RiskSnapshot,
            snapshots,
            unique_fields=["customer", "as_of"],
            update_fields=_SNAPSHOT_UPDATE_FIELDS,
            batch_size=BATCH_SIZE,
        )
        bands.update(s.band for s in snapshots)
    if progress is not None and total == 0:
        progress(0, 0)
    return RecomputeResult(as_of=as_of, customers_scored=total, bands=bands, model_version=scoring["version"])


# Scoring is pure Python once the signals are loaded; above this many customers it is split
# over the machine's cores in forked processes, which inherit the loaded data, touch no database
# connection and send back COPY text, far cheaper to pass between processes than model instances.
PARALLEL_MIN_CUSTOMERS = 20_000
_FORKED_WORK: tuple[list[CustomerData], dict] | None = None


def _scoring_processes(total: int) -> int:
    if total < PARALLEL_MIN_CUSTOMERS or "fork" not in billiard.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


def _score_chunk_with(items: list[CustomerData], scoring: dict) -> list[dict]:
    """The snapshots of a chunk of customers, as field values (cheaper than model instances)."""
    as_of, version_id = scoring["as_of"], scoring["version"].pk
    weights, parameters, history = scoring["weights"], scoring["parameters"], scoring["history"]
    overrides = scoring["overrides"]
    return [
        _snapshot(
            customer,
            as_of=as_of,
            version_id=version_id,
            weights=weights,
            parameters=parameters,
            history=history,
            override_band=overrides.get(customer.customer_id),
        )
        for customer in items
    ]


def _score_to_copy(items: list[CustomerData], scoring: dict) -> tuple[int, Counter, bytes]:
    snapshots = _score_chunk_with(items, scoring)
    return len(snapshots), Counter(s["band"] for s in snapshots), snapshot_copy_rows(snapshots)


def snapshot_copy_rows(snapshots: list[dict]) -> bytes:
    """``copy_rows(RiskSnapshot, snapshots)``, the same text, written for this one table, as UTF-8.

    A night writes 100,000 snapshots: converting each value by its field's kind, as the general
    function must, costs more than scoring a factor, and bytes go to the server as they are. Band,
    tier and date are plain words here, which need no escaping in COPY text; JSON escapes tabs
    and line breaks itself, only its backslashes are doubled.
    """
    if [f.attname for f in bulk_fields(RiskSnapshot)] != _SNAPSHOT_COPY_COLUMNS:
        return copy_rows(RiskSnapshot, snapshots).encode()
    if not snapshots:
        return b""
    tail = f"\t{copy_text(timezone.now())}".encode()
    null = r"\N"
    dumps = orjson.dumps
    lines = []
    for s in snapshots:
        score, change_7d, change_30d = s["score"], s["score_change_7d"], s["score_change_30d"]
        head = (
            f"{s['customer_id']}\t{s['as_of'].isoformat()}\t{s['model_version_id']}\t"
            f"{null if score is None else score}\t{s['computed_band']}\t{s['band']}\t{s['completeness']}\t"
        )
        rest = (
            f"\t{null if change_7d is None else change_7d}\t{null if change_30d is None else change_30d}"
            f"\t{s['tier']}\t{s['revenue_12m']}"
        )
        lines.append(
            b"".join(
                (
                    head.encode(),
                    dumps(s["factors"]).replace(b"\\", b"\\\\"),
                    b"\t",
                    dumps(s["tripwires"]).replace(b"\\", b"\\\\"),
                    b"\t",
                    dumps(s["reasons"]).replace(b"\\", b"\\\\"),
                    rest.encode(),
                    tail,
                )
            )
        )
    return b"\n".join(lines) + b"\n"


def _score_forked_chunk(bounds: tuple[int, int]) -> tuple[int, Counter, bytes]:
    items, scoring = _FORKED_WORK
    return _score_to_copy(items[bounds[0] : bounds[1]], scoring)


def _scored_chunks(items: list[CustomerData], scoring: dict):
    """(count, bands, COPY text) per chunk of customers, in processes when the book is large."""
    global _FORKED_WORK
    total = len(items)
    workers = _scoring_processes(total)
    if workers == 1:
        for start in range(0, total, BATCH_SIZE):
            yield _score_to_copy(items[start : start + BATCH_SIZE], scoring)
        return
    # Many small chunks: the last one, written after all are scored, is short.
    chunk = max(BATCH_SIZE, -(-total // (workers * 16)))
    bounds = [(start, min(start + chunk, total)) for start in range(0, total, chunk)]
    _FORKED_WORK = (items, scoring)
    # Frozen objects are left alone by the children's garbage collector, so the loaded data is
    # not copied page by page into every child.
    gc.freeze()
    try:
        # billiard (Celery's multiprocessing) lets a Celery prefork worker, itself a daemonic
        # process, start this pool; the standard library refuses that.
        with billiard.get_context("fork").Pool(workers) as pool:
            yield from pool.imap(_score_forked_chunk, bounds)
    finally:
        gc.unfreeze()
        _FORKED_WORK = None


def _load_history(ids, as_of: date, max_gap_days: int) -> _History:
    """Earlier snapshots needed for hysteresis and trend, for every customer in one query."""
    day_7, day_30 = as_of - timedelta(days=7), as_of - timedelta(days=30)
    window = Q(as_of__gte=as_of - timedelta(days=max_gap_days), as_of__lt=as_of) if max_gap_days else Q(pk__in=[])
    rows = (
        RiskSnapshot.objects.filter(customer_id__in=ids)
        .filter(window | Q(as_of__in=[day_7, day_30]))
        .order_by("customer_id", "as_of")
        .values_list("customer_id", "as_of", "score", "computed_band")
    )
    history = _History(previous={}, score_7d={}, score_30d={})
    gap_from = as_of - timedelta(days=max_gap_days)
    for customer_id, day, score, computed_band in rows:
        if day == day_7:
            history.score_7d[customer_id] = score
        if day == day_30:
            history.score_30d[customer_id] = score
        if max_gap_days and day >= gap_from:
            # Ordered by date, so the last one seen is the latest before as_of.
            history.previous[customer_id] = (score, computed_band)
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


def _snapshot(
    customer: CustomerData,
    *,
    as_of: date,
    version_id: int,
    weights: dict,
    parameters: dict,
    history: _History,
    override_band: str | None,
) -> dict:
    """One customer's snapshot as a mapping of RiskSnapshot field (attribute) names to values."""
    results = score_factors(customer, as_of, parameters)
    total_weight = sum(weights.values())
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

    bands = parameters["bands"]
    fired = tripwires(customer, as_of, parameters)
    if fired:
        fired.sort(key=lambda t: -BAND_ORDER.index(t.band))
    customer_id = customer.customer_id
    if score is None or completeness < bands["min_completeness"]:
        computed = RiskBand.GREY
    else:
        previous_score, previous_band = history.previous.get(customer_id, (None, None))
        computed = settle_band(
            score=score,
            previous_band=previous_band,
            previous_score=previous_score,
            amber=bands["amber"],
            red=bands["red"],
            margin=bands["hysteresis_margin"],
        )
    if fired:
        computed = _worst([t.band for t in fired] + ([computed] if computed != RiskBand.GREY else []))

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
        "tripwires": [t.code for t in fired],
        "reasons": _rank_reasons(results, fired, weights, parameters["reasons"]["min_factor_risk"]),
        "score_change_7d": _change(score, history.score_7d.get(customer_id)),
        "score_change_30d": _change(score, history.score_30d.get(customer_id)),
        "tier": customer.tier,
        "revenue_12m": orders["revenue_12m"] if orders else Decimal(0),
    }


def _change(score: float | None, earlier: float | None) -> float | None:
    if score is None or earlier is None:
        return None
    return round(score - earlier, 1)


def _rank_reasons(
    results: dict[str, FactorResult], fired: list[Tripwire], weights: dict, min_factor_risk: float
) -> list:
    """Trip-wires first (red before amber), then factor reasons by the points of score they explain."""
    superseded = set()
    for tripwire in fired:
        code, key = _SUPERSEDED_BY_TRIPWIRE.get(tripwire.reason["code"], (None, None))
        if code:
            superseded.add((code, tripwire.reason["params"].get(key) if key else None))
    ranked = []
    for position, factor in enumerate(FACTORS):
        result = results[factor]
        weight = weights[factor]
        if result.risk is None or weight <= 0 or result.risk < min_factor_risk:
            continue
        for points, reason in result.reasons:
            if superseded:
                key = _SUPERSEDED_BY_TRIPWIRE_KEYS.get(reason["code"])
                if (reason["code"], reason["params"].get(key) if key else None) in superseded:
                    continue
            ranked.append((-weight * points, position, reason))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [t.reason for t in fired] + [reason for _points, _position, reason in ranked]
