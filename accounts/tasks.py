"""Thin Celery tasks: parse the arguments, call the service, return a summary."""

from datetime import date

from celery import shared_task

from keyaccounts.clock import business_today

from .nightly import nightly_catch_up, overrides_expire_job
from .portfolio.digest import digest_send_weekly
from .risk.chunks import score_chunks_of
from .risk.quality_runs import quality_run_execute
from .workspace.export_jobs import export_run, exports_expire


def _as_of(value: str | None) -> date:
    return date.fromisoformat(value) if value else business_today()


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, soft_time_limit=30 * 60, time_limit=35 * 60)
def nightly_risk(self, as_of: str | None = None) -> dict:
    """Tiering, risk scoring and alerts for a date (today by default), then the dashboard's
    summaries; first the nights missed since the last successful run. Skipped if one is running.

    The scheduled run (no date given) scores a night once: a second scheduler, or a duplicate
    delivered late, finds it done and skips. A date given explicitly is always scored again."""
    results = nightly_catch_up(as_of=_as_of(as_of), task_id=self.request.id or "", once=as_of is None)
    result = results[-1]
    return {
        "as_of": result.as_of.isoformat(),
        "outcome": result.outcome,
        "customers_scored": result.customers_scored,
        "message": result.message,
        "caught_up": [r.as_of.isoformat() for r in results[:-1] if r.outcome == "succeeded"],
        "steps": result.steps,
    }


# A chunk whose process dies is given to another by the night's own process (its claim grows
# stale), so the task is not redelivered; a late copy finds nothing left to claim.
@shared_task(acks_late=False, ignore_result=True, soft_time_limit=10 * 60, time_limit=12 * 60)
def score_risk_chunks(chunk_id: int) -> int:
    """Score waiting chunks of a night's scoring (``accounts.risk.chunks``), this one first."""
    return score_chunks_of(chunk_id)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, soft_time_limit=5 * 60, time_limit=6 * 60)
def expire_overrides(self, as_of: str | None = None) -> dict:
    """End manual overrides whose expiry has come and tell their owners."""
    result = overrides_expire_job(as_of=_as_of(as_of), task_id=self.request.id or "")
    return {"as_of": result.as_of.isoformat(), "outcome": result.outcome, "message": result.message}


@shared_task(bind=True, acks_late=True, soft_time_limit=10 * 60, time_limit=12 * 60)
def weekly_digest(self, today: str | None = None) -> dict:
    """E-mail this week's portfolio digest to each executive who has not had it yet."""
    sent = digest_send_weekly(today=_as_of(today))
    return {"sent": sent}


# A long replay may take a while; a worker that dies mid-run leaves the run interrupted, to run again.
@shared_task(
    acks_late=True, ignore_result=True, reject_on_worker_lost=True, soft_time_limit=2 * 3600, time_limit=2 * 3600 + 300
)
def backtest_run(run_id: int) -> dict:
    """Evaluate a model quality run's model version on history and store the result."""
    run = quality_run_execute(run_id)
    return {"run": run_id, "status": run.status if run else None}


@shared_task(
    acks_late=True, ignore_result=True, reject_on_worker_lost=True, soft_time_limit=30 * 60, time_limit=35 * 60
)
def export_customers(job_id: int) -> dict:
    """Write the workbook of an XLSX export of the customer list."""
    job = export_run(job_id)
    return {"job": job_id, "status": job.status if job else None}


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=5 * 60, time_limit=6 * 60)
def remove_old_exports() -> dict:
    """Remove the files of customer-list exports older than EXPORT_KEEP_HOURS."""
    return {"removed": exports_expire()}
