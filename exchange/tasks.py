"""Thin Celery tasks: check or apply an import job (`exchange.jobs`), write a record export
(`exchange.export_jobs`)."""

from celery import shared_task

from .export_jobs import records_export_run
from .jobs import apply_job, check_job


@shared_task(
    acks_late=True, ignore_result=True, reject_on_worker_lost=True, soft_time_limit=30 * 60, time_limit=35 * 60
)
def check_import(job_id: int) -> dict:
    """Check every row of an uploaded file and count what it would change; write nothing."""
    job = check_job(job_id)
    return {"job": job_id, "status": job.status if job else None}


@shared_task(
    acks_late=True, ignore_result=True, reject_on_worker_lost=True, soft_time_limit=30 * 60, time_limit=35 * 60
)
def apply_import(job_id: int) -> dict:
    """Apply a checked import in one transaction."""
    job = apply_job(job_id)
    return {"job": job_id, "status": job.status if job else None}


@shared_task(
    acks_late=True, ignore_result=True, reject_on_worker_lost=True, soft_time_limit=30 * 60, time_limit=35 * 60
)
def export_records(job_id: int) -> dict:
    """Write the file of a large record export."""
    job = records_export_run(job_id)
    return {"job": job_id, "status": job.status if job else None}
