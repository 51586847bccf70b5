"""Today: what an account manager should do now, customer by customer — open alerts, tickets at or
past SLA, overdue cadences, decision makers not met, manual bands about to expire, unmet needs.

Customers come worst first: red before amber before green, then those with something late or new
(a ticket past its SLA, an alert), then by score and revenue. A page shows `TODAY_PAGE_SIZE` of
them; the rest come on demand, a page at a time. A page costs the same number of queries however
many customers and items there are: one for the latest scoring day (with, for an account
manager, the ids of their customers: ``common.customer_ids_and_day``), one ranking the customers
needing attention (the page's ids and how many there are in all), one for the page's customers,
one a kind of item for those customers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Least
from django.utils import formats, timezone
from django.utils.translation import gettext

from complaints.models import Ticket
from keyaccounts.clock import business_today
from relationships.contact_meetings import current_last_met, not_met_since_parts
from relationships.models import BuyingRole, Cadence, Contact

from ..models import Alert, Customer, CustomerStatus, ProductNeed, RiskOverride
from ..permissions import restrict, sees_all_alerts
from ..standing import UNSCORED_RANK
from .alert_text import render_alert
from .band_source import ShowsBand
from .common import customer_ids_and_day, overdue_cadence_parts, overdue_cadences
from .filters import account_list, band_rank

# Today: decision makers nobody met for this long need a visit; overrides this close to their
# expiry need a decision; tickets this close to an SLA deadline need attention now.
DECISION_MAKER_DAYS = 90
OVERRIDE_WARNING_DAYS = 14
SLA_WARNING = timedelta(hours=24)
# Customers a page of Today shows; the rest come on demand.
TODAY_PAGE_SIZE = 10
# At most this many items of one kind for a page of customers (a safety net, not a page size).
ITEM_LIMIT = 500
# The navigation badge counts customers with something urgent up to this, then says "99+".
BADGE_CAP = 99


@dataclass
class TodayItem:
    """Something to do about one customer, and where on its page it is done."""

    customer_id: int
    customer_name: str
    text: str
    anchor: str
    when: date | datetime | None = None
    late: bool = False
    alert: Alert | None = None
    kind: str = ""


@dataclass
class TodayCustomer(ShowsBand):
    """A customer needing attention, with everything to do about it, most urgent first."""

    customer: Customer
    items: list[TodayItem] = field(default_factory=list)

    @property
    def alerts(self) -> list[TodayItem]:
        return [item for item in self.items if item.alert is not None]

    @property
    def others(self) -> list[TodayItem]:
        return [item for item in self.items if item.alert is None]

    @property
    def late(self) -> int:
        return sum(1 for item in self.items if item.late)


@dataclass
class TodayPage:
    customers: list[TodayCustomer]
    total: int  # customers needing attention, on every page
    page: int
    page_size: int

    @property
    def has_more(self) -> bool:
        return self.page * self.page_size < self.total

    @property
    def next_page(self) -> int:
        return self.page + 1

    @property
    def remaining(self) -> int:
        return max(self.total - self.page * self.page_size, 0)


def alert_item(alert: Alert) -> TodayItem:
    """An open alert as a line of Today (the alert's customer must be loaded with it)."""
    return TodayItem(
        alert.customer_id,
        alert.customer.name,
        render_alert(alert.kind, alert.details),
        "section-risk",
        when=alert.as_of,
        alert=alert,
        kind="alerts",
    )


# What needs doing, as querysets: filtered by customer for the page, as Exists for the ranking. ---


def _tickets(now: datetime) -> QuerySet[Ticket]:
    """Tickets where a customer is waiting and a promised time is about to pass, or has passed."""
    response_due = Case(When(first_response_at__isnull=True, then=F("response_due_at")), default=None)
    return (
        Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES)
        .annotate(response_deadline=response_due)
        .annotate(
            deadline=Coalesce(
                Least(F("response_deadline"), F("resolution_due_at")), F("response_deadline"), F("resolution_due_at")
            )
        )
        .filter(deadline__lte=now + SLA_WARNING)
        # Waiting for the customer: the clock is paused, nothing is due from us unless it was late already.
        .filter(Q(sla_paused_at__isnull=True) | Q(deadline__lt=F("sla_paused_at")))
    )


def _alerts(user) -> QuerySet[Alert]:
    """Open alerts addressed to the user (executives and admins: every one of a visible customer)."""
    alerts = Alert.objects.open()
    return alerts if sees_all_alerts(user) else alerts.filter(recipients=user)


