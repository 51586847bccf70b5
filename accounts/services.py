"""Writes: the nightly risk job, alerts and manual overrides.

Every function here is keyword-only and transactional; views, tasks and commands stay thin.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from keyaccounts.clock import business_today
from keyaccounts.editing import StaleEdit, lock_unchanged

from .locking import LockHeld, job_lock
from .models import (
    MAX_OVERRIDE_DAYS,
    AccountPlan,
    Alert,
    AlertKind,
    Competitor,
    Customer,
    Incentive,
    Product,
    ProductNeed,
    PurchaseCriterion,
    RiskBand,
    RiskOverride,
    RiskRun,
    RiskSnapshot,
)
from .portfolio import portfolio_summaries_refresh
from .risk.engine import risk_recompute
from .risk.tiering import tiering_run

logger = logging.getLogger(__name__)

BAND_ORDER = {RiskBand.GREEN: 0, RiskBand.AMBER: 1, RiskBand.RED: 2}
SCORE_JUMP_POINTS = 15
# The lock outlives the task's hard time limit a little, so a killed worker frees it soon after.
NIGHTLY_LOCK_SECONDS = 40 * 60


@dataclass
class AlertCandidate:
    customer_id: int
    kind: str
    details: dict = field(default_factory=dict)


@transaction.atomic
def alerts_raise(*, as_of: date, candidates: list[AlertCandidate]) -> int:
    """Open or refresh alerts, at most one open alert per customer and kind.

    A repeat of an open alert refreshes its date and details rather than piling up duplicates.
    New alerts are addressed to the customer's owner and backup owner.
    """
    if not candidates:
        return 0
    wanted = {(c.customer_id, c.kind): c for c in candidates}
    customer_ids = {c.customer_id for c in candidates}
    open_alerts = {
        (a.customer_id, a.kind): a
        for a in Alert.objects.open().filter(customer_id__in=customer_ids, kind__in={c.kind for c in candidates})
    }
    to_update, to_create = [], []
    for key, candidate in wanted.items():
        existing = open_alerts.get(key)
        if existing is not None:
            existing.as_of, existing.details = as_of, candidate.details
            to_update.append(existing)
        else:
            to_create.append(
                Alert(customer_id=candidate.customer_id, kind=candidate.kind, as_of=as_of, details=candidate.details)
            )
    if to_update:
        bulk_update_with_history(to_update, Alert, ["as_of", "details"], batch_size=2000)
    if to_create:
        created = bulk_create_with_history(to_create, Alert, batch_size=2000)
        if any(a.pk is None for a in created):
            # Backends that cannot return ids from a bulk insert: read them back in one query.
            created = list(Alert.objects.open().filter(customer_id__in=customer_ids, as_of=as_of))
        owners = dict(Customer.objects.filter(pk__in={a.customer_id for a in created}).values_list("pk", "owner_id"))
        backups = dict(
            Customer.objects.filter(pk__in={a.customer_id for a in created}, backup_owner__isnull=False).values_list(
                "pk", "backup_owner_id"
            )
        )
        through = Alert.recipients.through
        rows = []
        for alert in created:
            for user_id in {owners.get(alert.customer_id), backups.get(alert.customer_id)} - {None}:
                rows.append(through(alert_id=alert.pk, user_id=user_id))
        through.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
    return len(wanted)


def risk_alert_candidates(*, as_of: date) -> list[AlertCandidate]:
    """Compare each customer's snapshot of the day with its previous one, for all customers at once."""
    previous = RiskSnapshot.objects.filter(customer=OuterRef("customer"), as_of__lt=as_of).order_by("-as_of")
    rows = (
        RiskSnapshot.objects.filter(as_of=as_of)
        .annotate(
            prev_band=Subquery(previous.values("computed_band")[:1]),
            prev_tripwires=Subquery(previous.values("tripwires")[:1]),
        )
        .filter(Q(computed_band__in=[RiskBand.AMBER, RiskBand.RED]) | Q(score_change_7d__gte=SCORE_JUMP_POINTS))
        .values_list(
            "customer_id", "computed_band", "prev_band", "score", "score_change_7d", "tripwires", "prev_tripwires"
        )
    )
    candidates = []
    for customer_id, band, prev_band, score, change_7d, tripwires, prev_tripwires in rows.iterator(chunk_size=5000):
        score_text = round(score) if score is not None else None
        now, before = BAND_ORDER.get(band), BAND_ORDER.get(prev_band)
        if band == RiskBand.RED and prev_band != RiskBand.RED:
            candidates.append(AlertCandidate(customer_id, AlertKind.NEW_RED, {"score": score_text, "from": prev_band}))
        elif now is not None and before is not None and now > before:
            candidates.append(
                AlertCandidate(
                    customer_id, AlertKind.BAND_WORSENED, {"score": score_text, "from": prev_band, "to": band}
                )
            )
        if change_7d is not None and change_7d >= SCORE_JUMP_POINTS:
            candidates.append(
                AlertCandidate(customer_id, AlertKind.SCORE_JUMP, {"score": score_text, "change": round(change_7d)})
            )
        new_wires = sorted(set(tripwires or []) - set(prev_tripwires or []))
        if new_wires:
            candidates.append(AlertCandidate(customer_id, AlertKind.TRIPWIRE, {"tripwires": new_wires}))
    return candidates


