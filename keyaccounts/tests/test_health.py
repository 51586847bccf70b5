"""/health/ for monitoring and /health/live/ for load balancers: what each says, its status code,
its query count, and that it needs no login and shows nothing sensitive."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import RiskRun
from keyaccounts.tests import factories as f

pytestmark = pytest.mark.django_db

URL = reverse("health")


def _nightly(hours_ago: float, outcome=RiskRun.Outcome.SUCCEEDED, job=RiskRun.Job.NIGHTLY):
    finished = timezone.now() - timedelta(hours=hours_ago)
    return f.RiskRunFactory(job=job, outcome=outcome, started_at=finished - timedelta(minutes=20), finished_at=finished)


def test_all_well_is_ok_and_200_in_two_queries(client, settings, django_assert_num_queries):
    settings.REDIS_URL = ""
    _nightly(3)
    with django_assert_num_queries(2):
        response = client.get(URL)
    data = response.json()
    assert response.status_code == 200 and data["status"] == "ok"
    assert data["checks"]["database"] == {"status": "ok"}
    assert data["checks"]["broker"] == {"status": "in-process"}
    assert data["checks"]["nightly"]["status"] == "ok" and data["checks"]["nightly"]["age_hours"] == 3.0
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_stale_nightly_is_down_and_503(client, settings):
    settings.REDIS_URL = ""
    _nightly(27)
    _nightly(1, outcome=RiskRun.Outcome.FAILED)  # a failed run does not count
    _nightly(1, job=RiskRun.Job.SCORING)  # nor another job
    response = client.get(URL)
    assert response.status_code == 503
    assert response.json()["status"] == "down" and response.json()["checks"]["nightly"]["status"] == "stale"


def test_the_allowed_age_is_a_setting(client, settings):
    settings.REDIS_URL = ""
    settings.HEALTH_NIGHTLY_MAX_AGE_HOURS = 48
    _nightly(27)
    assert client.get(URL).status_code == 200


def test_no_nightly_ever_is_stale(client, settings):
    settings.REDIS_URL = ""
    data = client.get(URL).json()
    assert data["status"] == "down" and data["checks"]["nightly"]["last_success"] is None


def test_a_dead_redis_is_degraded_but_200(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    _nightly(3)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.json()["status"] == "degraded" and response.json()["checks"]["broker"] == {"status": "down"}


@pytest.mark.needs_redis
def test_a_live_redis_is_ok(client, settings, redis_url):
    settings.REDIS_URL = redis_url
    _nightly(3)
    data = client.get(URL).json()
    assert data["status"] == "ok" and data["checks"]["broker"] == {"status": "ok"}


def test_signed_in_or_not_it_shows_nothing_sensitive(client, settings, alice):
    settings.REDIS_URL = "redis://:secretpassword@127.0.0.1:1/0"
    _nightly(3)
    body = client.get(URL).content.decode()
    assert "secretpassword" not in body and "127.0.0.1" not in body and "alice" not in body


def test_liveness_checks_the_database_only(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get(reverse("health_live"))
    assert response.status_code == 200 and response.json() == {"status": "ok"}
