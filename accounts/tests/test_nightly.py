import os
import signal
import subprocess
import sys
import textwrap
import time
from contextlib import contextmanager
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection

from accounts import locking, nightly, tasks
from accounts.locking import job_lock
from accounts.models import Alert, Customer, PortfolioSummary, RiskRun, RiskSnapshot, ScoringChunk, Tier
from accounts.risk import engine, plumbing
from accounts.tests.test_risk_engine import populate, snapshot_fields
from accounts.tests.test_risk_factors import AS_OF, days_before, order
from keyaccounts.celery import app
from keyaccounts.tests import factories as f
from keyaccounts.tests import workers
from plays.models import Play
from relationships.models import Cadence


@pytest.fixture
def book(alice, oscar):
    """Ten customers with orders of different sizes, two of them with data in every table."""
    customers = []
    for i in range(10):
        c = f.CustomerFactory(owner=alice if i % 2 else oscar)
        for month in range(1, 13):
            order(c, days_before(30 * month), amount=1000 * (i + 1) ** 2)
        customers.append(c)
    populate(customers[0], user=alice)
    populate(customers[1], user=alice)
    return customers


def all_snapshots():
    return sorted((snapshot_fields(s) for s in RiskSnapshot.objects.all()), key=lambda s: s["customer"])


def test_nightly_job_tiers_scores_and_alerts_and_records_the_run(book):
    result = nightly.risk_nightly(as_of=AS_OF)
    assert result.outcome == RiskRun.Outcome.SUCCEEDED
    assert RiskSnapshot.objects.filter(as_of=AS_OF).count() == 10
    assert Customer.objects.filter(tier=Tier.KEY).count() == 2
    assert Alert.objects.filter(kind="tier_change").count() == 2
    run = RiskRun.objects.get()
    assert run.customers_scored == 10 and run.finished_at >= run.started_at
    plays = Play.objects.count()
    assert (
        run.message == f"10 customers scored, {Alert.objects.count()} alerts raised or refreshed. {plays} plays opened."
    )


def test_the_nightly_job_refreshes_every_cadences_stored_due_date(book):
    assert Cadence.objects.exists()
    kept = list(Cadence.objects.order_by("pk").values_list("last_met_on", "next_met_on", "due_on"))
    Cadence.objects.update(last_met_on=None, next_met_on=None, due_on=None)
    nightly.risk_nightly(as_of=AS_OF)
    assert list(Cadence.objects.order_by("pk").values_list("last_met_on", "next_met_on", "due_on")) == kept
    assert not Cadence.objects.filter(due_on__isnull=True).exists()


def test_running_the_nightly_job_twice_gives_identical_snapshots_and_no_duplicate_alerts(book):
    nightly.risk_nightly(as_of=AS_OF)
    first, alerts = all_snapshots(), Alert.objects.count()
    nightly.risk_nightly(as_of=AS_OF)
    assert all_snapshots() == first
    assert Alert.objects.count() == alerts


def _try_advisory_lock(session, name: str) -> bool:
    cursor = session.cursor()
    cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [locking.JOB_LOCK_CLASS, locking.lock_id(name)])
    return cursor.fetchone()[0]


@contextmanager
def held_by_another_run(name: str):
    """The job's lock held as another live run holds it: its own session on PostgreSQL (a session
    may take its own advisory lock again), its own open file on SQLite."""
    if connection.vendor != "postgresql":
        with job_lock(name):
            yield
        return
    session = workers.session()
    try:
        assert _try_advisory_lock(session, name)
        yield
    finally:
        session.close()


@pytest.fixture
def no_lock_wait(monkeypatch):
    monkeypatch.setattr(locking, "WAIT_SECONDS", 0.2)


def test_a_second_run_while_one_is_in_progress_is_skipped_and_says_so(book, no_lock_wait):
    with held_by_another_run("nightly-risk"):
        result = nightly.risk_nightly(as_of=AS_OF)
    assert result.outcome == RiskRun.Outcome.SKIPPED
    assert "another nightly risk run is in progress" in result.message
    assert not RiskSnapshot.objects.exists()
    assert RiskRun.objects.get().outcome == RiskRun.Outcome.SKIPPED


