"""The service desk's queue of tickets, and its bulk assignment.

Reads go through ``Ticket.objects.visible_to``; the bulk action is for those who may work
tickets (account managers, the service desk, admins), and skips tickets the user may not see.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.people import display_name
from accounts.permissions import may_open_tickets as may_work_tickets
from keyaccounts.editing import INVALID, fragment_or_page, saved

from .. import selectors, services
from ..forms import BulkAssignForm
from ..models import Ticket

QUEUE_TABLE = "complaints/_queue_table.html"


def _queue_context(request, *, people=None, bulk_form=None) -> dict:
    listing = selectors.queue(user=request.user, params=request.GET)
    writer = may_work_tickets(request.user)
    if writer and people is None:
        people = list(selectors.assignable_users())
    params = request.GET.copy()
    params.pop("page", None)
    return {
        "queue": listing,
        "filters": listing.filterset.form,
        "may_work": writer,
        "people": people or [],
        "bulk_form": bulk_form,
        "query": params.urlencode(),
        "departments": Ticket.Department.choices,
        "now": listing.now,
    }


@login_required
@require_GET
def ticket_queue(request):
    """The service desk's queue: breached first, then by the next deadline; filters and paging."""
    return fragment_or_page(request, QUEUE_TABLE, _queue_context(request), page="complaints/queue.html")


def _report(result, hidden: int, assignee) -> tuple[int, str]:
    """The message level and text saying what a bulk assignment did and what it left alone."""
    changed, unchanged = result.changed, result.unchanged
    parts = [ngettext("%(count)s ticket assigned.", "%(count)s tickets assigned.", changed) % {"count": changed}]
    if result.refused:
        parts.append(
            ngettext(
                "%(count)s ticket belongs to a customer %(name)s does not work on, and was left as it was.",
                "%(count)s tickets belong to customers %(name)s does not work on, and were left as they were.",
                result.refused,
            )
            % {"count": result.refused, "name": display_name(assignee)}
        )
    if unchanged:
        parts.append(
            ngettext(
                "%(count)s was already so assigned or is closed, and was left as it was.",
                "%(count)s were already so assigned or are closed, and were left as they were.",
                unchanged,
            )
            % {"count": unchanged}
        )
    if hidden:
        parts.append(
            ngettext(
                "%(count)s ticket was not found and was skipped.",
                "%(count)s tickets were not found and were skipped.",
                hidden,
            )
            % {"count": hidden}
        )
    return (messages.SUCCESS if changed else messages.WARNING), " ".join(parts)


@login_required
@require_POST
def ticket_bulk_assign(request):
    """Give the ticked tickets to a department and/or a person, then show the queue again."""
    if not may_work_tickets(request.user):
        raise PermissionDenied
    people = list(selectors.assignable_users())
    form = BulkAssignForm(request.POST, people=selectors.assignable_users())
    if form.is_valid():
        ids = form.cleaned_data["tickets"]
        visible = list(selectors.tickets_by_ids(user=request.user, ids=ids).only("pk"))
        result = services.ticket_assign_bulk(
            tickets=visible,
            by=request.user,
            department=form.cleaned_data["department"] or None,
            assigned_to=form.cleaned_data["assigned_to"],
        )
        level, text = _report(result, len(set(ids)) - len(visible), form.cleaned_data["assigned_to"])
        messages.add_message(request, level, text)
        status = 200
        form = None
    else:
        for error in form.errors.get("__all__", []) + form.errors.get("tickets", []):
            messages.error(request, error)
        for name in ("department", "assigned_to"):
            for error in form.errors.get(name, []):
                messages.error(request, error)
        status = INVALID
    back = request.POST.get("query", "")

    def queue() -> dict:
        # The queue as it was filtered when the tickets were ticked.
        request.GET = QueryDict(back or "", mutable=False)
        return _queue_context(request, people=people, bulk_form=form)

    # The report is in the messages: the table shows them (htmx), the queue page after the redirect.
    url = f"{reverse('ticket_queue')}?{back}" if back else reverse("ticket_queue")
    return saved(request, back=url, fragment=QUEUE_TABLE, context=queue, status=status)
