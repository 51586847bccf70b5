"""Shared fixtures: the standing cast of users and a customer each of them relates to differently.

alice owns the customer, bob backs it up, tina is on its account team, oscar is an account manager
with customers of his own (an outsider here), erin is an executive, sam works the service desk.
"""

import os

import pytest
from django.core.servers.basehttp import WSGIServer
from django.db import connection
from django.test.testcases import LiveServerThread

from keyaccounts.tests import factories as f


class SerialWSGIServer(WSGIServer):
    """The browser tests' server answering one request at a time (each with Connection: close)."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)


def pytest_sessionstart(session):
    # On the in-memory SQLite test database the live server's threads all share the test's one
    # connection; two requests at once (a page's sections loading side by side) could leave one
    # of them waiting on it for good. Served one at a time they cannot.
    if connection.vendor == "sqlite":
        LiveServerThread.server_class = SerialWSGIServer


@pytest.fixture
def alice(db):
    return f.account_manager("alice")


@pytest.fixture
def bob(db):
    return f.account_manager("bob")


@pytest.fixture
def tina(db):
    return f.account_manager("tina")


@pytest.fixture
def oscar(db):
    return f.account_manager("oscar")


@pytest.fixture
def erin(db):
    return f.executive("erin")


@pytest.fixture
def sam(db):
    return f.service_desk("sam")


@pytest.fixture
def superuser(db):
    return f.UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def customer(alice, bob, tina):
    """alice's customer, backed up by bob, with tina on the account team."""
    return f.CustomerFactory(name="Shanghai Precision Motors", owner=alice, backup_owner=bob, team=[tina])


@pytest.fixture
def oscars_customer(oscar):
    return f.CustomerFactory(name="Harbin Heavy Industries", owner=oscar)


def _service_unavailable(reason: str):
    """Outside CI a missing service skips the test with a visible reason; under CI it fails."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason} (CI=true: a missing service is a failure)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def redis_url():
    """A reachable Redis: REDIS_URL, or the local default 127.0.0.1:6379."""
    import redis

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError as exc:
        _service_unavailable(f"Redis is not reachable at {url}: {exc}")
    return url


@pytest.fixture
def broker(redis_url):
    """Tasks sent to the real Redis, to this test run's own queue; yields the queue's name.

    Two test runs on one machine (two clones, or a developer's run beside CI) share Redis. Each
    run sends its tasks to a queue named for the run, and its workers listen to that queue alone,
    so no run's worker ever takes another run's tasks. Afterwards tasks run in-process again.
    """
    from django.conf import settings

    from keyaccounts.celery import app

    def connect(**conf):
        # The connection pools and the result backend are made once from the settings of their
        # time: drop them, or tasks would still go to the in-process broker of earlier tests.
        app._pool = None
        app.amqp._producer_pool = None
        app._backend_cache = None
        app._local.__dict__.pop("backend", None)
        app.conf.update(conf)

    queue = f"keyaccounts-test-{settings.RUN_ID}"
    saved = {key: app.conf[key] for key in ("broker_url", "result_backend", "task_always_eager", "task_default_queue")}
    connect(broker_url=redis_url, result_backend=redis_url, task_always_eager=False, task_default_queue=queue)
    try:
        yield queue
    finally:
        connect(**saved)
        # The run's queue and its bindings go with it, so runs leave nothing behind in Redis.
        import redis

        redis.Redis.from_url(redis_url).delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


@pytest.fixture
def real_worker(broker):
    """A Celery worker in this process (a thread, solo pool) on this test run's queue."""
    from celery.contrib.testing.worker import start_worker

    from keyaccounts.celery import app

    with start_worker(
        app, perform_ping_check=False, pool="solo", loglevel="WARNING", queues=[broker], hostname=f"{broker}@localhost"
    ):
        yield broker


@pytest.fixture
def postgres_only(settings):
    from django.db import connection

    if connection.vendor != "postgresql":
        _service_unavailable("needs PostgreSQL: set DATABASE_URL=postgres://...")