def test_a_run_killed_while_writing_leaves_nothing_half_written_and_a_rerun_finishes(book, monkeypatch):
    nightly.risk_nightly(as_of=AS_OF - timedelta(days=1))
    clean_day_before = all_snapshots()
    monkeypatch.setattr(engine, "BATCH_SIZE", 3)
    calls = []

    def dies_on_second_batch(real):
        def wrapper(*args, **kwargs):
            calls.append(1)
            if len(calls) == 2:
                raise IntegrityError("worker lost")
            return real(*args, **kwargs)

        return wrapper

    # The write path differs by database (COPY on PostgreSQL, bulk_create elsewhere): break both.
    monkeypatch.setattr(plumbing, "snapshot_copy_rows", dies_on_second_batch(plumbing.snapshot_copy_rows))
    monkeypatch.setattr(RiskSnapshot.objects, "bulk_create", dies_on_second_batch(RiskSnapshot.objects.bulk_create))
    with pytest.raises(IntegrityError):
        nightly.risk_nightly(as_of=AS_OF)
    assert len(calls) == 2
    assert not RiskSnapshot.objects.filter(as_of=AS_OF).exists()
    assert RiskRun.objects.filter(outcome=RiskRun.Outcome.FAILED, message__contains="worker lost").exists()
    monkeypatch.undo()
    nightly.risk_nightly(as_of=AS_OF)
    assert RiskSnapshot.objects.filter(as_of=AS_OF).count() == 10
    assert [s for s in all_snapshots() if s["as_of"] != AS_OF] == clean_day_before


