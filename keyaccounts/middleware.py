"""Request-level plumbing shared by the whole project: requests no page can answer sensibly,
refused before any view runs; the client's address behind the trusted proxies; the
Permissions-Policy header; the sessions' idle timeout."""

import time

from django.conf import settings
from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _

NUL = "\x00"


class RejectNulMiddleware:
    """A NUL character in the path, the query string or a url-encoded form is refused with 400.

    PostgreSQL cannot store or compare text holding NUL, so a search for "a\\x00b" would otherwise
    fail deep in the database; no person types one. Form fields already refuse it (Django's
    ``ProhibitNullCharactersValidator``), but query parameters read by views are not form fields.
    Multipart forms are left to their forms, so uploads are not parsed here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._holds_nul(request):
            return HttpResponseBadRequest(
                _("The request contains a NUL character, which no field may hold."),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)

    @staticmethod
    def _holds_nul(request) -> bool:
        if NUL in request.path:
            return True
        params = [request.GET]
        if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
            params.append(request.POST)
        return any(NUL in key or any(NUL in v for v in values) for qd in params for key, values in qd.lists())


def client_ip(request) -> str | None:
    """The address of the client, as the login lockout keys on it (``AXES_CLIENT_IP_CALLABLE``).

    With no trusted proxy (``TRUSTED_PROXY_COUNT`` 0) it is the connecting address: an
    X-Forwarded-For header is then whatever the client chose to send and is ignored. Behind N
    trusted proxies, each appends the address it saw to X-Forwarded-For, so the client's address
    is the N-th entry from the right; entries further left came from the client and are not
    trusted. A chain shorter than N did not come through every proxy: the connecting address then.
    """
    remote = request.META.get("REMOTE_ADDR")
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count <= 0:
        return remote
    chain = [item.strip() for item in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if item.strip()]
    if len(chain) < count:
        return remote
    return chain[-count]


class PermissionsPolicyMiddleware:
    """Adds the Permissions-Policy header of ``settings.PERMISSIONS_POLICY`` (feature → allowed
    origins; an empty list refuses the feature everywhere) to every response."""

    def __init__(self, get_response):
        self.get_response = get_response
        policy = getattr(settings, "PERMISSIONS_POLICY", {})
        self.header = ", ".join(f"{feature}=({' '.join(origins)})" for feature, origins in policy.items())

    def __call__(self, request):
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response


class SessionIdleMiddleware:
    """Makes SESSION_COOKIE_AGE an idle timeout for signed-in sessions: a session used again more
    than SESSION_REFRESH_SECONDS after its last renewal is marked changed, so the session
    middleware saves it with a fresh expiry and sends the cookie again. Cheaper than
    SESSION_SAVE_EVERY_REQUEST (a write per request); anonymous visitors get no session."""

    KEY = "_renewed_at"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # After the view, so the sign-in's own request counts and a sign-out's does not.
        session = getattr(request, "session", None)
        if session is not None and "_auth_user_id" in session:
            now = int(time.time())
            if now - session.get(self.KEY, 0) >= settings.SESSION_REFRESH_SECONDS:
                session[self.KEY] = now
        return response