def _decision_maker_parts(today: date) -> tuple[QuerySet[Contact], QuerySet[Contact]]:
    """Current decision makers nobody met in the last `DECISION_MAKER_DAYS` days, in two parts:
    found from each contact's stored last meeting, and the few whose stored dates are stale
    worked out from the interactions (`relationships.contact_meetings`)."""
    since = today - timedelta(days=DECISION_MAKER_DAYS)
    current = Contact.objects.filter(buying_role=BuyingRole.DECISION_MAKER, left_on__isnull=True)
    as_stored, worked_out = not_met_since_parts(since, today)
    return current.filter(as_stored), current.filter(worked_out)


def _decision_makers(today: date) -> QuerySet[Contact]:
    as_stored, worked_out = _decision_maker_parts(today)
    return as_stored | worked_out


def _overrides(today: date) -> QuerySet[RiskOverride]:
    return RiskOverride.objects.filter(
        ended_on__isnull=True, expires_on__lte=today + timedelta(days=OVERRIDE_WARNING_DAYS)
    )


def _needs() -> QuerySet[ProductNeed]:
    return ProductNeed.objects.filter(status=ProductNeed.Status.UNMET)


def _of_customer(queryset: QuerySet) -> Q:
    """Customers with a row in ``queryset``: an uncorrelated ``IN`` the planner hashes once, not a
    subquery run customer by customer (whose estimated cost also switched PostgreSQL's JIT on)."""
    return Q(pk__in=queryset.values("customer_id"))


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def _needs_attention(*, user, today: date, now: datetime) -> Q:
    """Something to do today about one of the user's customers, of any kind: one union of the
    customers' ids, each kind narrowed to the customers the user sees (`restrict`: for an account
    manager each kind is read through the indexes on its customer, not over the whole book)."""
    by_stored_date, worked_out = overdue_cadence_parts(Cadence.objects.all(), today=today)
    kinds = [
        _tickets(now),
        _alerts(user),
        by_stored_date,
        worked_out,
        *_decision_maker_parts(today),
        _overrides(today),
        _needs(),
    ]
    first, *others = [restrict(kind, user).order_by().values("customer_id") for kind in kinds]
    return Q(pk__in=first.union(*others))


def _attention(*, user, customers: QuerySet[Customer], needing: Q, now: datetime) -> QuerySet[Customer]:
    """The user's active customers with something to do today, worst first: by the band shown and
    the score of the latest day, read from the kept standing (`accounts.standing`), one narrow row
    a customer, instead of the day's snapshots and the overrides (the whole book: 68,839
    customers ranked)."""
    return (
        customers.filter(status=CustomerStatus.ACTIVE)
        .filter(needing)
        .annotate(
            band_rank=band_rank("standing__band"),
            # The unscored last: a score is never below 0.
            rank_score=Coalesce(F("standing__rank_score"), Value(UNSCORED_RANK)),
            has_late_ticket=_flag(_of_customer(_tickets(now).filter(deadline__lt=now))),
            has_alert=_flag(_of_customer(_alerts(user))),
        )
        .order_by(
            F("band_rank").desc(),
            F("has_late_ticket").desc(),
            F("has_alert").desc(),
            F("rank_score").desc(),
            F("revenue_12m").desc(),
            "name",
            "pk",
        )
    )


def today_page(
    *, user, page: int = 1, today: date | None = None, now: datetime | None = None, page_size: int = TODAY_PAGE_SIZE
) -> TodayPage:
    """A page of the customers needing attention, worst first, each with its items.

    The page's customers are ranked in one narrow query that reads only their ids and, over the
    whole ranking, how many there are; their rows are read afterwards for those ids alone. An
    account manager's customers are read first as a list of ids: given to PostgreSQL as a list,
    they are looked up by index, where the union of the manager's customers made it scan every
    customer of the book (a manager with 1,423 of 100,000 customers: the ranking 88 -> 51 ms).
    The page's rows are read by the ranked ids alone (they are the user's)."""
    today = today or business_today()
    now = now or timezone.now()
    page = max(page, 1)
    ids, scored_on = customer_ids_and_day(user)
    customers = Customer.objects.visible_to(user) if ids is None else Customer.objects.filter(pk__in=ids)
    needing = _needs_attention(user=user, today=today, now=now)
    start = (page - 1) * page_size
    ranked = list(
        _attention(user=user, customers=customers, needing=needing, now=now)
        .annotate(needing_total=Window(Count("pk")))
        .values_list("pk", "needing_total")[start : start + page_size]
    )
    if ranked:
        total = ranked[0][1]
    elif start:
        # A page past the end: the count alone.
        total = customers.active().filter(needing).count()
    else:
        total = 0
    shown = [pk for pk, _total in ranked]
    rows = (
        {c.pk: c for c in account_list(user=user, scored_on=scored_on, customers=Customer.objects.filter(pk__in=shown))}
        if shown
        else {}
    )
    cards = {pk: TodayCustomer(rows[pk]) for pk in shown if pk in rows}
    if cards:
        for item in _items(user=user, ids=list(cards), today=today, now=now):
            cards[item.customer_id].items.append(item)
    return TodayPage(list(cards.values()), total, page, page_size)