@transaction.atomic
def alert_close(*, alert: Alert, by, note: str = "") -> Alert:
    """Mark an alert as dealt with, with what was done; a later occurrence opens a new one. Audited."""
    if alert.closed_at is None:
        alert.closed_at, alert.closed_by, alert.close_note = timezone.now(), by, (note or "").strip()
        alert.save(update_fields=["closed_at", "closed_by", "close_note"])
    return alert


@transaction.atomic
def overrides_expire(*, as_of: date) -> int:
    """End every override whose expiry has come, and tell the owners (audited)."""
    due = list(RiskOverride.objects.select_for_update().filter(ended_on__isnull=True, expires_on__lte=as_of))
    for override in due:
        override.ended_on = override.expires_on
    if due:
        bulk_update_with_history(due, RiskOverride, ["ended_on"], batch_size=2000, default_change_reason="expired")
        alerts_raise(
            as_of=as_of,
            candidates=[
                AlertCandidate(
                    o.customer_id, AlertKind.OVERRIDE_EXPIRED, {"band": o.band, "expired_on": o.expires_on.isoformat()}
                )
                for o in due
            ],
        )
    return len(due)


@transaction.atomic
def override_set(
    *, customer: Customer, band: str, reason: str, by, expires_on: date | None = None, today: date | None = None
) -> RiskOverride:
    """Set a manual band for a customer, replacing any override in force. Audited."""
    today = today or business_today()
    expires_on = expires_on or today + timedelta(days=30)
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("An override needs a reason.")
    if not today < expires_on <= today + timedelta(days=MAX_OVERRIDE_DAYS):
        raise ValueError(f"An override expires after today and within {MAX_OVERRIDE_DAYS} days.")
    for current in RiskOverride.objects.select_for_update().filter(customer=customer, ended_on__isnull=True):
        current.ended_on = today
        current._change_reason = "replaced"
        current.save(update_fields=["ended_on"])
    return RiskOverride.objects.create(
        customer=customer, band=band, reason=reason, set_by=by, starts_on=today, expires_on=expires_on
    )


@transaction.atomic
def override_end(*, customer: Customer, today: date | None = None) -> RiskOverride:
    """Remove the manual band in force, by hand, before its expiry. Audited."""
    override = RiskOverride.objects.select_for_update().get(customer=customer, ended_on__isnull=True)
    override.ended_on = today or business_today()
    override._change_reason = "ended by hand"
    override.save(update_fields=["ended_on"])
    return override


@dataclass
class NightlyResult:
    as_of: date
    outcome: str
    customers_scored: int = 0
    alerts: int = 0
    message: str = ""


def _recorded_job(
    *,
    job: str,
    name: str,
    as_of: date,
    task_id: str,
    ttl_seconds: int,
    work: Callable[[], tuple[int, int, str]],
) -> NightlyResult:
    """Run ``work`` under an expiring lock and record the run: skipped if locked, failed with its error.

    ``work`` returns (customers scored, alerts raised, message).
    """
    run = RiskRun.objects.create(job=job, as_of=as_of, started_at=timezone.now(), task_id=task_id)
    try:
        with job_lock(name, ttl_seconds=ttl_seconds):
            scored, alerts, message = work()
    except LockHeld:
        message = f"Skipped: another {name.replace('-', ' ')} run is in progress."
        logger.warning(message)
        _finish(run, RiskRun.Outcome.SKIPPED, message=message)
        return NightlyResult(as_of, RiskRun.Outcome.SKIPPED, message=message)
    except Exception as exc:
        _finish(run, RiskRun.Outcome.FAILED, message=f"{type(exc).__name__}: {exc}")
        raise
    _finish(run, RiskRun.Outcome.SUCCEEDED, scored=scored, message=message)
    return NightlyResult(as_of, RiskRun.Outcome.SUCCEEDED, scored, alerts, message)


