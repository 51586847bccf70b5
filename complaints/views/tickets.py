"""The ticket page and its actions: transition, comment, assign, category, on-site request,
schedule and done, close.

Reads go through ``Ticket.objects.visible_to`` (not visible → 404). Writes are for account
managers (their customers' tickets), the service desk and admins; executives read only (403).
Each action is a small editor of the ticket panel on `keyaccounts.editing`: saved, htmx gets the
refreshed panel and a plain form post a redirect back to the page; refused (bad input, a move the
workflow forbids, a ticket changed meanwhile), the panel again with status 422 and the refusal at
its top, where it shows whichever forms the ticket's state now offers.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import may_open_tickets as may_work_tickets
from keyaccounts.editing import INVALID, edit_version, fragment_or_page, refused, saved

from .. import selectors, services
from ..forms import (
    AssignForm,
    CategoryForm,
    CloseForm,
    CommentForm,
    OnsiteDoneForm,
    OnsiteRequestForm,
    OnsiteScheduleForm,
    TransitionForm,
)
from ..models import Ticket

PANEL = "complaints/_ticket_panel.html"
PAGE = "complaints/ticket_detail.html"

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


def _action_form(name: str, ticket: Ticket, data=None, *, people=None, version: str = ""):
    """The form of one action, prefixed with its name so all of them share the page."""
    if name == "comment":
        return CommentForm(data, prefix="comment")
    extra = {"people": people if people is not None else selectors.assignable_users()} if name in NEEDS_PEOPLE else {}
    return ACTIONS[name](data, ticket=ticket, version=version, prefix=name, **extra)


def _forms(ticket: Ticket, people, *, bound=None) -> dict:
    """Every action's form, opened on the ticket as it is; ``bound`` (name, form) is shown instead
    of its fresh one."""
    version = edit_version(ticket)
    built = {name: _action_form(name, ticket, people=people, version=version) for name in (*ACTIONS, "comment")}
    if bound:
        built[bound[0]] = bound[1]
    return built


def _panel_context(request, ticket: Ticket, *, bound=None, done: str = "") -> dict:
    now = timezone.now()
    writer = may_work_tickets(request.user)
    response_clock, resolution_clock = selectors.sla_clocks(ticket, now=now)
    return {
        "ticket": ticket,
        "events": selectors.ticket_events(ticket),
        "response_clock": response_clock,
        "resolution_clock": resolution_clock,
        "may_work": writer,
        "forms": _forms(ticket, selectors.assignable_users(), bound=bound) if writer else {},
        "moves": [(value, Ticket.Status(value).label) for value in ticket.allowed_moves() if value != "closed"],
        "can_close": "closed" in ticket.allowed_moves(),
        # A refusal shows at the top of the panel: the form it came from may no longer be offered.
        "error": bound[1].non_field_errors() if bound else None,
        "done": done,
        "now": now,
    }


@login_required
@require_GET
def ticket_detail(request, pk: int):
    """Everything about one ticket: facts, SLA countdowns, on-site service, closure, history."""
    ticket = selectors.ticket_for(user=request.user, pk=pk)
    return fragment_or_page(request, PANEL, _panel_context(request, ticket), page=PAGE)


def _act(request, pk: int, name: str, apply, *, success: str):
    """Run one ticket action: validate its form, call the service, answer with the panel."""
    ticket = selectors.ticket_for(user=request.user, pk=pk)
    if not may_work_tickets(request.user):
        raise PermissionDenied
    form = _action_form(name, ticket, request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version", None)
        try:
            apply(ticket=ticket, by=request.user, version=version, **data)
        except ValidationError as error:
            ticket = selectors.ticket_for(user=request.user, pk=pk)
            form = refused(form, error, stored=lambda: _action_form(name, ticket, version=edit_version(ticket)))
        else:
            return saved(
                request,
                success,
                back=reverse("ticket_detail", args=[pk]),
                fragment=PANEL,
                context=lambda: _panel_context(request, selectors.ticket_for(user=request.user, pk=pk), done=success),
            )
    context = _panel_context(request, ticket, bound=(name, form))
    return fragment_or_page(request, PANEL, context, page=PAGE, status=INVALID)


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
