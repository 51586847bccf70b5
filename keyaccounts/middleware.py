"""Requests no page can answer sensibly, refused before any view runs."""

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
