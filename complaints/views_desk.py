"""The service desk's pages: the queue of tickets and the ticket page with its actions.

Reads go through ``Ticket.objects.visible_to`` (not visible → 404). Writes are for account
managers (their customers' tickets), the service desk and admins; executives read only (403).
Every action on the ticket page answers htmx with the refreshed ticket panel, and a plain form
post with a redirect back to the page (or the page with the errors).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.people import display_name
from accounts.permissions import may_open_tickets as may_work_tickets
from keyaccounts.editing import INVALID, STALE_EDIT_MESSAGE, StaleEdit, edit_version

from . import selectors, services
from .forms import (
    AssignForm,
    BulkAssignForm,
    CategoryForm,
    CloseForm,
    CommentForm,
    OnsiteDoneForm,
    OnsiteRequestForm,
    OnsiteScheduleForm,
    TransitionForm,
)
from .models import Ticket


def _require_writer(request) -> None:
    if not may_work_tickets(request.user):
        raise PermissionDenied


# ---------------------------------------------------------------------------------------------
# Queue
# ---------------------------------------------------------------------------------------------


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
@vary_on_headers("HX-Request")
def ticket_queue(request):
    """The service desk's queue: breached first, then by the next deadline; filters and paging."""
    context = _queue_context(request)
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "complaints/_queue_table.html", context)
    return render(request, "complaints/queue.html", context)


