"""Two test runs on one machine share its Redis; neither may take or read the other's work."""

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.cache import cache

from keyaccounts.celery import app


@pytest.mark.needs_redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_of_another_run_on_the_same_redis_never_takes_this_runs_tasks(redis_url, real_worker):
    # Another run's worker on the same Redis db, listening where Celery sends tasks by default. It
    # runs the same task against its own database: any task of ours it took would answer for it.
    stranger = Celery("another-test-run", broker=redis_url, backend=redis_url, set_as_current=False)

    @stranger.task(name="accounts.tasks.weekly_digest", shared=False)
    def digest_of_another_run(*args):
        return {"sent": "another run"}

    with start_worker(
        stranger, perform_ping_check=False, pool="solo", loglevel="ERROR", queues=["celery"], shutdown_timeout=30
    ):
        app.set_current()  # starting a worker makes its app the current one; ours sends the tasks
        task = app.tasks["accounts.tasks.weekly_digest"]
        sent = [task.delay("2026-11-30") for _ in range(10)]
        results = [result.get(timeout=20) for result in sent]
    assert results == [{"sent": 0}] * 10


def test_the_cache_keys_of_a_test_run_are_its_own():
    if "redis" not in settings.CACHES["default"]["BACKEND"].lower():
        pytest.skip("the cache is in-process without REDIS_URL: nothing is shared")
    assert cache.make_key("progress") == f"test-{settings.RUN_ID}:1:progress"