def test_the_lock_is_free_again_after_a_failed_run(book, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(nightly, "tiering_run", boom)
    with pytest.raises(RuntimeError):
        nightly.risk_nightly(as_of=AS_OF)
    monkeypatch.undo()
    assert nightly.risk_nightly(as_of=AS_OF).outcome == RiskRun.Outcome.SUCCEEDED


def test_a_running_record_whose_run_is_gone_is_closed_as_interrupted_by_the_next_run(book):
    stale = RiskRun.objects.create(job=RiskRun.Job.NIGHTLY, as_of=AS_OF, started_at=nightly.timezone.now())
    other_job = RiskRun.objects.create(job=RiskRun.Job.OVERRIDE_EXPIRY, as_of=AS_OF, started_at=stale.started_at)
    assert nightly.risk_nightly(as_of=AS_OF).outcome == RiskRun.Outcome.SUCCEEDED
    stale.refresh_from_db()
    assert stale.outcome == RiskRun.Outcome.FAILED and stale.finished_at >= stale.started_at
    assert stale.message.startswith("Interrupted: the process running it stopped before it finished")
    # Another job's run is that job's lock's business.
    other_job.refresh_from_db()
    assert other_job.outcome == RiskRun.Outcome.RUNNING


# A worker that dies mid-run (PostgreSQL: the lock is the run's own session's) -------------------


@pytest.mark.needs_postgres
def test_a_run_whose_holder_died_is_closed_and_the_next_run_scores_the_night(postgres_only, book):
    holder = workers.session()
    assert _try_advisory_lock(holder, "nightly-risk")
    dead = RiskRun.objects.create(job=RiskRun.Job.NIGHTLY, as_of=AS_OF, started_at=nightly.timezone.now())
    holder.close()  # the worker is gone, and its session with it

    result = nightly.risk_nightly(as_of=AS_OF)

    assert result.outcome == RiskRun.Outcome.SUCCEEDED and result.customers_scored == 10
    assert RiskSnapshot.objects.filter(as_of=AS_OF).count() == 10
    dead.refresh_from_db()
    assert dead.outcome == RiskRun.Outcome.FAILED and "Interrupted" in dead.message
    assert not RiskRun.objects.filter(outcome=RiskRun.Outcome.RUNNING).exists()


@pytest.mark.needs_postgres
def test_a_run_while_another_live_session_holds_the_lock_is_skipped_and_recorded(postgres_only, book, no_lock_wait):
    holder = workers.session()
    try:
        assert _try_advisory_lock(holder, "nightly-risk")
        running = RiskRun.objects.create(job=RiskRun.Job.NIGHTLY, as_of=AS_OF, started_at=nightly.timezone.now())
        result = nightly.risk_nightly(as_of=AS_OF)
    finally:
        holder.close()
    assert result.outcome == RiskRun.Outcome.SKIPPED
    assert not RiskSnapshot.objects.exists()
    skipped = RiskRun.objects.exclude(pk=running.pk).get()
    assert skipped.outcome == RiskRun.Outcome.SKIPPED and "in progress" in skipped.message
    running.refresh_from_db()
    assert running.outcome == RiskRun.Outcome.RUNNING  # its run is alive: left alone


KILLED_RUN = textwrap.dedent(
    """
    import os, sys, time
    import django

    django.setup()
    from accounts import nightly
    from accounts.risk import engine
    from accounts.tests.test_risk_factors import AS_OF

    engine.BATCH_SIZE = 3
    marker = sys.argv[1]

    def progress(done, total):
        # Mid-write: a third of the snapshots scored and streaming, the run's lock held.
        open(marker, "w").close()
        time.sleep(600)

    nightly.nightly_jobs(as_of=AS_OF, progress=progress)
    """
)


def _lock_is_free(name: str) -> bool:
    session = workers.session()
    try:
        return _try_advisory_lock(session, name)
    finally:
        session.close()


@pytest.fixture
def uninterrupted(book):
    """The snapshots of the night scored once without interruption, to compare with; then the
    night's snapshots and runs are gone again, as before it."""
    nightly.nightly_jobs(as_of=AS_OF)
    snapshots = all_snapshots()
    RiskSnapshot.objects.all().delete()
    RiskRun.objects.all().delete()
    return snapshots


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_run_killed_with_sigkill_mid_write_is_finished_by_the_next_run(postgres_only, uninterrupted, tmp_path):

    marker = tmp_path / "writing"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "keyaccounts.settings_test", "DATABASE_URL": workers.database_url()}
    child = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(marker)], env=env, cwd=settings.BASE_DIR)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert child.poll() is None, "the run ended before it was killed"
            assert time.monotonic() < deadline, "the run never started writing"
            time.sleep(0.1)
        assert not _lock_is_free("nightly-risk")
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    killed = RiskRun.objects.get()
    assert killed.outcome == RiskRun.Outcome.RUNNING
    assert not RiskSnapshot.objects.exists()  # nothing half-written

    # Like the redelivered task: at once, without waiting for any expiry.
    result = tasks.nightly_risk.delay(AS_OF.isoformat()).get()

    assert result["outcome"] == "succeeded" and result["customers_scored"] == 10
    assert all_snapshots() == uninterrupted
    killed.refresh_from_db()
    assert killed.outcome == RiskRun.Outcome.FAILED and "Interrupted" in killed.message


def summaries():
    fields = [f.name for f in PortfolioSummary._meta.concrete_fields if f.name != "id" and not f.name.endswith("_at")]
    return sorted(map(repr, PortfolioSummary.objects.values_list(*fields)))


def alert_state():
    return sorted((a.customer_id, a.kind, a.as_of, repr(a.details), a.closed_at) for a in Alert.objects.all())


