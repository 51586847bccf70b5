"""Reads of plays: My plays, a customer's plays, the count for the nav badge, the ICS feed's items.

Every read goes through ``Play.objects.visible_to(user)``: a play is seen by whoever sees its
customer. Lists cost a fixed number of queries, whatever their length.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import Customer
from relationships.models import Cadence

from .models import Play, PlayStep

# Filters of My plays.
SHOW_MINE, SHOW_ALL = "mine", "all"
STATUS_OPEN, STATUS_OVERDUE, STATUS_CLOSED = "open", "overdue", "closed"
PAGE_SIZE = 50
CLOSED_STATUSES = (Play.Status.DONE, Play.Status.CANCELLED)


def plays_for(user, *, show: str = SHOW_MINE, status: str = STATUS_OPEN, today: date) -> QuerySet[Play]:
    """The plays a person works or reads, soonest due first, with what a list row shows.

    Sized for a million plays: "mine" is the union of the plays the person owns and those with an
    open step of theirs (each served by its own index, no OR over a join); the steps are counted
    per row by subqueries, so the sort and the page's LIMIT run on the plays alone, served by the
    partial indexes of open and closed plays (migration 0002).
    """
    statuses = CLOSED_STATUSES if status == STATUS_CLOSED else Play.OPEN_STATUSES
    plays = Play.objects.visible_to(user).filter(status__in=statuses)
    if show == SHOW_MINE:
        # Each side narrowed to the list's statuses, so the union is the page's candidates only.
        owned = Play.objects.filter(owner=user, status__in=statuses).order_by().values("pk")
        stepped = (
            PlayStep.objects.filter(assignee=user, done_on__isnull=True, play__status__in=statuses)
            .order_by()
            .values("play_id")
        )
        plays = plays.filter(pk__in=owned.union(stepped))
    # "All I can see" is every play at the customers the person sees: an account manager's own,
    # backed-up and team customers' (a colleague's plays there too); everyone's for the others.
    if status == STATUS_CLOSED:
        plays = plays.order_by("-closed_on", "-id")
    else:
        plays = plays.order_by("due_on", "priority", "id")
        if status == STATUS_OVERDUE:
            plays = plays.filter(due_on__lt=today)
    return plays.select_related("customer", "owner", "playbook").annotate(
        steps_total=_step_count(),
        steps_done=_step_count(done_on__isnull=False),
    )


def _step_count(**conditions):
    counted = (
        PlayStep.objects.filter(play=OuterRef("pk"), **conditions)
        .order_by()
        .values("play")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def due_count(user, *, today: date, within_days: int = 0) -> int:
    """Open plays the person owns that are due by ``today`` + ``within_days``: for Today and the badge."""
    return (
        Play.objects.visible_to(user).open().filter(owner=user, due_on__lte=today + timedelta(days=within_days)).count()
    )


def customer_plays(customer, *, closed_limit: int = 5) -> tuple[list[Play], list[Play]]:
    """A customer's open plays (with steps) and its latest closed ones."""
    steps = Prefetch("steps", queryset=PlayStep.objects.select_related("assignee"))
    base = Play.objects.filter(customer=customer).select_related("owner", "playbook")
    open_plays = list(base.open().order_by("due_on", "priority", "id").prefetch_related(steps))
    closed = list(base.exclude(status__in=Play.OPEN_STATUSES).order_by("-closed_on", "-id")[:closed_limit])
    return open_plays, closed


def calendar_items(user, *, today: date, horizon_days: int = 180) -> tuple[list[Play], list[PlayStep], list[Cadence]]:
    """What a person's calendar shows: their open plays, open steps and cadences (theirs, or their
    customers' without an owner of their own) due within the horizon, overdue ones on their due date."""
    until = today + timedelta(days=horizon_days)
    plays = list(Play.objects.visible_to(user).open().filter(owner=user, due_on__lte=until).select_related("customer"))
    steps = list(
        PlayStep.objects.filter(
            play__in=Play.objects.visible_to(user).open(), assignee=user, done_on__isnull=True, due_on__lte=until
        ).select_related("play__customer")
    )
    cadences = list(
        Cadence.objects.filter(
            Q(owner=user) | Q(owner__isnull=True, customer__owner=user),
            customer__in=Customer.objects.visible_to(user),
            due_on__isnull=False,
            due_on__lte=until,
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .select_related("customer")
    )
    return plays, steps, cadences