def risk_nightly(
    *, as_of: date, task_id: str = "", progress: Callable[[int, int], None] | None = None
) -> NightlyResult:
    """Tiering, then scoring, then alerts, for one date; never two runs at once.

    Each step is idempotent for the date, so a run killed half-way is finished by running again.
    """

    def work() -> tuple[int, int, str]:
        tiering = tiering_run(as_of=as_of)
        recompute = risk_recompute(as_of=as_of, progress=progress)
        candidates = risk_alert_candidates(as_of=as_of)
        candidates += [
            AlertCandidate(customer_id, AlertKind.TIER_CHANGE, {"from": old, "to": new})
            for customer_id, old, new in tiering.changes
        ]
        alerts = alerts_raise(as_of=as_of, candidates=candidates)
        message = f"{recompute.customers_scored} customers scored, {alerts} alerts raised or refreshed."
        return recompute.customers_scored, alerts, message

    return _recorded_job(
        job=RiskRun.Job.NIGHTLY,
        as_of=as_of,
        task_id=task_id,
        name="nightly-risk",
        ttl_seconds=NIGHTLY_LOCK_SECONDS,
        work=work,
    )


def nightly_jobs(
    *, as_of: date, task_id: str = "", progress: Callable[[int, int], None] | None = None
) -> NightlyResult:
    """The night's work for a date: the risk job, then, when it ran, the executive dashboard's
    summaries from the snapshots and alerts it wrote. The summaries are a step of their own, so the
    risk run's record and timing stay the risk job's, and a skipped run refreshes nothing."""
    result = risk_nightly(as_of=as_of, task_id=task_id, progress=progress)
    if result.outcome == RiskRun.Outcome.SUCCEEDED:
        portfolio_summaries_refresh(as_of=as_of)
    return result


def overrides_expire_job(*, as_of: date, task_id: str = "") -> NightlyResult:
    def work() -> tuple[int, int, str]:
        expired = overrides_expire(as_of=as_of)
        return 0, expired, f"{expired} overrides expired."

    return _recorded_job(
        job=RiskRun.Job.OVERRIDE_EXPIRY,
        as_of=as_of,
        task_id=task_id,
        name="override-expiry",
        ttl_seconds=10 * 60,
        work=work,
    )


def _finish(run: RiskRun, outcome: str, *, scored: int = 0, message: str = "") -> None:
    run.outcome, run.customers_scored, run.message = outcome, scored, message[:2000]
    run.finished_at = timezone.now()
    run.save(update_fields=["outcome", "customers_scored", "message", "finished_at"])


# Purchase criteria and strategy (the customer 360 page's editors) ----------------------------


@transaction.atomic
def criterion_assess(
    *,
    customer: Customer,
    criterion: str,
    importance: int,
    we_meet: bool,
    competitor_meets: bool,
    assessed_on: date,
    competitor: Competitor | None = None,
    notes: str = "",
) -> PurchaseCriterion:
    """Record a dated assessment of one of the customer's purchase criteria.

    Assessments are history: a re-assessment adds a row, and the latest one on or before a date is
    the one the risk score reads for that date.
    """
    criterion = " ".join((criterion or "").split())
    if not criterion:
        raise ValueError("A criterion needs a name.")
    if competitor_meets and competitor is None:
        raise ValueError("Say which competitor meets the criterion.")
    if assessed_on > business_today():
        raise ValueError("An assessment cannot be dated in the future.")
    return PurchaseCriterion.objects.create(
        customer=customer,
        criterion=criterion,
        importance=importance,
        we_meet=we_meet,
        competitor_meets=competitor_meets,
        competitor=competitor if competitor_meets else None,
        assessed_on=assessed_on,
        notes=(notes or "").strip(),
    )


def account_plan_in_force(*, customer: Customer, today: date | None = None) -> AccountPlan | None:
    """The latest review on or before today, as the risk score reads it."""
    return (
        AccountPlan.objects.filter(customer=customer, reviewed_on__lte=today or business_today())
        .order_by("-reviewed_on", "-pk")
        .first()
    )


