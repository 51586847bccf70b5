"""A lock that belongs to the process running a job, so two runs of a job never overlap and a
run that dies (a worker killed, a machine lost) takes its lock with it.

On PostgreSQL it is a session advisory lock (``pg_try_advisory_lock``) held by the run's own
database connection: the server releases it when the run unlocks, or when the connection ends for
any reason, including the process being killed. There is no expiry to wait for, so the run
redelivered after a killed worker takes the lock at once. (It needs a session of its own: behind a
pooler in transaction mode, such as PgBouncer's, point the workers at the database directly.)

On SQLite (the embedded default: one machine) it is an exclusive ``flock`` on a file next to the
database file, which the operating system drops when the process ends the same way. An in-memory
database is private to its process, so its lock file is too.
"""

import fcntl
import hashlib
import os
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import DatabaseError, connection

# PostgreSQL advisory lock class of the job locks ("KA" + 2; the summary refresh uses "KA" + 1).
JOB_LOCK_CLASS = 0x4B41 + 2

# How long to retry a lock that is held before giving up: a killed run's connection takes a
# moment to end on the server, and its redelivered task may arrive first.
WAIT_SECONDS = 5.0
_POLL_SECONDS = 0.25


class LockHeld(Exception):
    """Another run holds the lock."""


def lock_id(name: str) -> int:
    """The advisory lock's id within JOB_LOCK_CLASS: a stable hash of the job's name."""
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


@contextmanager
def job_lock(name: str, *, wait_seconds: float | None = None) -> Iterator[None]:
    """Hold the job's lock for the block; LockHeld if another live run holds it."""
    wait = WAIT_SECONDS if wait_seconds is None else wait_seconds
    lock = _advisory_lock if connection.vendor == "postgresql" else _file_lock
    with lock(name, wait):
        yield


def _retrying(try_once, wait: float) -> bool:
    deadline = time.monotonic() + wait
    while not try_once():
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL_SECONDS)
    return True


@contextmanager
def _advisory_lock(name: str, wait: float) -> Iterator[None]:
    key = [JOB_LOCK_CLASS, lock_id(name)]

    def try_once() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
            return cursor.fetchone()[0]

    if not _retrying(try_once, wait):
        raise LockHeld(name)
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)
        except DatabaseError:
            # The connection is broken or its transaction aborted: ending the session frees the lock.
            if not connection.in_atomic_block:
                connection.close()


def lock_file_path(name: str) -> Path:
    database = str(connection.settings_dict["NAME"])
    if connection.is_in_memory_db():
        slug = hashlib.sha1(f"{database}:{os.getpid()}".encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"keyaccounts-{slug}-{name}.lock"
    return Path(f"{database}.{name}.lock")


@contextmanager
def _file_lock(name: str, wait: float) -> Iterator[None]:
    fd = os.open(lock_file_path(name), os.O_RDWR | os.O_CREAT, 0o600)

    def try_once() -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    try:
        if not _retrying(try_once, wait):
            raise LockHeld(name)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
