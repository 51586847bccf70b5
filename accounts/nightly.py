"""The nightly job: the cadences' stored due dates, tiering, risk scoring, alerts and the expiry of
manual bands, then the day's portfolio summaries, the risk snapshots' retention and a VACUUM of
the tables the night changed much — one recorded run at a time, under a lock that dies with its
run (`accounts.locking`). A run that finds a `running` record of its job closes it as
interrupted: whoever wrote it is gone, or the lock would still be held. The nightly task also
catches up the nights missed since the last successful run, oldest first.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from plays.models import Play, PlayStep
from plays.opening import plays_open_night
from relationships.cadence_due import refresh_cadence_due
from relationships.contact_meetings import refresh_contact_meetings
from relationships.models import Cadence, Contact

from .locking import LockHeld, job_lock
from .models import (
    Alert,
    AlertKind,
    Customer,
    PortfolioSummary,
    RiskRun,
    RiskStanding,
)
from .portfolio.summaries import portfolio_summaries_refresh
from .risk import chunks
from .risk.storage import snapshot_retention
from .risk.tiering import tier_changes_of, tiering_run
from .services.alerts import AlertCandidate, alerts_raise, overrides_expire, risk_alert_candidates
from .services.handover import handovers_due

logger = logging.getLogger(__name__)

# The most nights before the given one that the nightly task scores when earlier nights were missed.
CATCH_UP_DAYS = 7


@dataclass
class NightlyResult:
    as_of: date
    outcome: str
    customers_scored: int = 0
    alerts: int = 0
    message: str = ""
    # Seconds spent in each step of the night, in order.
    steps: dict[str, float] = field(default_factory=dict)


class StepClock:
    """Seconds spent in each named step, logged as each ends."""

    def __init__(self) -> None:
        self.steps: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.steps[name] = round(self.steps.get(name, 0.0) + time.perf_counter() - started, 3)
            logger.info("Night step %s took %.2f s.", name, self.steps[name])


def send_scoring_chunks(chunk_ids: list[int]) -> None:
    """One Celery task per chunk of a night's scoring, for every free worker process to take.
    Nothing is sent when tasks run in-process, and a broker that cannot be reached leaves the
    chunks to the night's own process."""
    from keyaccounts.celery import app

    if app.conf.task_always_eager:
        return
    try:
        for chunk_id in chunk_ids:
            app.send_task("accounts.tasks.score_risk_chunks", args=[chunk_id])
    except Exception as exc:  # the broker is down: the night scores alone
        logger.warning("Scoring chunks not sent (%s); the night's process scores them all.", exc)


def _recorded_job(
    *,
    job: str,
    name: str,
    as_of: date,
    task_id: str,
    work: Callable[[], tuple[int, int, str]],
    once: bool = False,
) -> NightlyResult:
    """Run ``work`` under the job's lock and record the run: skipped if locked, failed with its error.

    ``work`` returns (customers scored, alerts raised, message). The run's record is created once the
    lock is held, so every other `running` record of the job belongs to a run that died. With
    ``once`` (the scheduled run), a date the job already succeeded for is skipped: two schedulers
    sending the same night, or a late duplicate, score it once.
    """
    started_at = timezone.now()
    try:
        with job_lock(name):
            run = RiskRun.objects.create(job=job, as_of=as_of, started_at=started_at, task_id=task_id)
            _close_interrupted(run)
            done = RiskRun.objects.filter(job=job, as_of=as_of, outcome=RiskRun.Outcome.SUCCEEDED).first()
            if once and done is not None:
                message = _("Skipped: %(date)s was already done by run %(run)s.") % {
                    "date": as_of.isoformat(),
                    "run": done.pk,
                }
                _finish(run, RiskRun.Outcome.SKIPPED, message=message)
                return NightlyResult(as_of, RiskRun.Outcome.SKIPPED, message=message)
            try:
                scored, alerts, message = work()
            except Exception as exc:
                _finish(run, RiskRun.Outcome.FAILED, message=f"{type(exc).__name__}: {exc}")
                raise
    except LockHeld:
        message = _("Skipped: another %(job)s run is in progress.") % {"job": name.replace("-", " ")}
        logger.warning(message)
        run = RiskRun.objects.create(job=job, as_of=as_of, started_at=started_at, task_id=task_id)
        _finish(run, RiskRun.Outcome.SKIPPED, message=message)
        return NightlyResult(as_of, RiskRun.Outcome.SKIPPED, message=message)
    _finish(run, RiskRun.Outcome.SUCCEEDED, scored=scored, message=message)
    return NightlyResult(as_of, RiskRun.Outcome.SUCCEEDED, scored, alerts, message)


