"""Real Celery worker processes for fault tests, and faults to inject into them.

A worker started here is a separate ``celery worker`` process on this test run's own queue (see
conftest's ``broker``), against the test database — so a test can kill it with SIGKILL the way an
operating system or an operator does. A job is caught mid-run by a table lock taken by the test:
the worker's statement waits on it, and the test knows the job is exactly there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection


def database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_until(condition: Callable[[], object], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@contextmanager
def worker_processes(
    queue: str, redis_url: str, *, count: int = 1, log_dir=None, env: dict | None = None
) -> Iterator[list[subprocess.Popen]]:
    """``count`` worker processes (prefork, one pool process each) on ``queue``; stopped after.

    Each leads a process group of its own (its pool processes with it), as on a machine of its own.
    """
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "keyaccounts.settings_test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        **(env or {}),
    }
    workers = []
    try:
        for n in range(count):
            log = open(log_dir / f"worker{len(os.listdir(log_dir))}.log", "w") if log_dir else subprocess.DEVNULL  # noqa: SIM115
            command = [sys.executable, "-m", "celery", "-A", "keyaccounts", "worker", "-Q", queue, "-c", "1"]
            command += ["-n", f"w{n}-{queue}@localhost", "--loglevel", "WARNING", "--without-gossip"]
            command += ["--without-mingle", "--without-heartbeat", "--prefetch-multiplier", "1"]
            workers.append(
                subprocess.Popen(
                    command,
                    env=env,
                    cwd=settings.BASE_DIR,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        yield workers
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def pool_processes(worker: subprocess.Popen) -> list[int]:
    """The pool processes a worker forked to run its tasks."""
    with open(f"/proc/{worker.pid}/task/{worker.pid}/children") as children:
        return [int(pid) for pid in children.read().split()]


def session():
    """A database session of its own, as another process would have."""
    raw = connection.get_new_connection(connection.get_connection_params())
    raw.autocommit = True
    return raw


@contextmanager
def table_locked(table: str) -> Iterator[Callable[[], None]]:
    """Hold an exclusive lock on ``table``: anyone reading or writing it waits. Yields the release."""
    holder = session()
    cursor = holder.cursor()
    cursor.execute("BEGIN")
    cursor.execute(f"LOCK TABLE {connection.ops.quote_name(table)} IN ACCESS EXCLUSIVE MODE")
    released = False

    def release() -> None:
        nonlocal released
        if not released:
            cursor.execute("ROLLBACK")
            released = True

    try:
        yield release
    finally:
        release()
        holder.close()


def waiting_on(table: str) -> int:
    """How many sessions wait for a lock on ``table``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = %s::regclass", [table])
        return cursor.fetchone()[0]


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


def kill_machine(worker: subprocess.Popen) -> None:
    """SIGKILL to a worker and its pool processes at once: the machine it ran on is gone."""
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
