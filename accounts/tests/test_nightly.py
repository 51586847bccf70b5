from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from accounts import nightly
from accounts.locking import job_lock
from accounts.models import Alert, Customer, RiskRun, RiskSnapshot, Tier
from accounts.risk import engine, plumbing
from accounts.tests.test_risk_engine import populate, snapshot_fields
from accounts.tests.test_risk_factors import AS_OF, days_before, order
from keyaccounts.celery import app
from keyaccounts.tests import factories as f


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
    assert "10 customers scored" in run.message


def test_running_the_nightly_job_twice_gives_identical_snapshots_and_no_duplicate_alerts(book):
    nightly.risk_nightly(as_of=AS_OF)
    first, alerts = all_snapshots(), Alert.objects.count()
    nightly.risk_nightly(as_of=AS_OF)
    assert all_snapshots() == first
    assert Alert.objects.count() == alerts


def test_a_second_run_while_one_is_in_progress_is_skipped_and_says_so(book):
    with job_lock("nightly-risk", ttl_seconds=60):
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
        "accounts.tasks.weekly_digest",
    }
    for entry in schedule.values():
        assert entry["task"] in app.tasks
        assert entry["options"]["expires"] < 24 * 3600


def test_nightly_task_is_acked_late_and_time_limited():
    task = app.tasks["accounts.tasks.nightly_risk"]
    assert task.acks_late and task.reject_on_worker_lost
    assert task.soft_time_limit < task.time_limit


@pytest.mark.needs_redis
@pytest.mark.django_db(transaction=True)
def test_nightly_task_runs_through_a_real_worker_against_redis(redis_url, alice):
    from celery.contrib.testing.worker import start_worker

    c = f.CustomerFactory(owner=alice)
    order(c, days_before(10))
    app.conf.update(broker_url=redis_url, result_backend=redis_url, task_always_eager=False)
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            result = app.tasks["accounts.tasks.nightly_risk"].delay(AS_OF.isoformat()).get(timeout=60)
    finally:
        app.conf.update(broker_url="memory://", result_backend="cache+memory://", task_always_eager=True)
    assert result["outcome"] == "succeeded" and result["customers_scored"] == 1
    run = RiskRun.objects.get()
    assert run.task_id and run.outcome == RiskRun.Outcome.SUCCEEDED
    assert RiskSnapshot.objects.filter(customer=c, as_of=AS_OF).exists()