def _close_interrupted(run: RiskRun) -> int:
    """Mark the job's other `running` records failed: their runs ended without finishing."""
    stale = RiskRun.objects.filter(job=run.job, outcome=RiskRun.Outcome.RUNNING).exclude(pk=run.pk)
    message = _(
        "Interrupted: the process running it stopped before it finished (its lock was free again "
        "when run %(run)s started)."
    ) % {"run": run.pk}
    closed = 0
    for old in stale:
        _finish(old, RiskRun.Outcome.FAILED, message=message, finished_at=max(old.started_at, run.started_at))
        logger.warning("Closed interrupted %s run %s of %s.", old.job, old.pk, old.as_of)
        closed += 1
    return closed


def risk_nightly(
    *,
    as_of: date,
    task_id: str = "",
    progress: Callable[[int, int], None] | None = None,
    once: bool = False,
    clock: StepClock | None = None,
    fan_out: Callable[[list[int]], None] | None = send_scoring_chunks,
) -> NightlyResult:
    """Tiering, then scoring, then alerts, for one date; never two runs at once.

    Each step is idempotent for the date, so a run killed half-way is finished by running again.
    A large book's scoring is shared out to the worker processes through ``fan_out``
    (``accounts.risk.chunks``).
    """
    clock = clock or StepClock()

    def work() -> tuple[int, int, str]:
        step = clock.step
        with step("cadences"):
            # A safety net under the refreshes of every write, and the day's turn: interactions
            # dated ahead come into force (for the contacts' last meetings, only those rows).
            refresh_cadence_due(only_changed=True)
            refresh_contact_meetings(stale_only=True)
        with step("handovers"):
            # Handovers dated up to the night take effect before anything is scored.
            handovers_due(as_of=as_of)
        with step("tiering"):
            tiering_run(as_of=as_of)
        with step("scoring"):
            recompute = chunks.recompute(as_of=as_of, progress=progress, fan_out=fan_out)
        with step("alerts"):
            candidates = risk_alert_candidates(as_of=as_of)
            candidates += [
                AlertCandidate(customer_id, AlertKind.TIER_CHANGE, {"from": old, "to": new})
                for customer_id, old, new in tier_changes_of(as_of)
            ]
            alerts = alerts_raise(as_of=as_of, candidates=candidates)
        with step("plays"):
            plays = plays_open_night(as_of=as_of)
        message = ngettext("%(count)d customer scored", "%(count)d customers scored", recompute.customers_scored) % {
            "count": recompute.customers_scored
        }
        message += ngettext(
            ", %(count)d alert raised or refreshed.", ", %(count)d alerts raised or refreshed.", alerts
        ) % {"count": alerts}
        message += " " + ngettext("%(count)d play opened.", "%(count)d plays opened.", plays) % {"count": plays}
        if recompute.chunks > 1:
            message += " " + ngettext(
                "Scored in %(chunks)d chunks by %(count)d worker process.",
                "Scored in %(chunks)d chunks by %(count)d worker processes.",
                recompute.processes,
            ) % {"chunks": recompute.chunks, "count": recompute.processes}
        return recompute.customers_scored, alerts, message

    result = _recorded_job(
        job=RiskRun.Job.NIGHTLY,
        as_of=as_of,
        task_id=task_id,
        name="nightly-risk",
        work=work,
        once=once,
    )
    result.steps = clock.steps
    return result


def nightly_jobs(
    *, as_of: date, task_id: str = "", progress: Callable[[int, int], None] | None = None, once: bool = False
) -> NightlyResult:
    """The night's work for a date: the risk job, then, when it ran, the executive dashboard's
    summaries from the snapshots and alerts it wrote, then the snapshots' retention (old months
    keep one snapshot a week, accounts.risk.storage), then a VACUUM of the tables the night
    changed much (``vacuum_after_night``). The complaint analytics' monthly figures are
    rebuilt by a task of their own after the night (complaints.tasks.refresh_complaint_months).
    These are steps of their own, so the risk run's record and timing stay the risk job's, and a
    skipped run changes nothing."""
    clock = StepClock()
    result = risk_nightly(as_of=as_of, task_id=task_id, progress=progress, once=once, clock=clock)
    if result.outcome == RiskRun.Outcome.SUCCEEDED:
        with clock.step("summaries"):
            portfolio_summaries_refresh(as_of=as_of)
        with clock.step("retention"):
            snapshot_retention(as_of=as_of)
        with clock.step("upkeep"):
            vacuum_after_night()
    result.steps = clock.steps
    return result


def missed_nights(*, as_of: date, limit: int = CATCH_UP_DAYS) -> list[date]:
    """The nights before ``as_of`` since the last successful nightly run (before it) that have no
    successful run, oldest first, at most ``limit`` of them. None before the first success."""
    succeeded = RiskRun.objects.filter(job=RiskRun.Job.NIGHTLY, outcome=RiskRun.Outcome.SUCCEEDED, as_of__lt=as_of)
    last = succeeded.order_by("-as_of").values_list("as_of", flat=True).first()
    if last is None:
        return []
    first = max(last + timedelta(days=1), as_of - timedelta(days=limit))
    return [first + timedelta(days=i) for i in range((as_of - first).days)]


