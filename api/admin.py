"""The users' admin, with "log out everywhere": an action on the list and a button on a user's
page. Only those who may change users may use them (others get 403); each use is logged in the
user's admin history, the session generation's history and the log."""

from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from .sessions import end_all_sessions

User = get_user_model()


def end_sessions_of(request, users) -> int:
    """End all sessions of each user, logged as a change of the user; returns how many users."""
    ended = 0
    for user in users:
        end_all_sessions(user, by=request.user, keep_request=request)
        LogEntry.objects.log_actions(
            request.user.pk,
            [user],
            CHANGE,
            change_message=[{"changed": {"fields": ["sessions ended"]}}],
            single_object=True,
        )
        ended += 1
    return ended


class KeyAccountsUserAdmin(UserAdmin):
    actions = ["end_sessions"]
    change_form_template = "admin/auth/user/keyaccounts_change_form.html"

    @admin.action(description=gettext_lazy("Log the selected users out everywhere"), permissions=["change"])
    def end_sessions(self, request, queryset):
        count = end_sessions_of(request, queryset)
        message = ngettext(
            "All sessions of %(count)d user are ended.", "All sessions of %(count)d users are ended.", count
        )
        self.message_user(request, message % {"count": count})

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        own = [
            path(
                "<path:object_id>/end-sessions/",
                self.admin_site.admin_view(require_POST(self.end_sessions_view)),
                name="{}_{}_end_sessions".format(*info),
            )
        ]
        return own + super().get_urls()

    def end_sessions_view(self, request, object_id):
        user = get_object_or_404(User, pk=object_id)
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        end_sessions_of(request, [user])
        self.message_user(
            request, _("All sessions of %(user)s are ended: they must sign in again.") % {"user": user.get_username()}
        )
        return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[user.pk]))


admin.site.unregister(User)
admin.site.register(User, KeyAccountsUserAdmin)
