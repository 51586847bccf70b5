"""A lock that expires, so that two runs of a nightly job never overlap.

The lock lives in the shared cache (Redis in production): `cache.add` is an atomic
set-if-absent with a timeout, so a worker killed mid-run cannot hold the lock forever.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache


class LockHeld(Exception):
    """Another run holds the lock."""


@contextmanager
def job_lock(name: str, *, ttl_seconds: int) -> Iterator[str]:
    key = f"keyaccounts:lock:{name}"
    token = uuid.uuid4().hex
    if not cache.add(key, token, timeout=ttl_seconds):
        raise LockHeld(name)
    try:
        yield token
    finally:
        # Release only our own lock: if it expired and someone else took it, leave theirs alone.
        if cache.get(key) == token:
            cache.delete(key)
