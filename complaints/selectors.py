"""Reads of the complaints app: the service desk's queue, one ticket with its history, SLA clocks.

Every read starts from ``Ticket.objects.visible_to(user)``: account managers see their customers'
tickets, the service desk, executives and admins see all. Query counts do not grow with the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Case, DurationField, ExpressionWrapper, F, IntegerField, QuerySet, Value, When
from django.db.models.functions import Coalesce, Least
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Tier
from accounts.permissions import TICKET_WORKER_ROLES, VIEW, holds_role_q, may, own_customer_id_list
from keyaccounts.widgets import compact_select

from .deadlines import CLOCK_RUNNING, CLOCK_STOPPED
from .models import Severity, Ticket, TicketEvent

QUEUE_PER_PAGE = 50
STATUS_OPEN = "open"
STATUS_ALL = "all"


# ---------------------------------------------------------------------------------------------
# SLA clocks
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """One SLA clock of a ticket as the desk reads it.

    ``state`` is "met" / "missed" (stopped: answered or resolved, in or out of time), "running",
    "overdue", "paused" (waiting for the customer; ``left`` is what remains when it resumes) or
    "none" (no SLA policy gave a deadline). ``left`` is positive time to go, negative when overdue.
    """

    state: str
    due: datetime | None
    left: timedelta | None = None

    @property
    def late(self) -> bool:
        return self.state in ("overdue", "missed") or (self.state == "paused" and self.left < timedelta(0))


def _clock(due: datetime | None, stopped_at: datetime | None, paused_at: datetime | None, now: datetime) -> Clock:
    if due is None:
        return Clock("none", None)
    if stopped_at is not None:
        return Clock("met" if stopped_at <= due else "missed", due, due - stopped_at)
    if paused_at is not None:
        return Clock("paused", due, due - paused_at)
    left = due - now
    return Clock("running" if left >= timedelta(0) else "overdue", due, left)


def sla_clocks(ticket: Ticket, *, now: datetime) -> tuple[Clock, Clock]:
    """The first-response clock and the resolution clock of a ticket at ``now``."""
    response = _clock(ticket.response_due_at, ticket.first_response_at, ticket.sla_paused_at, now)
    resolution = _clock(ticket.resolution_due_at, ticket.resolved_at, ticket.sla_paused_at, now)
    return response, resolution


def with_deadlines(tickets: QuerySet[Ticket], *, now: datetime) -> QuerySet[Ticket]:
    """Annotate ``next_due`` (the earliest deadline still running), ``breached`` (1 when it has
    passed) and ``time_left`` until it. A paused ticket is measured at the moment its clock stopped, so a wait for the
    customer never makes a ticket breach."""
    response_open = Case(When(first_response_at__isnull=True, then=F("response_due_at")), default=None)
    resolution_open = Case(When(resolved_at__isnull=True, then=F("resolution_due_at")), default=None)
    clock_now = Coalesce(F("sla_paused_at"), Value(now))
    return tickets.annotate(
        next_due=Coalesce(Least(response_open, resolution_open), response_open, resolution_open)
    ).annotate(
        breached=Case(When(next_due__lt=clock_now, then=Value(1)), default=Value(0), output_field=IntegerField()),
        # What is left on the clock: a paused ticket ranks by what it will have when it resumes.
        time_left=ExpressionWrapper(F("next_due") - clock_now, output_field=DurationField()),
    )


# ---------------------------------------------------------------------------------------------
# One ticket
# ---------------------------------------------------------------------------------------------


def ticket_for(*, user, pk: int) -> Ticket:
    """A ticket the user may see, with what its page shows of it; 404 otherwise."""
    tickets = Ticket.objects.visible_to(user).select_related(
        "customer", "customer__owner", "contact", "assigned_to", "onsite_engineer", "recurrence_of"
    )
    return get_object_or_404(tickets, pk=pk)


def ticket_events(ticket: Ticket) -> list[TicketEvent]:
    """The ticket's history, oldest first, with who did each step."""
    return list(ticket.events.select_related("by").order_by("at", "pk"))


