"""Two test runs on one machine share its Redis; neither may take or read the other's work."""

import os
import signal
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.cache import cache

from keyaccounts.celery import app
from keyaccounts.tests.workers import wait_until


@pytest.mark.needs_redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_of_another_run_on_the_same_redis_never_takes_this_runs_tasks(redis_url, real_worker, tmp_path):
    # Another run's worker on the same Redis db, a process of its own listening where Celery sends
    # tasks by default. It answers our task's name with its own answer: any task it took would show.
    ready = tmp_path / "ready"
    env = {**os.environ, "REDIS_URL": redis_url, "STRANGER_READY_FILE": str(ready)}
    command = [sys.executable, "-m", "celery", "-A", "keyaccounts.tests.stranger_worker", "worker", "-Q", "celery"]
    command += ["-P", "solo", "--loglevel", "ERROR", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    stranger = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR, start_new_session=True)
    try:
        wait_until(lambda: ready.exists() or stranger.poll() is not None, timeout=30, what="the other run's worker")
        assert stranger.poll() is None, "the other run's worker did not start"
        task = app.tasks["accounts.tasks.weekly_digest"]
        sent = [task.delay("2026-11-30") for _ in range(10)]
        results = [result.get(timeout=20) for result in sent]
    finally:
        stranger.send_signal(signal.SIGTERM)
        try:
            stranger.wait(timeout=20)
        except subprocess.TimeoutExpired:
            stranger.kill()
            stranger.wait()
    assert results == [{"sent": 0}] * 10


def test_the_cache_keys_of_a_test_run_are_its_own():
    if "redis" not in settings.CACHES["default"]["BACKEND"].lower():
        pytest.skip("the cache is in-process without REDIS_URL: nothing is shared")
    assert cache.make_key("progress") == f"test-{settings.RUN_ID}:1:progress"
