"""The notification centre: a person's own notifications, the unread badge, marking them read."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from keyaccounts.editing import saved

from ..models import Notification
from ..notifications import (
    notification_mark_read,
    notifications_for,
    notifications_mark_all_read,
    render_notification,
    unread_count,
)

PER_PAGE = 25
# The badge in the navigation refreshes itself on this event.
READ_EVENT = "notifications-read"


def _item(notification: Notification) -> dict:
    return {"notification": notification, "text": render_notification(notification.kind, notification.params)}


@login_required
@require_GET
def notification_list(request):
    """The user's notifications, newest first, unread ones marked; optionally only the unread."""
    unread_only = request.GET.get("unread") == "1"
    notifications = notifications_for(user=request.user)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications, PER_PAGE).get_page(request.GET.get("page"))
    unread, more = unread_count(user=request.user)
    context = {
        "page": page,
        "items": [_item(n) for n in page.object_list],
        "unread_only": unread_only,
        "unread": unread,
        "unread_more": more,
    }
    return render(request, "complaints/notifications.html", context)


@login_required
@require_GET
def notification_badge(request):
    """The unread count on the navigation link, loaded after the page so no page waits for it."""
    count, more = unread_count(user=request.user)
    return render(request, "complaints/_notification_badge.html", {"count": count, "more": more})


def _own(request, pk: int) -> Notification:
    try:
        return notification_mark_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        # Someone else's notification, or none: the same answer, so ids tell nothing.
        raise Http404 from None


@login_required
@require_POST
def notification_read(request, pk: int):
    """Mark one notification read; htmx gets the updated row back, a plain form the list."""
    notification = _own(request, pk)
    return saved(
        request,
        back=_back(request),
        fragment="complaints/_notification_item.html",
        context={"item": _item(notification)},
        event=READ_EVENT,
    )


@login_required
@require_POST
def notification_open(request, pk: int):
    """Mark the notification read and go where it points."""
    notification = _own(request, pk)
    target = notification.link
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("notification_list")
    return redirect(target)


@login_required
@require_POST
def notification_read_all(request):
    """Mark every unread notification of the user read."""
    notifications_mark_all_read(user=request.user)
    # Every row and the badge change: htmx loads the page again.
    return saved(request, back=_back(request), reload=True)


def _back(request) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("notification_list")
