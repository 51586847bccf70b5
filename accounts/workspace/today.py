"""Today: what an account manager should do now — open alerts, tickets at or past SLA, overdue
cadences, decision makers not met, manual bands about to expire, unmet needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import (
    Case,
    DateField,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce, Least
from django.utils import formats, timezone
from django.utils.translation import gettext

from complaints.models import Ticket
from keyaccounts.clock import business_today
from relationships.models import BuyingRole, Cadence, Contact, Interaction

from ..models import (
    Alert,
    Customer,
    ProductNeed,
    RiskOverride,
)
from .alert_text import render_alert
from .common import overdue_cadences
from .customer import alerts_for

# Today: decision makers nobody met for this long need a visit; overrides this close to their
# expiry need a decision; tickets this close to an SLA deadline need attention now.
DECISION_MAKER_DAYS = 90
OVERRIDE_WARNING_DAYS = 14
SLA_WARNING = timedelta(hours=24)
TODAY_GROUP_LIMIT = 50
# Up to this many decision makers in scope are looked up by id (see today_groups).
DECISION_MAKER_ID_LIST_LIMIT = 5000


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


@dataclass
class TodayGroup:
    key: str
    title: str
    items: list[TodayItem]
    more: bool = False

    @property
    def count(self) -> int:
        return len(self.items)


def alert_item(alert: Alert) -> TodayItem:
    """An open alert as a line of Today (the alert's customer must be loaded with it)."""
    return TodayItem(
        alert.customer_id,
        alert.customer.name,
        render_alert(alert.kind, alert.details),
        "section-risk",
        when=alert.as_of,
        alert=alert,
    )


def _limited(queryset) -> tuple[list, bool]:
    rows = list(queryset[: TODAY_GROUP_LIMIT + 1])
    return rows[:TODAY_GROUP_LIMIT], len(rows) > TODAY_GROUP_LIMIT


def today_groups(*, user, today: date | None = None, now: datetime | None = None) -> list[TodayGroup]:
    """What needs doing for the user's active customers, most urgent group first, one query a group."""
    today = today or business_today()
    now = now or timezone.now()
    scope = Customer.objects.visible_to(user).active().values("pk")
    groups = []

    # Tickets: a customer is waiting and a promised time is about to pass, or has passed.
    response_due = Case(When(first_response_at__isnull=True, then=F("response_due_at")), default=None)
    tickets, more = _limited(
        Ticket.objects.filter(customer__in=scope, status__in=Ticket.OPEN_STATUSES)
        .annotate(response_deadline=response_due)
        .annotate(
            deadline=Coalesce(
                Least(F("response_deadline"), F("resolution_due_at")), F("response_deadline"), F("resolution_due_at")
            )
        )
        .filter(deadline__lte=now + SLA_WARNING)
        # Waiting for the customer: the clock is paused, nothing is due from us unless it was late already.
        .filter(Q(sla_paused_at__isnull=True) | Q(deadline__lt=F("sla_paused_at")))
        .select_related("customer")
        .only("pk", "subject", "severity", "customer__name", "response_due_at", "resolution_due_at")
        .order_by("deadline", "pk")
    )
    groups.append(
        TodayGroup(
            "tickets",
            gettext("Tickets at or past their SLA"),
            [
                TodayItem(
                    t.customer_id,
                    t.customer.name,
                    gettext("#%(number)s %(subject)s (%(severity)s)")
                    % {"number": t.pk, "subject": t.subject, "severity": t.get_severity_display()},
                    "section-timeline",
                    when=t.deadline,
                    late=t.deadline < now,
                )
                for t in tickets
            ],
            more,
        )
    )

    alerts = list(alerts_for(user=user, limit=TODAY_GROUP_LIMIT + 1))
    groups.append(
        TodayGroup(
            "alerts",
            gettext("New alerts"),
            [alert_item(a) for a in alerts[:TODAY_GROUP_LIMIT]],
            len(alerts) > TODAY_GROUP_LIMIT,
        )
    )

    cadences, more = _limited(
        overdue_cadences(Cadence.objects.filter(customer__in=scope), today=today)
        .select_related("customer")
        .only("pk", "name", "customer__name", "interaction_kind", "interval_days", "starts_on")
        .order_by("due_on", "pk")
    )
    groups.append(
        TodayGroup(
            "cadences",
            gettext("Overdue meetings and calls"),
            [
                TodayItem(
                    c.customer_id,
                    c.customer.name,
                    gettext("%(name)s: due %(days)s days ago") % {"name": c.name, "days": (today - c.due_on).days},
                    "section-relationships",
                    when=c.due_on,
                    late=True,
                )
                for c in cadences
            ],
            more,
        )
    )

    since = today - timedelta(days=DECISION_MAKER_DAYS)
    last_met = (
        Interaction.contacts.through.objects.filter(contact_id=OuterRef("pk"), interaction__occurred_on__lte=today)
        .order_by("-interaction__occurred_on")
        .values("interaction__occurred_on")[:1]
    )
    met_since = Interaction.contacts.through.objects.filter(
        contact_id=OuterRef("pk"), interaction__occurred_on__gte=since, interaction__occurred_on__lte=today
    )
    # A manager's book: the ids first, so the planner probes the participants' index per contact
    # instead of hashing everyone's recent interactions (1.0 s → 0.1 s with 100,000 customers).
    # A whole company's list of ids would cost more than it saves.
    in_scope = Contact.objects.filter(customer__in=scope, buying_role=BuyingRole.DECISION_MAKER, left_on__isnull=True)
    candidates = list(in_scope.values_list("pk", flat=True)[: DECISION_MAKER_ID_LIST_LIMIT + 1])
    if len(candidates) <= DECISION_MAKER_ID_LIST_LIMIT:
        in_scope = Contact.objects.filter(pk__in=candidates)
    decision_makers, more = _limited(
        in_scope.filter(~Exists(met_since))
        .annotate(last_met_on=Subquery(last_met, output_field=DateField()))
        .select_related("customer")
        .only("pk", "name", "title", "customer__name")
        .order_by(F("last_met_on").asc(nulls_first=True), "pk")
    )
    groups.append(
        TodayGroup(
            "decision_makers",
            gettext("Decision makers not met in 90 days"),
            [
                TodayItem(
                    c.customer_id,
                    c.customer.name,
                    (
                        gettext("%(name)s (%(title)s): last met %(days)s days ago")
                        % {"name": c.name, "title": c.title or "—", "days": (today - c.last_met_on).days}
                        if c.last_met_on
                        else gettext("%(name)s (%(title)s): never met") % {"name": c.name, "title": c.title or "—"}
                    ),
                    "section-relationships",
                    when=c.last_met_on,
                    late=True,
                )
                for c in decision_makers
            ],
            more,
        )
    )

    overrides, more = _limited(
        RiskOverride.objects.filter(
            customer__in=scope, ended_on__isnull=True, expires_on__lte=today + timedelta(days=OVERRIDE_WARNING_DAYS)
        )
        .select_related("customer")
        .only("pk", "band", "expires_on", "customer__name")
        .order_by("expires_on", "pk")
    )
    groups.append(
        TodayGroup(
            "overrides",
            gettext("Manual bands about to expire"),
            [
                TodayItem(
                    o.customer_id,
                    o.customer.name,
                    gettext("Manual %(band)s band expires on %(date)s")
                    % {"band": o.get_band_display(), "date": formats.date_format(o.expires_on, "DATE_FORMAT")},
                    "section-risk",
                    when=o.expires_on,
                    late=o.expires_on <= today,
                )
                for o in overrides
            ],
            more,
        )
    )

    needs, more = _limited(
        ProductNeed.objects.filter(customer__in=scope, status=ProductNeed.Status.UNMET)
        .select_related("customer")
        .only("pk", "description", "identified_on", "customer__name")
        .order_by("identified_on", "pk")
    )
    groups.append(
        TodayGroup(
            "needs",
            gettext("Unmet product needs"),
            [
                TodayItem(
                    n.customer_id,
                    n.customer.name,
                    gettext("%(need)s (open for %(days)s days)")
                    % {"need": n.description, "days": (today - n.identified_on).days},
                    "section-strategy",
                    when=n.identified_on,
                )
                for n in needs
            ],
            more,
        )
    )
    return groups


def today_count(*, user) -> tuple[int, bool]:
    """How many things Today lists, and whether some group has more than it shows."""
    groups = today_groups(user=user)
    return sum(g.count for g in groups), any(g.more for g in groups)
