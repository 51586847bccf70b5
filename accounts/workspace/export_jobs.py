"""Exports written as background jobs (the XLSX of My accounts here; the records of an import
format in `exchange.export_jobs`): asked for, written by a worker with its progress
recorded on the job, downloaded by their owner only, removed a day later.

The worker reads the list with the owner's permissions as they are when the job runs, and the
filters as they were asked for (the list's query string). Progress is on the job row itself:
the export writes nothing else, so it needs no transaction of its own and every update is seen
at once by the page that polls it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..models import Customer, ExportJob
from . import exports
from .common import latest_scored_on
from .filters import filtered_accounts

logger = logging.getLogger(__name__)

# A job running longer than its task may (accounts.tasks.export_customers: 35 minutes) lost its
# worker; its page stops waiting and says so. (A redelivered task starts it again.)
LOST_AFTER = timedelta(minutes=40)

# Parameters of the list that say nothing about which customers are exported.
_PAGE_PARAMETERS = ("page", "per_page")


class ExportRefused(Exception):
    """An export that cannot be written for a reason its owner is told."""


def export_dir() -> Path:
    path = Path(settings.EXPORT_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_of(job: ExportJob) -> Path | None:
    return export_dir() / job.stored_as if job.stored_as else None


def keep_until(job: ExportJob) -> datetime | None:
    """When the job's file goes."""
    if job.finished_at is None:
        return None
    return job.finished_at + timedelta(hours=settings.EXPORT_KEEP_HOURS)


def is_lost(job: ExportJob) -> bool:
    """A job still marked running long after its task's time limit: its worker is gone."""
    started = job.started_at
    return job.status == ExportJob.Status.RUNNING and started is not None and started < timezone.now() - LOST_AFTER


def export_ask(*, user, params: QueryDict, language: str) -> ExportJob:
    """Record the export a user asks for: the list's filters and sort, without its paging."""
    query = params.copy()
    for name in _PAGE_PARAMETERS:
        query.pop(name, None)
    return ExportJob.objects.create(owner=user, query=query.urlencode(), language=language)


def set_fields(job: ExportJob, **fields) -> None:
    """Change the job's fields, in memory and in its row (seen at once by the page polling it)."""
    for name, value in fields.items():
        setattr(job, name, value)
    ExportJob.objects.filter(pk=job.pk).update(**fields)


def export_run(job_id: int) -> ExportJob | None:
    """Write the workbook of an export of the customer list (``run_job``)."""
    return run_job(job_id, _write_customer_list)


def _write_customer_list(job: ExportJob, path: Path) -> int:
    scored_on = latest_scored_on()
    filterset, _owners = filtered_accounts(user=job.owner, params=QueryDict(job.query), scored_on=scored_on)
    queryset = filterset.qs
    total = queryset.count()
    if total > exports.XLSX_MAX_ROWS:
        raise ExportRefused(
            _("%(rows)s customers are too many for an Excel file (at most %(limit)s). Narrow the filters.")
            % {"rows": f"{total:,}", "limit": f"{exports.XLSX_MAX_ROWS:,}"}
        )
    set_fields(job, rows_total=total)
    return exports.write_xlsx(
        queryset,
        path,
        scored_on=scored_on,
        language=job.language,
        progress=lambda rows: set_fields(job, rows_written=rows),
        ids=filterset.count_queryset(Customer.objects.visible_to(job.owner)),
    )


def run_job(job_id: int, write: Callable[[ExportJob, Path], int]) -> ExportJob | None:
    """Write the job's file: ``write(job, path)`` writes it (in the job's language, with the
    owner's permissions as they are now), records its progress with ``set_fields`` and returns the
    rows written, or raises ExportRefused. A job already finished is left as it is (a task
    delivered twice); one left running by a lost worker is written again from the start."""
    job = ExportJob.objects.select_related("owner").filter(pk=job_id).first()
    if job is None or not job.is_running:
        return job
    set_fields(job, status=ExportJob.Status.RUNNING, started_at=timezone.now(), rows_written=0, error="", refusal="")
    stored_as = f"{uuid.uuid4().hex}.{job.extension}"
    final = export_dir() / stored_as
    partial = final.with_suffix(".part")
    try:
        with translation.override(job.language):
            if not job.owner.is_active:
                raise ExportRefused(_("The account that asked for this export is no longer active."))
            written = write(job, partial)
        partial.replace(final)
    except ExportRefused as refused:
        partial.unlink(missing_ok=True)
        set_fields(job, status=ExportJob.Status.FAILED, refusal=str(refused), finished_at=timezone.now())
    except Exception as exc:
        partial.unlink(missing_ok=True)
        logger.exception("Export job %s failed", job.pk)
        error = f"{type(exc).__name__}: {exc}"[:2000]
        set_fields(job, status=ExportJob.Status.FAILED, error=error, finished_at=timezone.now())
    else:
        set_fields(
            job,
            status=ExportJob.Status.DONE,
            stored_as=stored_as,
            rows_written=written,
            rows_total=max(written, job.rows_total or 0),
            finished_at=timezone.now(),
        )
    return job


def export_download(job: ExportJob) -> Path | None:
    """The job's file while it may be downloaded: written, and not yet a day old."""
    if job.status != ExportJob.Status.DONE or not job.stored_as:
        return None
    if keep_until(job) <= timezone.now():
        exports_expire(now=timezone.now())
        return None
    path = file_of(job)
    return path if path.is_file() else None


def exports_expire(*, now: datetime | None = None) -> int:
    """Remove the files of exports written more than EXPORT_KEEP_HOURS ago; how many went."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.EXPORT_KEEP_HOURS)
    old = list(ExportJob.objects.filter(status=ExportJob.Status.DONE, finished_at__lte=cutoff))
    for job in old:
        file_of(job).unlink(missing_ok=True)
    ExportJob.objects.filter(pk__in=[job.pk for job in old]).update(status=ExportJob.Status.EXPIRED, stored_as="")
    return len(old)
