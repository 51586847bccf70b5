"""Model quality runs: a backtest of one model version, queued from the page and run by a worker.

A run is a `BacktestRun` row: queued by the page (`quality_run_start`), claimed and evaluated by
the worker (`quality_run_execute`, which calls `evaluation.evaluate` and stores its dict), done or
failed with its error. Progress (replays done of the total) lives in the cache, written by the
worker as it goes and when the run is queued; a queued or running run whose progress key has
expired was interrupted (no worker took it, or its worker died) and may be run again.
"""

from __future__ import annotations

import logging

from celery.exceptions import SoftTimeLimitExceeded
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from ..models import BacktestRun
from . import evaluation

logger = logging.getLogger(__name__)

# A running evaluation reports at least once per replay date; five minutes of silence (or a queued
# run no worker has taken in that time) means nobody is working on it.
PROGRESS_SECONDS = 5 * 60


def _progress_key(run_id: int) -> str:
    return f"keyaccounts:quality-run:{run_id}"


def set_progress(run_id: int, done: int, total: int) -> None:
    cache.set(_progress_key(run_id), {"done": max(int(done), 0), "total": max(int(total), 0)}, PROGRESS_SECONDS)


def progress_of(run: BacktestRun) -> dict | None:
    """``{"done", "total", "percent"}`` while someone reports on the run, else None."""
    progress = cache.get(_progress_key(run.pk))
    if not isinstance(progress, dict):
        return None
    done, total = progress.get("done", 0), progress.get("total", 0)
    percent = min(100, round(100 * done / total)) if total else 0
    return {"done": done, "total": total, "percent": percent}


def interrupted(run: BacktestRun) -> bool:
    """Queued or running by its status, yet nobody has reported progress for a long while."""
    return run.is_active and progress_of(run) is None


def may_run_again(run: BacktestRun) -> bool:
    return run.status == BacktestRun.Status.FAILED or interrupted(run)


def quality_run_start(*, user, model_version, start, end, horizon_days: int) -> BacktestRun:
    """Record a queued run; the caller queues the worker's task once the row is committed."""
    run = BacktestRun.objects.create(
        model_version=model_version, start=start, end=end, horizon_days=horizon_days, created_by=user
    )
    set_progress(run.pk, 0, 0)
    return run


def quality_run_requeue(run: BacktestRun) -> bool:
    """Put a failed or interrupted run back in the queue (its earlier error and result cleared)."""
    if not may_run_again(run):
        return False
    run.status = BacktestRun.Status.QUEUED
    run.error, run.result, run.started_at, run.finished_at = "", None, None, None
    run.save(update_fields=["status", "error", "result", "started_at", "finished_at"])
    set_progress(run.pk, 0, 0)
    return True


def _claim(run_id: int) -> BacktestRun | None:
    # A queued run, or a running one whose worker died and whose task was delivered again.
    with transaction.atomic():
        run = (
            BacktestRun.objects.select_for_update()
            .select_related("model_version")
            .filter(pk=run_id, status__in=(BacktestRun.Status.QUEUED, BacktestRun.Status.RUNNING))
            .first()
        )
        if run is None:
            return None
        run.status = BacktestRun.Status.RUNNING
        run.started_at = timezone.now()
        run.save(update_fields=["status", "started_at"])
    set_progress(run_id, 0, 0)
    return run


def quality_run_execute(run_id: int) -> BacktestRun | None:
    """Evaluate the run's model version and store the result: done, or failed with a message.

    Returns None when the run is not waiting for a worker (already done or failed)."""
    run = _claim(run_id)
    if run is None:
        return None
    try:
        result = evaluation.evaluate(
            run.model_version,
            start=run.start,
            end=run.end,
            horizon_days=run.horizon_days,
            progress=lambda done, total: set_progress(run_id, done, total),
        )
        if not isinstance(result, dict):
            raise TypeError(f"evaluate returned {type(result).__name__}, not a dict")
    except SoftTimeLimitExceeded:
        _failed(run, gettext_noop("The evaluation took longer than the time allowed. Try a shorter period."))
    except ValidationError as exc:
        # The backtest refusing the period (no month end, no known outcome…): its own words.
        _failed(run, " ".join(exc.messages))
    except Exception as exc:
        logger.exception("Model quality run %s failed", run_id)
        _failed(run, f"{type(exc).__name__}: {exc}")
    else:
        run.result = result
        run.status = BacktestRun.Status.DONE
        run.error = ""
        run.finished_at = timezone.now()
        run.save(update_fields=["result", "status", "error", "finished_at"])
    cache.delete(_progress_key(run_id))
    return run


def _failed(run: BacktestRun, message: str) -> None:
    # Stored in English (the page translates the known messages); an unexpected error as raised.
    run.status = BacktestRun.Status.FAILED
    run.error = message[:4000]
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "finished_at"])