@pytest.mark.needs_redis
@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_killed_mid_night_is_replaced_and_the_night_ends_as_if_uninterrupted(
    postgres_only, redis_url, broker, book, tmp_path
):
    tiers = dict(Customer.objects.values_list("pk", "tier"))
    nightly.nightly_jobs(as_of=AS_OF)
    uninterrupted = all_snapshots(), alert_state(), summaries()
    for model in (Alert, RiskSnapshot, RiskRun, PortfolioSummary):
        model.objects.all().delete()
    for pk, tier in tiers.items():
        Customer.objects.filter(pk=pk).update(tier=tier)

    with workers.table_locked("accounts_alert") as release:
        with workers.worker_processes(broker, redis_url, log_dir=tmp_path) as [worker]:
            sent = tasks.nightly_risk.delay(AS_OF.isoformat())
            # Tiered and scored, snapshots written; now raising alerts, and held there.
            workers.wait_until(lambda: workers.waiting_on("accounts_alert"), timeout=90, what="the run to reach alerts")
            assert RiskSnapshot.objects.filter(as_of=AS_OF).count() == 10
            [pool_process] = workers.pool_processes(worker)
            workers.kill(pool_process)
            release()
            result = sent.get(timeout=90)

    assert result["outcome"] == "succeeded" and result["customers_scored"] == 10
    assert all_snapshots() == uninterrupted[0]
    assert alert_state() == uninterrupted[1]  # the tier changes' alerts too, though tiering was done
    assert summaries() == uninterrupted[2]
    killed, rerun = RiskRun.objects.filter(job=RiskRun.Job.NIGHTLY).order_by("pk")
    assert killed.outcome == RiskRun.Outcome.FAILED and "Interrupted" in killed.message
    assert rerun.outcome == RiskRun.Outcome.SUCCEEDED and rerun.task_id == killed.task_id == sent.id


@pytest.mark.needs_redis
@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("processes", [1, 2])
def test_a_night_scored_in_chunks_by_worker_processes_ends_as_in_one_process(
    postgres_only, redis_url, broker, book, tmp_path, processes
):
    tiers = dict(Customer.objects.values_list("pk", "tier"))
    nightly.nightly_jobs(as_of=AS_OF)
    in_one_process = all_snapshots(), alert_state(), summaries()
    for model in (Alert, RiskSnapshot, RiskRun, PortfolioSummary):
        model.objects.all().delete()
    for pk, tier in tiers.items():
        Customer.objects.filter(pk=pk).update(tier=tier)
    # Ten customers in chunks of two: five chunks, one task each for whichever process is free.
    chunked = {"RISK_CHUNKED_MIN_CUSTOMERS": "1", "RISK_CHUNK_CUSTOMERS": "2"}

    with workers.worker_processes(broker, redis_url, count=processes, log_dir=tmp_path, env=chunked):
        result = tasks.nightly_risk.delay(AS_OF.isoformat()).get(timeout=120)

    assert result["outcome"] == "succeeded" and result["customers_scored"] == 10
    assert (all_snapshots(), alert_state(), summaries()) == in_one_process
    run = RiskRun.objects.get()
    # The night's own process scores alone, or shares the chunks with the other process.
    assert "Scored in 5 chunks by" in run.message
    assert {"tiering", "scoring", "alerts", "plays", "summaries"} <= set(result["steps"])
    assert not ScoringChunk.objects.exists()


@pytest.mark.needs_redis
@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_night_whose_whole_worker_is_killed_is_redelivered_after_the_visibility_timeout(
    postgres_only, redis_url, broker, uninterrupted, tmp_path
):
    # Production waits CELERY_VISIBILITY_TIMEOUT (2 h 15 min) before giving the task to another worker,
    # and looks for abandoned tasks every 100 s.
    short = {
        "CELERY_VISIBILITY_TIMEOUT": "2",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
    }
    with workers.table_locked(RiskSnapshot._meta.db_table) as release:
        with workers.worker_processes(broker, redis_url, log_dir=tmp_path, env=short) as [worker]:
            sent = tasks.nightly_risk.delay(AS_OF.isoformat())
            workers.wait_until(
                lambda: workers.waiting_on(RiskSnapshot._meta.db_table), timeout=90, what="the run to start scoring"
            )
            workers.kill_machine(worker)
        release()
    started = time.monotonic()
    with workers.worker_processes(broker, redis_url, log_dir=tmp_path, env=short):
        result = sent.get(timeout=240)
    print(f"redelivered and finished after {time.monotonic() - started:.1f} s")
    assert result["outcome"] == "succeeded" and all_snapshots() == uninterrupted
    killed = RiskRun.objects.order_by("pk").first()
    assert killed.outcome == RiskRun.Outcome.FAILED and "Interrupted" in killed.message