@transaction.atomic
def account_plan_save(
    *,
    customer: Customer,
    plan: AccountPlan | None,
    version: str,
    customer_strategy: str,
    our_actions: str,
    reviewed_on: date,
    next_review_on: date | None = None,
) -> AccountPlan:
    """Write the account plan the form was opened on (``plan``, None when there was none).

    Plans are dated by their review: the same review date corrects the plan in place, a later one
    records a new review and keeps the earlier plan, so the score can be replayed for past dates.
    Raises StaleEdit when the plan changed, or another plan came into force, since the form opened.
    """
    today = business_today()
    if reviewed_on > today:
        raise ValueError("A review cannot be dated in the future.")
    if next_review_on is not None and next_review_on <= reviewed_on:
        raise ValueError("The next review must come after the last one.")
    # Serialise writers of this customer's plan, so two first plans cannot both be created.
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    in_force = account_plan_in_force(customer=customer, today=today)
    if (in_force.pk if in_force else None) != (plan.pk if plan else None):
        raise StaleEdit
    values = {
        "customer_strategy": customer_strategy.strip(),
        "our_actions": our_actions.strip(),
        "reviewed_on": reviewed_on,
        "next_review_on": next_review_on,
    }
    if plan is None:
        return AccountPlan.objects.create(customer=customer, **values)
    current = lock_unchanged(plan, version)
    if reviewed_on < current.reviewed_on:
        raise ValueError("A review cannot be dated before the last one.")
    if reviewed_on > current.reviewed_on:
        return AccountPlan.objects.create(customer=customer, **values)
    for name, value in values.items():
        setattr(current, name, value)
    current.save()
    return current


def _check_need_dates(*, status: str, identified_on: date, met_on: date | None) -> None:
    if status == ProductNeed.Status.MET:
        if met_on is None:
            raise ValueError("A met need has the date it was met.")
        if met_on < identified_on or met_on > business_today():
            raise ValueError("A need is met on or after it was identified, and not in the future.")
    elif met_on is not None:
        raise ValueError("An open need has no date it was met.")


@transaction.atomic
def product_need_add(
    *,
    customer: Customer,
    description: str,
    status: str,
    identified_on: date,
    product: Product | None = None,
    met_on: date | None = None,
) -> ProductNeed:
    """Record a product the customer needs and whether we supply it."""
    if identified_on > business_today():
        raise ValueError("A need cannot be identified in the future.")
    _check_need_dates(status=status, identified_on=identified_on, met_on=met_on)
    return ProductNeed.objects.create(
        customer=customer,
        description=" ".join(description.split()),
        product=product,
        status=status,
        identified_on=identified_on,
        met_on=met_on,
    )


@transaction.atomic
def product_need_set_status(
    *, need: ProductNeed, version: str, status: str, met_on: date | None = None, product: Product | None = None
) -> ProductNeed:
    """Move a need to met, planned or unmet (and name our product); StaleEdit if it changed meanwhile."""
    current = lock_unchanged(need, version)
    _check_need_dates(status=status, identified_on=current.identified_on, met_on=met_on)
    current.status, current.met_on, current.product = status, met_on, product
    current.save()
    return current


def _check_incentive(*, value, starts_on: date, ends_on: date) -> None:
    if value <= 0:
        raise ValueError("An incentive is worth more than nothing.")
    if ends_on < starts_on:
        raise ValueError("An incentive cannot end before it starts.")


@transaction.atomic
def incentive_add(
    *, customer: Customer, kind: str, value, starts_on: date, ends_on: date, description: str = ""
) -> Incentive:
    """Start (or plan) a discount, rebate, co-promotion or sales contest for the customer."""
    _check_incentive(value=value, starts_on=starts_on, ends_on=ends_on)
    return Incentive.objects.create(
        customer=customer,
        kind=kind,
        description=(description or "").strip(),
        value=value,
        starts_on=starts_on,
        ends_on=ends_on,
    )


@transaction.atomic
def incentive_update(
    *, incentive: Incentive, version: str, kind: str, value, starts_on: date, ends_on: date, description: str = ""
) -> Incentive:
    """Change an incentive's terms; StaleEdit if someone else changed it since the form opened."""
    _check_incentive(value=value, starts_on=starts_on, ends_on=ends_on)
    current = lock_unchanged(incentive, version)
    current.kind, current.value, current.description = kind, value, (description or "").strip()
    current.starts_on, current.ends_on = starts_on, ends_on
    current.save()
    return current


@transaction.atomic
def incentive_end(*, incentive: Incentive, version: str, today: date | None = None) -> Incentive:
    """End a running incentive today, before its planned end; StaleEdit if it changed meanwhile."""
    today = today or business_today()
    current = lock_unchanged(incentive, version)
    if not current.starts_on <= today < current.ends_on:
        raise ValueError("Only a running incentive can be ended early.")
    current.ends_on = today
    current._change_reason = "ended early"
    current.save()
    return current