def assignable_users() -> QuerySet:
    """People a ticket can be given to: active account managers, service desk staff and admins."""
    return (
        get_user_model()
        .objects.filter(holds_role_q(*TICKET_WORKER_ROLES))
        .distinct()
        .only("pk", "username", "first_name", "last_name")
        .order_by("last_name", "first_name", "username")
    )


# ---------------------------------------------------------------------------------------------
# The queue
# ---------------------------------------------------------------------------------------------


class _Select(django_filters.ChoiceFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", compact_select())
        super().__init__(*args, **kwargs)


STATUS_FILTER_CHOICES = [(STATUS_OPEN, _("Open")), *Ticket.Status.choices, (STATUS_ALL, _("All statuses"))]


class QueueFilter(django_filters.FilterSet):
    """The filter bar of the queue. Unknown values are reported by the form and otherwise ignored."""

    status = django_filters.ChoiceFilter(
        choices=STATUS_FILTER_CHOICES,
        method="filter_status",
        label=_("Status"),
        empty_label=None,
        widget=compact_select(),
    )
    department = _Select(choices=Ticket.Department.choices, label=_("Department"), empty_label=_("All departments"))
    category = _Select(choices=Ticket.Category.choices, label=_("Category"), empty_label=_("All categories"))
    severity = _Select(choices=Severity.choices, label=_("Severity"), empty_label=_("All severities"))
    tier = _Select(choices=Tier.choices, field_name="customer__tier", label=_("Tier"), empty_label=_("All tiers"))
    kind = _Select(choices=Ticket.Kind.choices, label=_("Kind"), empty_label=_("All kinds"))
    # From the customer page: that customer's tickets (still only among those the user may see).
    # An id the database can hold (a larger number is refused as invalid, not sent to the database).
    customer = django_filters.NumberFilter(
        field_name="customer_id", widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1
    )
    mine = django_filters.BooleanFilter(
        method="filter_mine", label=_("My tickets"), widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )

    def __init__(self, data=None, queryset=None, *, user=None, **kwargs):
        data = data.copy() if data is not None else {}
        # The queue opens on the open tickets; "all" shows every status.
        if not data.get("status"):
            data["status"] = STATUS_OPEN
        super().__init__(data, queryset, **kwargs)
        self.user = user

    def filter_status(self, queryset, name, value):
        if value == STATUS_OPEN:
            return queryset.filter(status__in=Ticket.OPEN_STATUSES)
        if value == STATUS_ALL:
            return queryset
        return queryset.filter(status=value)

    def filter_mine(self, queryset, name, value):
        return queryset.filter(assigned_to=self.user) if value else queryset


@dataclass
class Queue:
    filterset: QueueFilter
    page: Page
    notices: list[str]
    now: datetime


QUEUE_ORDER = ("-breached", F("time_left").asc(nulls_last=True), "opened_at", "pk")


def visible_tickets(user) -> tuple[QuerySet[Ticket], bool]:
    """Ticket.objects.visible_to, with an account manager's customers looked up once by id: the
    queue counts and pages the same set, and an id list lets PostgreSQL use the ticket index
    instead of scanning every customer twice. A very large book falls back to the subquery.
    Also whether the tickets were narrowed to such a list (a few thousand at most)."""
    ids = own_customer_id_list(user)
    if ids is None or not may(user, VIEW, "ticket"):
        return Ticket.objects.visible_to(user), False
    return Ticket.objects.filter(customer_id__in=ids), True


def queue_tickets(*, user, now: datetime) -> tuple[QuerySet[Ticket], bool]:
    """The tickets the user may see, breached first, then by the time left on the next deadline,
    then the oldest. No joins: filters add the customer only when they need it. Also whether
    they are a manager's few (`visible_tickets`)."""
    tickets, few = visible_tickets(user)
    return with_deadlines(tickets, now=now).order_by(*QUEUE_ORDER), few


class QueueIds:
    """The ids of a filtered queue (``tickets``, in ``QUEUE_ORDER``), read a page at a time.

    ``QUEUE_ORDER`` puts the tickets with a clock still running first (breached, then by time
    left), then every other ticket oldest first: with no deadline left they are never breached
    and have no time left. Sorting every ticket of every status by a time relative to now cost
    more than the rest of the page, so on PostgreSQL a page is read in one query as two lists:
    the running tickets' part of the page, through the partial index of running clocks, and the
    others' part in the order of the index on ``opened_at``, after as many as the running ones
    take (the executive's queue of every status, 246,000 tickets: 85 -> 4 ms). A manager's few
    thousand tickets are sorted at once: three reads of them cost more (3,788 tickets of a manager
    with 1,423 customers: 11 -> 39 ms, planning the three lists of ids included)."""

    def __init__(self, tickets: QuerySet[Ticket], *, split: bool = True):
        self.tickets = tickets
        self.split = split

    def count(self) -> int:
        return self.tickets.count()

    def __getitem__(self, window: slice) -> list[int]:
        start, stop = window.start or 0, window.stop
        ids = self.tickets.values_list("pk", flat=True)
        if not self.split or connection.vendor != "postgresql":
            return list(ids[start:stop])
        size = stop - start
        running_ids = ids.filter(CLOCK_RUNNING)
        running, running_params = running_ids.query.sql_with_params()
        counted, counted_params = running_ids.order_by().query.sql_with_params()
        stopped, stopped_params = ids.filter(CLOCK_STOPPED).order_by("opened_at", "pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT ARRAY({running} OFFSET %s LIMIT %s), "
                f"ARRAY({stopped} OFFSET GREATEST(%s - (SELECT COUNT(*) FROM ({counted}) r), 0) LIMIT %s)",
                [*running_params, start, size, *stopped_params, start, *counted_params, size],
            )
            first, then = cursor.fetchone()
        return [*first, *then][:size]


def queue_rows(ids: list[int], *, now: datetime) -> list[Ticket]:
    """The rows of one page, with what the table shows, in the order of ``ids``."""
    rows = (
        with_deadlines(Ticket.objects.filter(pk__in=ids), now=now)
        .select_related("customer", "assigned_to")
        .only(
            "pk",
            "subject",
            "kind",
            "category",
            "severity",
            "status",
            "department",
            "opened_at",
            "response_due_at",
            "resolution_due_at",
            "first_response_at",
            "resolved_at",
            "sla_paused_at",
            "recurrence_of_id",
            "customer__name",
            "customer__code",
            "customer__tier",
            "assigned_to__username",
            "assigned_to__first_name",
            "assigned_to__last_name",
        )  # fmt: skip
    )
    by_id = {ticket.pk: ticket for ticket in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


def queue(*, user, params: Mapping, now: datetime | None = None) -> Queue:
    """One page of the queue, filtered; a constant number of queries whatever the data size.

    The page's ids are picked first from the ticket table alone (sorting half a million tickets
    is cheaper without carrying their customers and assignees along), then the fifty rows are
    read with what the table shows."""
    now = now or timezone.now()
    tickets, few = queue_tickets(user=user, now=now)
    filterset = QueueFilter(params, queryset=tickets, user=user)
    page = Paginator(QueueIds(filterset.qs, split=not few), QUEUE_PER_PAGE).get_page(params.get("page"))
    page.object_list = queue_rows(list(page.object_list), now=now)
    notices = []
    for name in filterset.form.errors:
        label = filterset.filters[name].label if name in filterset.filters else name
        value = str(filterset.data.get(name, ""))[:40]
        notices.append(
            gettext("Ignored the unknown value “%(value)s” for %(field)s.") % {"value": value, "field": label}
        )
    return Queue(filterset=filterset, page=page, notices=notices, now=now)


def tickets_by_ids(*, user, ids) -> QuerySet[Ticket]:
    """Tickets among ``ids`` the user may see; ids the user may not see are silently not there."""
    return Ticket.objects.visible_to(user).filter(pk__in=ids)


def next_clock(ticket: Ticket, *, now: datetime) -> Clock:
    """The clock of the next running deadline of a queue row (``next_due`` is annotated)."""
    due = getattr(ticket, "next_due", None)
    if due is None:
        return Clock("none", None)
    if ticket.sla_paused_at is not None:
        return Clock("paused", due, due - ticket.sla_paused_at)
    left = due - now
    return Clock("running" if left >= timedelta(0) else "overdue", due, left)