def test_the_scheduled_night_is_scored_once_and_a_night_asked_for_by_date_again(book, monkeypatch):
    monkeypatch.setattr(tasks, "business_today", lambda: AS_OF)
    first = tasks.nightly_risk.delay().get()
    duplicate = tasks.nightly_risk.delay().get()
    assert first["outcome"] == "succeeded" and duplicate["outcome"] == "skipped"
    assert "already done" in duplicate["message"]
    assert tasks.nightly_risk.delay(AS_OF.isoformat()).get()["outcome"] == "succeeded"
    assert RiskRun.objects.filter(outcome=RiskRun.Outcome.SUCCEEDED).count() == 2


# Two schedulers sending the night's task, as a real `celery beat` does, every second here.
BEAT = textwrap.dedent(
    """
    import sys
    import django

    django.setup()
    from keyaccounts.celery import app

    queue, schedule_file = sys.argv[1], sys.argv[2]
    app.conf.task_default_queue = queue
    app.conf.beat_schedule = {"nightly-risk": {"task": "accounts.tasks.nightly_risk", "schedule": 1.0}}
    app.Beat(schedule=schedule_file, loglevel="WARNING", quiet=True).run()
    """
)


@pytest.mark.needs_redis
@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_and_two_schedulers_score_the_night_once(postgres_only, redis_url, broker, book, tmp_path):
    today = tasks.business_today()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "keyaccounts.settings_test",
        "DATABASE_URL": workers.database_url(),
        "REDIS_URL": redis_url,
    }
    with workers.worker_processes(broker, redis_url, count=2, log_dir=tmp_path):
        beats = [
            subprocess.Popen(
                [sys.executable, "-c", BEAT, broker, str(tmp_path / f"beat{n}")],
                env=env,
                cwd=settings.BASE_DIR,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for n in range(2)
        ]
        try:
            # Each scheduler sends the night every second; let them send a dozen between them.
            workers.wait_until(
                lambda: RiskRun.objects.filter(as_of=today).exclude(outcome=RiskRun.Outcome.RUNNING).count() >= 8,
                timeout=120,
                what="the schedulers' tasks to be run",
            )
        finally:
            for beat in beats:
                beat.kill()
                beat.wait()
    runs = RiskRun.objects.filter(job=RiskRun.Job.NIGHTLY, as_of=today)
    assert runs.filter(outcome=RiskRun.Outcome.SUCCEEDED).count() == 1
    assert runs.filter(outcome=RiskRun.Outcome.SKIPPED).count() >= 7
    assert not runs.filter(outcome=RiskRun.Outcome.FAILED).exists()
    assert RiskSnapshot.objects.filter(as_of=today).count() == 10


# Catching up missed nights -------------------------------------------------------------------


def test_the_nightly_task_catches_up_the_nights_missed_since_the_last_success_oldest_first(book):
    nightly.risk_nightly(as_of=AS_OF - timedelta(days=4))
    failed = RiskRun.objects.create(
        job=RiskRun.Job.NIGHTLY, as_of=AS_OF - timedelta(days=2), started_at=nightly.timezone.now()
    )
    result = tasks.nightly_risk.delay(AS_OF.isoformat()).get()
    missed = [AS_OF - timedelta(days=d) for d in (3, 2, 1)]
    assert result["outcome"] == "succeeded" and result["caught_up"] == [d.isoformat() for d in missed]
    succeeded = RiskRun.objects.filter(outcome=RiskRun.Outcome.SUCCEEDED).order_by("started_at", "pk")
    assert [r.as_of for r in succeeded] == [AS_OF - timedelta(days=4), *missed, AS_OF]
    for day in [*missed, AS_OF]:
        assert RiskSnapshot.objects.filter(as_of=day).count() == 10
    failed.refresh_from_db()
    assert failed.outcome == RiskRun.Outcome.FAILED  # closed as interrupted by the first run


def test_catching_up_is_bounded_and_needs_a_first_success(db):
    assert nightly.missed_nights(as_of=AS_OF) == []
    RiskRun.objects.create(
        job=RiskRun.Job.NIGHTLY,
        as_of=AS_OF - timedelta(days=30),
        started_at=nightly.timezone.now(),
        outcome=RiskRun.Outcome.SUCCEEDED,
    )
    assert nightly.missed_nights(as_of=AS_OF, limit=3) == [AS_OF - timedelta(days=d) for d in (3, 2, 1)]
    assert len(nightly.missed_nights(as_of=AS_OF)) == nightly.CATCH_UP_DAYS
    assert nightly.missed_nights(as_of=AS_OF - timedelta(days=29)) == []


def test_recompute_command_scores_and_reports(book):
    out = StringIO()
    call_command("recompute_risk", "--as-of", AS_OF.isoformat(), "--no-progress", stdout=out)
    assert "10 customers scored" in out.getvalue()


@pytest.mark.parametrize(
    ("value", "message"), [("2026-13-01", "YYYY-MM-DD"), ("yesterday", "YYYY-MM-DD"), ("2999-01-01", "future")]
)
def test_recompute_command_rejects_bad_and_future_dates(db, value, message):
    with pytest.raises(CommandError, match=message):
        call_command("recompute_risk", "--as-of", value, "--no-progress")
    assert not RiskRun.objects.exists()


def test_recompute_command_rejects_a_model_whose_weights_do_not_sum_to_a_positive_number(book):
    f.RiskModelVersionFactory(version=7, is_active=True, weights={"purchase_trend": 0, "relationship": 0})
    with pytest.raises(CommandError, match="more than zero"):
        call_command("recompute_risk", "--as-of", AS_OF.isoformat(), "--no-progress")
    assert not RiskSnapshot.objects.exists()


def test_beat_schedule_runs_registered_tasks_and_expires_under_a_day():
    # What a worker does at start: import every app's tasks module, so the names resolve here too.
    app.loader.import_default_modules()
    schedule = app.conf.beat_schedule
    assert {entry["task"] for entry in schedule.values()} == {
        "accounts.tasks.nightly_risk",
        "accounts.tasks.expire_overrides",
        "complaints.tasks.escalate_tickets",
        "complaints.tasks.send_unsent_notification_emails",
        "complaints.tasks.refresh_complaint_months",
        "accounts.tasks.weekly_digest",
        "accounts.tasks.remove_old_exports",
    }
    for entry in schedule.values():
        assert entry["task"] in app.tasks
        assert entry["options"]["expires"] < 24 * 3600


def test_nightly_task_is_acked_late_and_time_limited():
    task = app.tasks["accounts.tasks.nightly_risk"]
    assert task.acks_late and task.reject_on_worker_lost
    assert task.soft_time_limit < task.time_limit


def test_the_broker_gives_back_a_dead_workers_task_after_the_longest_task_and_before_the_night_expires():
    app.loader.import_default_modules()
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert app.conf.broker_transport_options["visibility_timeout"] == visibility
    longest = max(task.time_limit or app.conf.task_time_limit for name, task in app.tasks.items() if "." in name)
    assert longest < visibility < app.conf.beat_schedule["nightly-risk"]["options"]["expires"]


@pytest.mark.needs_redis
@pytest.mark.django_db(transaction=True)
def test_nightly_task_runs_through_a_real_worker_against_redis(real_worker, alice):
    c = f.CustomerFactory(owner=alice)
    order(c, days_before(10))
    result = app.tasks["accounts.tasks.nightly_risk"].delay(AS_OF.isoformat()).get(timeout=60)
    assert result["outcome"] == "succeeded" and result["customers_scored"] == 1
    run = RiskRun.objects.get()
    assert run.task_id and run.outcome == RiskRun.Outcome.SUCCEEDED
    assert RiskSnapshot.objects.filter(customer=c, as_of=AS_OF).exists()
