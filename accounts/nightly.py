"""The nightly job: tiering, risk scoring, alerts and the expiry of manual bands, then the day's
portfolio summaries — one recorded run at a time, under a lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from .locking import LockHeld, job_lock
from .models import (
    AlertKind,
    RiskRun,
)
from .portfolio.summaries import portfolio_summaries_refresh
from .risk.engine import risk_recompute
from .risk.tiering import tiering_run
from .services.alerts import AlertCandidate, alerts_raise, overrides_expire, risk_alert_candidates

logger = logging.getLogger(__name__)

# The lock outlives the task's hard time limit a little, so a killed worker frees it soon after.
NIGHTLY_LOCK_SECONDS = 40 * 60


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
