"""The profile page (/profile/): a signed-in user's own API token — whether they have one, and
creating, regenerating or revoking it. One token per user (rest_framework.authtoken); admins
manage everyone's in Django admin. And "log out everywhere": every other session of the user is
ended (``api.sessions``); this one stays signed in.

The key is shown once, right after it is made (carried to the next page in the session), so it
does not sit on a page anyone passing by could read later.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

from .sessions import end_all_sessions

SHOWN_KEY = "api_token_shown"


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    token = Token.objects.filter(user=request.user).first()
    if request.method == "POST":
        action = request.POST.get("action")
        if action in ("create", "regenerate"):
            with transaction.atomic():
                Token.objects.filter(user=request.user).delete()
                token = Token.objects.create(user=request.user)
            request.session[SHOWN_KEY] = token.key
            messages.success(request, _("Your new API token is shown below. Copy it now: it is shown only once."))
            return redirect("profile")
        if action == "revoke":
            Token.objects.filter(user=request.user).delete()
            messages.success(request, _("Your API token is revoked; programs using it can no longer sign in."))
            return redirect("profile")
        if action == "end_sessions":
            end_all_sessions(request.user, by=request.user, keep_request=request)
            messages.success(
                request,
                _(
                    "All your other sessions are ended: every other browser or device must sign in again. "
                    "This one stays signed in."
                ),
            )
            return redirect("profile")
        context = {"token": token, "error": _("Choose to create, regenerate or revoke the token.")}
        return render(request, "api/profile.html", context, status=400)
    new_key = request.session.pop(SHOWN_KEY, None)
    return render(request, "api/profile.html", {"token": token, "new_key": new_key if token else None})
