"""A dead Redis (a closed port, the real client, no mocks): pages still render, and work that needs
the background service is kept, with a clear message, instead of failing with a 500."""

import io
import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.models import BacktestRun, Customer
from complaints.models import Notification
from complaints.notifications import notify
from exchange.models import ImportJob
from keyaccounts import faults
from keyaccounts.celery import app
from keyaccounts.tests import factories as f

pytestmark = pytest.mark.django_db

DEAD = "redis://127.0.0.1:1/0"
UNAVAILABLE = "The background service is unavailable"


@pytest.fixture
def dead_redis(settings):
    """The production Redis settings, pointed at a port nothing listens on."""
    settings.REDIS_URL = DEAD
    settings.CACHES = {
        "default": {
            "BACKEND": "keyaccounts.faults.DegradingRedisCache",
            "LOCATION": DEAD,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
        }
    }
    saved = {key: app.conf[key] for key in ("broker_url", "result_backend", "task_always_eager")}
    app.conf.update(
        broker_url=DEAD,
        result_backend=DEAD,
        task_always_eager=False,
        broker_connection_timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT,
        task_publish_retry_policy=settings.CELERY_TASK_PUBLISH_RETRY_POLICY,
    )
    _fresh_broker_pools()
    try:
        yield
    finally:
        app.conf.update(**saved)
        _fresh_broker_pools()
        faults.background_recovered()


def _fresh_broker_pools():
    """Celery keeps its connection and producer pools for the broker it first used: drop them, so
    the dead broker is the one used here and the in-memory one again afterwards."""
    app._pool = None
    app.amqp._producer_pool = None


def test_the_cache_is_a_miss_and_a_no_op(dead_redis):
    cache.set("k", 1)
    assert cache.get("k") is None and cache.get("k", "default") == "default"
    assert cache.add("k", 1) is False and cache.delete("k") is False and cache.get_many(["k"]) == {}
    assert faults.background_down_since() is not None


def test_pages_render(dead_redis, client, alice, erin, customer):
    client.force_login(alice)
    for url in (reverse("home"), reverse("customer_detail", args=[customer.pk]), reverse("today")):
        started = time.monotonic()
        assert client.get(url).status_code == 200, url
        assert time.monotonic() - started < 10, url
    client.force_login(erin)
    assert client.get(reverse("portfolio_dashboard")).status_code == 200


def test_an_import_is_kept_and_the_user_told(dead_redis, client, superuser, alice):
    client.force_login(superuser)
    file = io.BytesIO(b"code,name,industry,region,owner,customer_since\nC1,Acme,manufacturing,east,alice,2020-01-01\n")
    file.name = "customers.csv"
    started = time.monotonic()
    response = client.post(reverse("import_index"), {"kind": "customers", "file": file}, follow=True)
    assert time.monotonic() - started < 15
    job = ImportJob.objects.get()
    assert response.status_code == 200 and UNAVAILABLE in response.content.decode()
    assert job.status == ImportJob.Status.CHECKING and Customer.objects.count() == 0
    # Its page offers to run it again once the service is back.
    assert 'data-testid="job-interrupted"' in client.get(reverse("import_job", args=[job.pk])).content.decode()
    again = client.post(reverse("import_apply", args=[job.pk]), follow=True)
    assert again.status_code == 200 and UNAVAILABLE in again.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKING and Customer.objects.count() == 0


def test_a_checked_import_is_not_applied_and_the_user_told(dead_redis, client, superuser):
    job = ImportJob.objects.create(
        user=superuser, kind="customers", filename="c.csv", stored_as="c.csv", size=1, status=ImportJob.Status.CHECKED
    )
    client.force_login(superuser)
    response = client.post(reverse("import_apply", args=[job.pk]), follow=True)
    html = response.content.decode()
    assert response.status_code == 200 and UNAVAILABLE in html and "press “Import now” again" in html
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED and Customer.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_backtest_run_is_kept_and_the_user_told(dead_redis, client, erin):
    # A real commit, so the task is sent within the request, as in production.
    version = f.RiskModelVersionFactory(version=3, is_active=True)
    client.force_login(erin)
    data = {"model_version": version.pk, "start": "2025-01-31", "end": "2025-06-30", "horizon_days": 90}
    response = client.post(reverse("risk_quality"), data, follow=True)
    run = BacktestRun.objects.get()
    html = response.content.decode()
    assert response.status_code == 200 and UNAVAILABLE in html
    assert run.status == BacktestRun.Status.QUEUED and 'data-testid="run-interrupted"' in html


def test_notifications_are_kept_without_their_email(dead_redis, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[alice], text="Hello")
    assert Notification.objects.get().emailed_at is None


def test_the_admin_says_the_background_service_is_unreachable(dead_redis, client, superuser):
    client.force_login(superuser)
    html = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="background-down"' in html and "The background service (Redis) is unreachable since" in html


def test_no_banner_without_redis(client, superuser, settings):
    settings.REDIS_URL = ""
    client.force_login(superuser)
    assert 'data-testid="background-down"' not in client.get(reverse("admin:index")).content.decode()


def test_production_settings_use_the_degrading_cache_and_give_up_quickly():
    """What the fixture above sets is what settings.py gives a deployment with REDIS_URL."""
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "REDIS_URL": DEAD, "SECRET_KEY": "x", "DEBUG": "0"}
    env.pop("DATABASE_URL", None)
    code = (
        "import json; from keyaccounts import settings as s; print(json.dumps([s.CACHES, "
        "s.CELERY_BROKER_CONNECTION_TIMEOUT, s.CELERY_TASK_PUBLISH_RETRY_POLICY, s.CELERY_TASK_ALWAYS_EAGER]))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    caches, connect_timeout, retry_policy, eager = json.loads(out)
    assert caches["default"]["BACKEND"] == "keyaccounts.faults.DegradingRedisCache"
    assert caches["default"]["OPTIONS"] == {"socket_connect_timeout": 0.5, "socket_timeout": 1}
    assert connect_timeout <= 1 and retry_policy["max_retries"] <= 1 and eager is False
