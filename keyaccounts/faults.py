"""What the web app does when one of its services is down.

* The database: a request whose database connection fails (``OperationalError`` or
  ``InterfaceError``) is answered with a self-contained 503 page and ``Retry-After``, rendered
  without touching the database (no session, no user, no context processors).
* Redis as the cache: ``DegradingRedisCache`` logs a connection failure and treats it as a miss
  (reads) or a no-op (writes), with short socket timeouts, so a dead Redis neither fails nor
  hangs a page.
* Redis as the Celery broker: ``enqueue`` hands a task to the broker and answers False instead of
  raising when the broker cannot be reached; the caller keeps its work recorded and says so.

Which of these was seen last is remembered per process (``background_down_since``), for the
admin's warning banner.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation

logger = logging.getLogger(__name__)

# Seconds a client is told to wait before trying again after a 503.
RETRY_AFTER_SECONDS = 30
DATABASE_ERRORS = (OperationalError, InterfaceError)

_lock = threading.Lock()
_down_since: datetime | None = None


def is_htmx(request) -> bool:
    """An htmx request, told by its header: the failure may come before django-htmx's middleware."""
    return request.headers.get("HX-Request") == "true"


def _redis_errors() -> tuple[type[BaseException], ...]:
    import redis
    from kombu.exceptions import OperationalError as KombuOperationalError

    return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, KombuOperationalError)


def background_failed(exc: BaseException | None = None, what: str = "") -> None:
    """Remember that the background service (Redis) failed, and log it."""
    global _down_since
    with _lock:
        first = _down_since is None
        if first:
            _down_since = timezone.now()
    log = logger.error if first else logger.warning
    log("Redis unreachable (%s): %s: %s", what or "request", type(exc).__name__ if exc else "-", exc)


def background_recovered() -> None:
    global _down_since
    with _lock:
        if _down_since is not None:
            logger.warning("Redis reachable again (unreachable since %s)", _down_since.isoformat())
        _down_since = None


def background_down_since() -> datetime | None:
    """When this process first saw Redis fail, if it has not seen it work since."""
    return _down_since


def ping_redis(url: str, timeout: float = 1.0) -> bool:
    """True when Redis at ``url`` answers a PING within ``timeout`` seconds."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        background_failed(exc, "ping")
        return False
    finally:
        client.close()
    background_recovered()
    return True


def enqueue(task, *args, **kwargs) -> bool:
    """Send ``task`` to the broker; False (logged, never raised) when the broker is unreachable.

    Callers record their work before enqueueing it, so a False leaves it pending and visible.
    Tasks run in-process (no broker) raise as they always did: their errors are not the broker's."""
    if task.app.conf.task_always_eager:
        task.delay(*args, **kwargs)
        return True
    try:
        task.delay(*args, **kwargs)
    except _redis_errors() as exc:
        background_failed(exc, f"enqueue {getattr(task, 'name', task)}")
        return False
    return True


class DegradingRedisCache(RedisCache):
    """Django's Redis cache, where an unreachable Redis is a miss or a no-op, never an error.

    The cache holds nothing that is not also elsewhere (progress of running jobs), so losing it
    is a loss of detail, not of data. Pair it with short socket timeouts in OPTIONS."""

    def _guard(self, what: str, default, call, *args, **kwargs):
        try:
            return call(*args, **kwargs)
        except _redis_errors() as exc:
            background_failed(exc, f"cache {what}")
            return default

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("add", False, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._guard("get", default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("set", None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("touch", False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._guard("delete", False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._guard("get_many", {}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._guard("has_key", False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except _redis_errors() as exc:
            background_failed(exc, "cache incr")
            raise ValueError(f"Key '{key}' not found (cache unreachable)") from exc

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("set_many", list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._guard("delete_many", None, super().delete_many, keys, version)

    def clear(self):
        return self._guard("clear", False, super().clear)


def is_database_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, DATABASE_ERRORS)


def database_unavailable_response(request) -> HttpResponse:
    """The 503 page, rendered from a self-contained template with no database access: no
    request context (no user, no session), the language read from the cookie or the browser."""
    language = translation.get_language_from_request(request)
    try:
        with translation.override(language):
            if is_htmx(request):
                body = render_to_string("errors/_fragment.html", {"status": 503, "kind": "unavailable"})
            else:
                body = render_to_string("503.html", {"status": 503})
    except Exception:  # the page itself must never fail
        logger.exception("The 503 page could not be rendered")
        body = "<!doctype html><title>503</title><h1>503 Service Unavailable</h1>"
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """A view (or its template) whose database connection fails answers 503, not 500.

    Failures outside views (another middleware saving the session, say) reach ``errors.server_error``,
    which gives the same answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_database_unavailable(exception):
            logger.error("Database unavailable on %s %s: %s", request.method, request.path, exception)
            return database_unavailable_response(request)
        return None


def admin_background_status(request) -> dict:
    """Context processor: on the admin's index, whether the background service (Redis) answers,
    and since when this process has seen it fail. Other pages pay nothing."""
    from django.conf import settings

    url = getattr(settings, "REDIS_URL", "")
    match = getattr(request, "resolver_match", None)
    if not url or match is None or match.view_name != "admin:index":
        return {}
    if ping_redis(url, timeout=0.5):
        return {}
    return {"background_down_since": background_down_since() or timezone.now()}
