"""The error pages: 403, 404, 500, the CSRF failure, in the page's language and with the navigation.

An htmx request gets a one-line fragment instead of a page: the page's error box (static/js/app.js)
shows its own message by status, and a whole page swapped into a table cell would help nobody.
The 500 page tries the full page and falls back to a self-contained one; it never raises.
"""

from __future__ import annotations

import logging
import sys

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.csrf import requires_csrf_token

from .faults import database_unavailable_response, is_database_unavailable, is_htmx

logger = logging.getLogger(__name__)

MINIMAL_500 = (
    "<!doctype html><html><head><meta charset='utf-8'><title>500</title></head>"
    "<body><h1>500</h1><p>Server error / 服务器错误</p><p><a href='/'>KeyAccounts</a></p></body></html>"
)


def _fragment(status: int, kind: str) -> HttpResponse:
    return HttpResponse(render_to_string("errors/_fragment.html", {"status": status, "kind": kind}), status=status)


def _page(request, template: str, status: int, kind: str) -> HttpResponse:
    if is_htmx(request):
        return _fragment(status, kind)
    return HttpResponse(render_to_string(template, {"status": status}, request), status=status)


@requires_csrf_token
def permission_denied(request, exception=None):
    return _page(request, "403.html", 403, "forbidden")


@requires_csrf_token
def page_not_found(request, exception=None):
    return _page(request, "404.html", 404, "missing")


def csrf_failure(request, reason: str = ""):
    """CSRF_FAILURE_VIEW: the form expired or came from elsewhere. The reason is not shown (Django
    already logs it to django.security.csrf)."""
    if is_htmx(request):
        return _fragment(403, "csrf")
    try:
        return HttpResponse(render_to_string("403_csrf.html", {"status": 403}, request), status=403)
    except Exception:
        logger.exception("The CSRF page could not be rendered with its navigation")
        return HttpResponse(render_to_string("403_csrf.html", {"status": 403, "minimal": True}), status=403)


@requires_csrf_token
def server_error(request):
    """handler500: never raises. A database that cannot be reached is a 503, not a 500."""
    if is_database_unavailable(sys.exc_info()[1]):
        return database_unavailable_response(request)
    try:
        if is_htmx(request):
            return _fragment(500, "failed")
        return HttpResponse(render_to_string("500.html", {"status": 500}, request), status=500)
    except Exception:
        logger.exception("The full 500 page failed; answering with the minimal one")
    try:
        return HttpResponse(render_to_string("500.html", {"status": 500, "minimal": True}), status=500)
    except Exception:
        logger.exception("The minimal 500 page failed too")
        return HttpResponse(MINIMAL_500, status=500)
