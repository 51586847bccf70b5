"""Sign-in sessions: "log out everywhere" for a user, by themself or by an admin.

A session is stamped at sign-in with the user's generation (``SessionEpoch``, 0 until first
ended). ``end_all_sessions`` moves the generation on; ``SessionEpochMiddleware`` signs out, on its
next request, every session stamped with an older one — other browsers, other devices, a stolen
cookie. The generation comes with the user: ``SessionEpochBackend`` loads both in the one query
that reads the signed-in user on each request, so the check costs no query of its own. API tokens
are not sessions: they are revoked on the profile page.
"""

import logging
import time

from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.backends import ModelBackend
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keyaccounts.middleware import SessionIdleMiddleware

from .models import SessionEpoch

log = logging.getLogger(__name__)

SESSION_KEY = "_session_epoch"


def current_epoch(user_id) -> int:
    epoch = SessionEpoch.objects.filter(user_id=user_id).values_list("epoch", flat=True).first()
    return epoch or 0


def user_epoch(user) -> int:
    """The generation of a signed-in user, read with the user when it was (no query then)."""
    related = get_user_model().session_epoch.related
    if related.is_cached(user):
        row = related.get_cached_value(user)  # None: the user has no generation row yet
        return row.epoch if row is not None else 0
    return current_epoch(user.pk)


class SessionEpochBackend(ModelBackend):
    """Django's model backend, reading the user's session generation in the same query as the user."""

    def get_user(self, user_id):
        try:
            user = get_user_model()._default_manager.select_related("session_epoch").get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


def stamp_session(request, user) -> None:
    """Put the user's current generation into the session (at sign-in; after ending the others)."""
    request.session[SESSION_KEY] = current_epoch(user.pk)


def on_user_logged_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        stamp_session(request, user)
        # A new session has its full idle time: no renewal due on the next request.
        request.session[SessionIdleMiddleware.KEY] = int(time.time())


def end_all_sessions(user, *, by, keep_request=None) -> int:
    """End every session of ``user``; ``by`` is who asked (the user, or an admin). The session of
    ``keep_request``, if it is one of the user's, stays signed in under the new generation.
    Returns the new generation."""
    with transaction.atomic():
        # Created at its first use with generation 1, so its history holds one row per use.
        row = SessionEpoch.objects.select_for_update().filter(user=user).first() or SessionEpoch(user=user)
        row.epoch += 1
        row.ended_at = timezone.now()
        row._change_reason = "ended by the user" if by.pk == user.pk else f"ended by {by.get_username()}"
        row.save()
    log.warning(
        "All sessions of user %s (id %s) ended by %s (id %s); generation %s",
        user.get_username(),
        user.pk,
        by.get_username(),
        by.pk,
        row.epoch,
    )
    if keep_request is not None and getattr(keep_request.user, "pk", None) == user.pk:
        keep_request.session.cycle_key()
        keep_request.session[SESSION_KEY] = row.epoch
    return row.epoch


class SessionEpochMiddleware:
    """Signs out a session stamped with an older generation than its user's (after
    AuthenticationMiddleware and MessageMiddleware); the request goes on unauthenticated, so a page
    that needs a user sends it to the sign-in page, which says why."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            stamped = request.session.get(SESSION_KEY, 0)
            if stamped != user_epoch(user):
                log.info("Session of user %s (id %s) ended: an older sign-in generation", user.get_username(), user.pk)
                logout(request)
                messages.info(request, _("You were signed out: all your sessions were ended. Sign in again."))
        return self.get_response(request)
