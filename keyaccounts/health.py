"""/health/: the state of the app's services, for monitoring. No login, nothing sensitive.

    {"status": "ok" | "degraded" | "down", "checks": {"database": ..., "broker": ..., "nightly": ...}}

* database: ``SELECT 1``. Down: status "down", HTTP 503.
* broker: a Redis PING when REDIS_URL is set ("in-process" without it). Unreachable: status
  "degraded", HTTP 200 — pages still work; background work waits (see README, Monitoring).
* nightly: the age of the last succeeded nightly risk run. Older than HEALTH_NIGHTLY_MAX_AGE_HOURS
  (or none ever): "stale", status "down", HTTP 503, as the risk bands and alerts are out of date.

Two queries at most, and each check catches its own failure, so the view itself never fails.

/health/live/ is the load balancers' check: the database alone (200 or 503), so a stale nightly
run or a dead Redis never takes every instance out of rotation at once.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import RiskRun

from .faults import ping_redis

logger = logging.getLogger(__name__)


def _database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.error("Health: database unreachable: %s", exc)
        return False
    return True


def _broker() -> dict:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return {"status": "in-process"}
    return {"status": "ok" if ping_redis(url) else "down"}


def _nightly(now) -> dict:
    max_age = timedelta(hours=settings.HEALTH_NIGHTLY_MAX_AGE_HOURS)
    try:
        finished = (
            RiskRun.objects.filter(job=RiskRun.Job.NIGHTLY, outcome=RiskRun.Outcome.SUCCEEDED)
            .order_by("-finished_at")
            .values_list("finished_at", flat=True)
            .first()
        )
    except DatabaseError:
        return {"status": "unknown"}
    if finished is None:
        return {"status": "stale", "last_success": None, "max_age_hours": settings.HEALTH_NIGHTLY_MAX_AGE_HOURS}
    age = now - finished
    return {
        "status": "ok" if age <= max_age else "stale",
        "last_success": finished.isoformat(),
        "age_hours": round(age.total_seconds() / 3600, 1),
        "max_age_hours": settings.HEALTH_NIGHTLY_MAX_AGE_HOURS,
    }


@never_cache
@require_GET
def health(request):
    now = timezone.now()
    database_up = _database()
    checks = {
        "database": {"status": "ok" if database_up else "down"},
        "broker": _broker(),
        "nightly": _nightly(now) if database_up else {"status": "unknown"},
    }
    if not database_up or checks["nightly"]["status"] == "stale":
        status = "down"
    elif checks["broker"]["status"] == "down":
        status = "degraded"
    else:
        status = "ok"
    return JsonResponse(
        {"status": status, "checks": checks, "time": now.isoformat()}, status=503 if status == "down" else 200
    )


@never_cache
@require_GET
def live(request):
    """Liveness for load balancers: this instance answers and reaches the database."""
    up = _database()
    return JsonResponse({"status": "ok" if up else "down"}, status=200 if up else 503)