def _items(*, user, ids: list[int], today: date, now: datetime) -> list[TodayItem]:
    """Everything to do about the customers ``ids``, one query a kind, most urgent kind first:
    tickets, alerts, cadences, decision makers, overrides, needs."""
    items: list[TodayItem] = []
    tickets = (
        _tickets(now)
        .filter(customer_id__in=ids)
        .select_related("customer")
        .only("pk", "subject", "severity", "customer__name", "response_due_at", "resolution_due_at")
        .order_by("deadline", "pk")[:ITEM_LIMIT]
    )
    items += [
        TodayItem(
            t.customer_id,
            t.customer.name,
            gettext("#%(number)s %(subject)s (%(severity)s)")
            % {"number": t.pk, "subject": t.subject, "severity": t.get_severity_display()},
            "section-timeline",
            when=t.deadline,
            late=t.deadline < now,
            kind="tickets",
        )
        for t in tickets
    ]
    alerts = _alerts(user).filter(customer_id__in=ids).select_related("customer").order_by("-as_of", "-id")
    items += [alert_item(a) for a in alerts[:ITEM_LIMIT]]
    cadences = (
        overdue_cadences(Cadence.objects.filter(customer_id__in=ids), today=today)
        .select_related("customer")
        .only("pk", "name", "customer__name")
        .order_by("next_due_on", "pk")[:ITEM_LIMIT]
    )
    items += [
        TodayItem(
            c.customer_id,
            c.customer.name,
            gettext("%(name)s: due %(days)s days ago") % {"name": c.name, "days": (today - c.next_due_on).days},
            "section-relationships",
            when=c.next_due_on,
            late=True,
            kind="cadences",
        )
        for c in cadences
    ]
    decision_makers = (
        _decision_makers(today)
        .filter(customer_id__in=ids)
        .annotate(met_on=current_last_met(today))
        .select_related("customer")
        .only("pk", "name", "title", "customer__name")
        .order_by(F("met_on").asc(nulls_first=True), "pk")[:ITEM_LIMIT]
    )
    items += [
        TodayItem(
            c.customer_id,
            c.customer.name,
            (
                gettext("%(name)s (%(title)s): last met %(days)s days ago")
                % {"name": c.name, "title": c.title or "—", "days": (today - c.met_on).days}
                if c.met_on
                else gettext("%(name)s (%(title)s): never met") % {"name": c.name, "title": c.title or "—"}
            ),
            "section-relationships",
            when=c.met_on,
            kind="decision_makers",
        )
        for c in decision_makers
    ]
    overrides = (
        _overrides(today)
        .filter(customer_id__in=ids)
        .select_related("customer")
        .only("pk", "band", "expires_on", "customer__name")
        .order_by("expires_on", "pk")[:ITEM_LIMIT]
    )
    items += [
        TodayItem(
            o.customer_id,
            o.customer.name,
            gettext("Manual %(band)s band expires on %(date)s")
            % {"band": o.get_band_display(), "date": formats.date_format(o.expires_on, "DATE_FORMAT")},
            "section-risk",
            when=o.expires_on,
            late=o.expires_on <= today,
            kind="overrides",
        )
        for o in overrides
    ]
    needs = (
        _needs()
        .filter(customer_id__in=ids)
        .select_related("customer")
        .only("pk", "description", "identified_on", "customer__name")
        .order_by("identified_on", "pk")[:ITEM_LIMIT]
    )
    items += [
        TodayItem(
            n.customer_id,
            n.customer.name,
            gettext("%(need)s (open for %(days)s days)")
            % {"need": n.description, "days": (today - n.identified_on).days},
            "section-strategy",
            when=n.identified_on,
            kind="needs",
        )
        for n in needs
    ]
    return items


def today_count(*, user, now: datetime | None = None, today: date | None = None) -> tuple[int, bool]:
    """The navigation badge: how many customers have something urgent today — an alert addressed
    to the user, a ticket at or past its SLA, or a manual band about to expire — capped at
    `BADGE_CAP` (then "more" is true). Slower work (meetings, decision makers, needs) waits on
    the page. One query."""
    today = today or business_today()
    now = now or timezone.now()

    def exists(queryset: QuerySet) -> Exists:
        return Exists(queryset.filter(customer_id=OuterRef("pk")))

    urgent = (
        Customer.objects.visible_to(user)
        .active()
        .filter(exists(_alerts(user)) | exists(_tickets(now)) | exists(_overrides(today)))
    )
    count = urgent.values("pk")[: BADGE_CAP + 1].count()
    return min(count, BADGE_CAP), count > BADGE_CAP