@login_required
@require_POST
def ticket_bulk_assign(request):
    """Give the ticked tickets to a department and/or a person, then show the queue again."""
    _require_writer(request)
    people = list(selectors.assignable_users())
    form = BulkAssignForm(request.POST, people=selectors.assignable_users())
    if form.is_valid():
        ids = form.cleaned_data["tickets"]
        visible = list(selectors.tickets_by_ids(user=request.user, ids=ids).only("pk"))
        hidden = len(set(ids)) - len(visible)
        result = services.ticket_assign_bulk(
            tickets=visible,
            by=request.user,
            department=form.cleaned_data["department"] or None,
            assigned_to=form.cleaned_data["assigned_to"],
        )
        changed, unchanged = result.changed, result.unchanged
        parts = [ngettext("%(count)s ticket assigned.", "%(count)s tickets assigned.", changed) % {"count": changed}]
        if result.refused:
            parts.append(
                ngettext(
                    "%(count)s ticket belongs to a customer %(name)s does not work on, and was left as it was.",
                    "%(count)s tickets belong to customers %(name)s does not work on, and were left as they were.",
                    result.refused,
                )
                % {"count": result.refused, "name": display_name(form.cleaned_data["assigned_to"])}
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
        level = messages.SUCCESS if changed else messages.WARNING
        messages.add_message(request, level, " ".join(parts))
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
    if request.htmx:
        request.GET = _query_dict(back)
        context = _queue_context(request, people=people, bulk_form=form)
        return render(request, "complaints/_queue_table.html", context, status=status)
    return redirect(f"{reverse('ticket_queue')}?{back}" if back else reverse("ticket_queue"))


def _query_dict(raw: str) -> QueryDict:
    return QueryDict(raw or "", mutable=False)


# ---------------------------------------------------------------------------------------------
# The ticket page
# ---------------------------------------------------------------------------------------------

ACTIONS = {
    "transition": TransitionForm,
    "assign": AssignForm,
    "category": CategoryForm,
    "onsite_request": OnsiteRequestForm,
    "onsite_schedule": OnsiteScheduleForm,
    "onsite_done": OnsiteDoneForm,
    "close": CloseForm,
}
NEEDS_PEOPLE = {"assign", "onsite_schedule"}


def _forms(ticket: Ticket, people, *, bound: tuple[str, object] | None = None) -> dict:
    version = edit_version(ticket)
    built = {}
    for name, form_class in ACTIONS.items():
        if bound and bound[0] == name:
            built[name] = bound[1]
            continue
        extra = {"people": people} if name in NEEDS_PEOPLE else {}
        built[name] = form_class(ticket=ticket, version=version, prefix=name, **extra)
    built["comment"] = bound[1] if bound and bound[0] == "comment" else CommentForm(prefix="comment")
    return built


def _panel(request, ticket: Ticket, *, bound=None, status: int = 200, error=None, done: str = ""):
    now = timezone.now()
    writer = may_work_tickets(request.user)
    people = selectors.assignable_users()
    response_clock, resolution_clock = selectors.sla_clocks(ticket, now=now)
    context = {
        "ticket": ticket,
        "events": selectors.ticket_events(ticket),
        "response_clock": response_clock,
        "resolution_clock": resolution_clock,
        "may_work": writer,
        "forms": _forms(ticket, people, bound=bound) if writer else {},
        "moves": [(value, Ticket.Status(value).label) for value in ticket.allowed_moves() if value != "closed"],
        "can_close": "closed" in ticket.allowed_moves(),
        "error": error,
        "done": done,
        "now": now,
    }
    template = "complaints/_ticket_panel.html" if request.htmx else "complaints/ticket_detail.html"
    return render(request, template, context, status=status)


@login_required
@require_GET
def ticket_detail(request, pk: int):
    """Everything about one ticket: facts, SLA countdowns, on-site service, closure, history."""
    ticket = selectors.ticket_for(user=request.user, pk=pk)
    return _panel(request, ticket)


def _act(request, pk: int, name: str, apply, *, success: str):
    """Run one ticket action: validate its form, call the service, answer with the panel."""
    ticket = selectors.ticket_for(user=request.user, pk=pk)
    _require_writer(request)
    if name == "comment":
        form = CommentForm(request.POST, prefix="comment")
    else:
        extra = {"people": selectors.assignable_users()} if name in NEEDS_PEOPLE else {}
        form = ACTIONS[name](request.POST, ticket=ticket, prefix=name, **extra)
    if not form.is_valid():
        return _panel(request, ticket, bound=(name, form), status=INVALID)
    data = dict(form.cleaned_data)
    version = data.pop("version", None)
    try:
        apply(ticket=ticket, by=request.user, version=version, **data)
    except StaleEdit:
        ticket = selectors.ticket_for(user=request.user, pk=pk)
        return _panel(request, ticket, status=INVALID, error=[STALE_EDIT_MESSAGE])
    except ValidationError as refused:
        ticket = selectors.ticket_for(user=request.user, pk=pk)
        return _panel(request, ticket, bound=(name, form), status=INVALID, error=refused.messages)
    if request.htmx:
        ticket = selectors.ticket_for(user=request.user, pk=pk)
        return _panel(request, ticket, done=success)
    messages.success(request, success)
    return redirect("ticket_detail", pk=pk)


@login_required
@require_POST
def ticket_transition(request, pk: int):
    def apply(*, ticket, by, version, to, note):
        services.ticket_transition(ticket=ticket, by=by, to=to, note=note, version=version)

    label = (
        Ticket.Status(request.POST.get("transition-to")).label
        if request.POST.get("transition-to") in Ticket.Status.values
        else ""
    )
    return _act(request, pk, "transition", apply, success=_("Status changed to “%(status)s”.") % {"status": label})


@login_required
@require_POST
def ticket_comment(request, pk: int):
    def apply(*, ticket, by, version, text):
        services.ticket_comment(ticket=ticket, by=by, text=text)

    return _act(request, pk, "comment", apply, success=_("Comment added."))


@login_required
@require_POST
def ticket_assign(request, pk: int):
    def apply(*, ticket, by, version, department, assigned_to):
        services.ticket_assign(
            ticket=ticket, by=by, department=department or None, assigned_to=assigned_to, version=version
        )

    return _act(request, pk, "assign", apply, success=_("Assignment saved."))


@login_required
@require_POST
def ticket_category(request, pk: int):
    def apply(*, ticket, by, version, category):
        services.ticket_change_category(ticket=ticket, by=by, category=category, version=version)

    return _act(request, pk, "category", apply, success=_("Category saved."))


@login_required
@require_POST
def ticket_onsite_request(request, pk: int):
    def apply(*, ticket, by, version, note):
        services.ticket_onsite_request(ticket=ticket, by=by, note=note, version=version)

    return _act(request, pk, "onsite_request", apply, success=_("On-site visit requested."))


@login_required
@require_POST
def ticket_onsite_schedule(request, pk: int):
    def apply(*, ticket, by, version, scheduled_for, engineer):
        services.ticket_onsite_schedule(
            ticket=ticket, by=by, scheduled_for=scheduled_for, engineer=engineer, version=version
        )

    return _act(request, pk, "onsite_schedule", apply, success=_("On-site visit scheduled."))


@login_required
@require_POST
def ticket_onsite_done(request, pk: int):
    def apply(*, ticket, by, version, report):
        services.ticket_onsite_done(ticket=ticket, by=by, report=report, version=version)

    return _act(request, pk, "onsite_done", apply, success=_("On-site visit recorded as done."))


@login_required
@require_POST
def ticket_close(request, pk: int):
    def apply(*, ticket, by, version, root_cause, corrective_action, satisfaction):
        services.ticket_close(
            ticket=ticket,
            by=by,
            root_cause=root_cause,
            corrective_action=corrective_action,
            satisfaction=satisfaction,
            version=version,
        )

    return _act(request, pk, "close", apply, success=_("Ticket closed."))