def nightly_catch_up(
    *,
    as_of: date,
    task_id: str = "",
    limit: int = CATCH_UP_DAYS,
    progress: Callable[[int, int], None] | None = None,
    once: bool = False,
) -> list[NightlyResult]:
    """The nightly task's work: the missed nights before ``as_of`` (see missed_nights), oldest
    first, then ``as_of`` itself. Stops at a skipped night: another run is at work (or, with
    ``once``, has done it)."""
    results = []
    for day in [*missed_nights(as_of=as_of, limit=limit), as_of]:
        results.append(nightly_jobs(as_of=day, task_id=task_id, progress=progress, once=once))
        if results[-1].outcome == RiskRun.Outcome.SKIPPED:
            break
    return results


def overrides_expire_job(*, as_of: date, task_id: str = "") -> NightlyResult:
    def work() -> tuple[int, int, str]:
        expired = overrides_expire(as_of=as_of)
        message = ngettext("%(count)d override expired.", "%(count)d overrides expired.", expired) % {"count": expired}
        return 0, expired, message

    return _recorded_job(
        job=RiskRun.Job.OVERRIDE_EXPIRY,
        as_of=as_of,
        task_id=task_id,
        name="override-expiry",
        work=work,
    )


def _finish(run: RiskRun, outcome: str, *, scored: int = 0, message: str = "", finished_at=None) -> None:
    run.outcome, run.customers_scored, run.message = outcome, scored, message[:2000]
    run.finished_at = finished_at or timezone.now()
    run.save(update_fields=["outcome", "customers_scored", "message", "finished_at"])


# Upkeep ------------------------------------------------------------------------------------
# The night's last step: the tables it rewrote are vacuumed and analysed before anyone reads them.
#
# A night changes tens of thousands of rows in a few tables (customers' revenue and tier, the
# cadences' and contacts' stored dates, alerts, plays, the dashboard's summaries). Until those
# tables are vacuumed, their visibility maps say nothing about the new row versions, so every
# index-only scan goes back to the table for each row, and scans step over the dead ones: at
# 100,000 customers the executive's My customers counted the book in 124 ms instead of 9 ms
# (p95 of the page 203 -> 113 ms), the dashboard 151 -> 113 ms. Autovacuum gets there in the end
# (it is a setting, and on some installations off); the morning's pages should not wait for it.
#
# Only tables that the night changed by more than ``CHANGED_SHARE`` of their rows (dead row
# versions and rows inserted since the last vacuum, from PostgreSQL's statistics) are vacuumed,
# so a quiet night costs one query. PostgreSQL only, outside a transaction (VACUUM cannot run in
# one); elsewhere, or inside a caller's transaction, nothing is done.

# A table is vacuumed once the night changed more than this share of its rows (or 1,000 rows in
# a small table), as autovacuum's default scale factor would, and without waiting for it.
CHANGED_SHARE = 0.05
CHANGED_MIN_ROWS = 1_000

NIGHT_MODELS: tuple[type[Model], ...] = (
    Customer,
    RiskStanding,
    Cadence,
    Contact,
    Alert,
    PortfolioSummary,
    Play,
    PlayStep,
)


def night_tables() -> list[str]:
    """The tables a night rewrites rows of. The day's snapshots are not among them: they are only
    added (with COPY), read through indexes that need no visibility map, and analysed as they are
    written (``storage.analyze_snapshot_month``); vacuuming their month every night cost about a
    second at 100,000 customers for no page measurably faster."""
    return [model._meta.db_table for model in NIGHT_MODELS]


def tables_to_vacuum(tables: list[str]) -> list[str]:
    """Those of ``tables`` changed by more than ``CHANGED_SHARE`` of their rows since their last
    vacuum (dead row versions, and rows inserted, whose pages are not yet all-visible)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT relname FROM pg_stat_user_tables
            WHERE relname = ANY(%s)
              AND n_dead_tup + n_ins_since_vacuum > GREATEST(%s * n_live_tup, %s)
            ORDER BY relname
            """,
            [tables, CHANGED_SHARE, CHANGED_MIN_ROWS],
        )
        return [name for (name,) in cursor.fetchall()]


def vacuum_after_night() -> list[str]:
    """VACUUM (ANALYZE) each table the night changed much; returns their names."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return []
    vacuumed = tables_to_vacuum(night_tables())
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in vacuumed:
            # SKIP_LOCKED: a table someone holds a conflicting lock on is left to autovacuum.
            cursor.execute(f"VACUUM (ANALYZE, SKIP_LOCKED) {quote(table)}")
    if vacuumed:
        logger.info("Vacuumed after the night: %s.", ", ".join(vacuumed))
    return vacuumed
