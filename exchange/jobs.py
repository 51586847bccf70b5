"""Import jobs from upload to result: the file kept on disk, the check, the application, progress.

Progress lives in the cache (Redis in production), written by the worker as it reads, because the
import's own transaction hides everything else it writes until the end. A job whose progress key
has gone while it says it is running was interrupted (a worker killed, a machine restarted): its
transaction never committed, so nothing was written, and it may simply be run again.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .engine import run
from .formats import FORMATS
from .models import ImportJob
from .reading import size_refusal

# A running job reports at least every few seconds (every 5,000 rows, and between the merge's
# statements); three minutes of silence means its worker is gone.
PROGRESS_SECONDS = 3 * 60


class UploadRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def import_dir() -> Path:
    path = Path(settings.IMPORT_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def job_path(job: ImportJob) -> Path:
    return import_dir() / job.stored_as


def store_upload(user, kind: str, upload) -> ImportJob:
    """Keep an uploaded file and open a job to check it; `UploadRefused` if the file cannot be taken."""
    if kind not in FORMATS:
        raise UploadRefused(_("Choose what the file holds."))
    if refusal := size_refusal(upload.size or 0):
        raise UploadRefused(refusal)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(upload.name or "upload").name)[-80:] or "upload"
    stored_as = f"{uuid.uuid4().hex}_{safe}"
    with open(import_dir() / stored_as, "wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return ImportJob.objects.create(
        user=user, kind=kind, filename=(upload.name or safe)[:255], stored_as=stored_as, size=upload.size
    )


def store_path(user, kind: str, path: Path) -> ImportJob:
    """A job for a file already on this machine (the command line's drop folder)."""
    return ImportJob.objects.create(
        user=user, kind=kind, filename=path.name[:255], stored_as=str(path.resolve()), size=path.stat().st_size
    )


def _progress_key(job_id: int) -> str:
    return f"keyaccounts:import:{job_id}"


def set_progress(job_id: int, fraction: float) -> None:
    cache.set(_progress_key(job_id), round(max(0.0, min(fraction, 1.0)), 3), PROGRESS_SECONDS)


def progress_of(job: ImportJob) -> float | None:
    return cache.get(_progress_key(job.pk))


def interrupted(job: ImportJob) -> bool:
    """Running by its status, yet nobody has reported progress for a long while."""
    return job.is_running and progress_of(job) is None


def _claim(job_id: int, allowed: tuple[str, ...], to: str) -> ImportJob | None:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id, status__in=allowed).first()
        if job is None:
            return None
        job.status = to
        job.save(update_fields=["status"])
    set_progress(job_id, 0.0)
    return job


def check_job(job_id: int) -> ImportJob | None:
    """Check every row and count what the file would change (a dry run: nothing is kept)."""
    job = _claim(job_id, (ImportJob.Status.CHECKING,), ImportJob.Status.CHECKING)
    if job is None:
        return None
    try:
        outcome = run(job.kind, job_path(job), job.user, apply=False, progress=lambda f: set_progress(job_id, f))
    except Exception:
        _failed(job, "preview")
        raise
    job.preview = outcome.as_dict()
    job.status = ImportJob.Status.CHECKED if outcome.ok else ImportJob.Status.INVALID
    job.checked_at = timezone.now()
    job.save(update_fields=["preview", "status", "checked_at"])
    cache.delete(_progress_key(job_id))
    return job


def apply_job(job_id: int) -> ImportJob | None:
    """Apply a checked job in one transaction. Run again after an interruption, it is safe: an
    import that did commit re-applies as all unchanged."""
    job = _claim(job_id, (ImportJob.Status.CHECKED, ImportJob.Status.APPLYING), ImportJob.Status.APPLYING)
    if job is None:
        return None
    reason = _("import #%(id)d %(file)s") % {"id": job.pk, "file": job.filename}
    try:
        outcome = run(
            job.kind, job_path(job), job.user, apply=True, reason=reason, progress=lambda f: set_progress(job_id, f)
        )
    except Exception:
        _failed(job, "result")
        raise
    job.result = outcome.as_dict()
    job.status = ImportJob.Status.APPLIED if outcome.applied else ImportJob.Status.FAILED
    job.applied_at = timezone.now()
    job.save(update_fields=["result", "status", "applied_at"])
    cache.delete(_progress_key(job_id))
    if outcome.applied and not Path(job.stored_as).is_absolute():
        job_path(job).unlink(missing_ok=True)
    return job


def _failed(job: ImportJob, field: str) -> None:
    """An unexpected error: the import's transaction rolled back; say so on the job's page."""
    why = _(
        "The import stopped on an unexpected error and wrote nothing. Try again; if it happens again, "
        "tell your administrator."
    )
    outcome = {"kind": job.kind, "rows": 0, "counts": {}, "applied": False, "error_count": 1}
    setattr(job, field, {**outcome, "errors": [{"row": None, "column": "", "value": "", "why": why}]})
    job.status = ImportJob.Status.INVALID if field == "preview" else ImportJob.Status.FAILED
    job.save(update_fields=[field, "status"])
    cache.delete(_progress_key(job.pk))
