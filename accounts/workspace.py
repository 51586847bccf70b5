"""Reads for the account manager's workspace: my accounts, today's actions and global search.

Every read starts from ``Customer.objects.visible_to(user)``. Query counts do not grow with the
data: the list joins the snapshot of the latest scored day (one row per customer and day, unique)
instead of looking up each customer's own latest snapshot, and the per-row figures (tickets,
contacts, cadences, revenue trend) are read for the rows shown only, keyed by their ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import islice

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least, Replace
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints.models import Ticket
from keyaccounts.clock import business_today
from relationships.models import EXECUTIVE_LEVEL_KINDS, BuyingRole, Cadence, Contact, Interaction

from .alert_text import render_alert
from .models import (
    Alert,
    AlertKind,
    ChurnReason,
    Customer,
    CustomerStatus,
    Industry,
    ProductNeed,
    Region,
    RelationshipLevel,
    RiskBand,
    RiskOverride,
    RiskSnapshot,
    Tier,
)
from .people import display_name
from .permissions import may_see_every_customer
from .risk.reasons import render_reason
from .selectors import alerts_for

PER_PAGE_CHOICES = (25, 50, 100)
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
MAX_QUERY_LENGTH = 100
# A score moving less than this in a week is noise, not a trend worth an arrow.
TREND_POINTS = 3
# Revenue trend: against the snapshot about a quarter before the latest; a week either way is
# accepted, so a missed nightly run does not blank the column.
REVENUE_TREND_DAYS = 90
REVENUE_TREND_SLACK_DAYS = 7
# Today: decision makers nobody met for this long need a visit; overrides this close to their
# expiry need a decision; tickets this close to an SLA deadline need attention now.
DECISION_MAKER_DAYS = 90
OVERRIDE_WARNING_DAYS = 14
SLA_WARNING = timedelta(hours=24)
TODAY_GROUP_LIMIT = 50
# Up to this many decision makers in scope are looked up by id (see today_groups).
DECISION_MAKER_ID_LIST_LIMIT = 5000
SEARCH_LIMIT = 20


def clean_query(raw: str | None) -> str:
    """A search text as typed, with runs of blanks collapsed and capped in length."""
    return " ".join((raw or "").split())[:MAX_QUERY_LENGTH]


def latest_scored_on() -> date | None:
    """The newest day with risk snapshots. The nightly recompute writes a day in one transaction,
    so every customer scored that night has its row for this day."""
    return RiskSnapshot.objects.aggregate(day=Max("as_of"))["day"]


class AddDays(Func):
    """A date plus a number of days held in another column (date + integer on PostgreSQL)."""

    arity = 2
    output_field = DateField()

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" + ", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(
            compiler, connection, template="date(%(expressions)s || ' days')", arg_joiner=", '+' || ", **extra
        )


def cadences_with_due(cadences: QuerySet[Cadence], *, today: date) -> QuerySet[Cadence]:
    """Cadences still running, each with ``due_on``: one interval after its last interaction of the
    agreed kind, or after its start when there has been none (the rule the risk score uses)."""
    last_matching = (
        Interaction.objects.filter(
            customer_id=OuterRef("customer_id"), kind=OuterRef("interaction_kind"), occurred_on__lte=today
        )
        .order_by("-occurred_on")
        .values("occurred_on")[:1]
    )
    return (
        cadences.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        # An alias, not a column: the subquery appears once in the SQL, inside due_on.
        .alias(last_on=Subquery(last_matching, output_field=DateField()))
        .annotate(
            due_on=AddDays(
                Greatest(Coalesce(F("last_on"), F("starts_on")), F("starts_on"), output_field=DateField()),
                F("interval_days"),
            )
        )
    )


def overdue_cadences(cadences: QuerySet[Cadence], *, today: date) -> QuerySet[Cadence]:
    """Running cadences due before today. Said as "no matching interaction recent enough" (an
    anti-join the index answers) so the due date is worked out only for the overdue ones."""
    recent_enough = Interaction.objects.filter(
        customer_id=OuterRef("customer_id"), kind=OuterRef("interaction_kind"), occurred_on__lte=today
    ).filter(GreaterThanOrEqual(AddDays(F("occurred_on"), OuterRef("interval_days")), today))
    return cadences_with_due(cadences.filter(starts_on__lt=today).filter(~Exists(recent_enough)), today=today).filter(
        due_on__lt=today
    )


def overdue_ticket_q(now: datetime) -> Q:
    """An open ticket whose first response or resolution is late. A ticket waiting for its
    customer has its SLA clock paused: it is late only if it was late when the wait began."""
    clock = Coalesce(F("sla_paused_at"), Value(now))
    return Q(response_due_at__lt=clock, first_response_at__isnull=True) | Q(resolution_due_at__lt=clock)


# ---------------------------------------------------------------------------------------------
# My accounts
# ---------------------------------------------------------------------------------------------

BAND_RANK = Case(
    When(display_band=RiskBand.RED, then=4),
    When(display_band=RiskBand.AMBER, then=3),
    When(display_band=RiskBand.GREEN, then=2),
    When(display_band=RiskBand.GREY, then=1),
    default=0,
    output_field=IntegerField(),
)

SORT_CHOICES = [
    ("tier", _("Key accounts first")),
    ("-band", _("Band, worst first")),
    ("band", _("Band, best first")),
    ("-score", _("Risk score, highest first")),
    ("score", _("Risk score, lowest first")),
    ("-revenue", _("Revenue, largest first")),
    ("revenue", _("Revenue, smallest first")),
    ("name", _("Name, A–Z")),
    ("-name", _("Name, Z–A")),
    ("-contact", _("Longest without contact first")),
    ("contact", _("Most recently contacted first")),
]
DEFAULT_SORT = "tier"

_SORT_ORDER = {
    # "key" sorts before "regular", so the key tier comes first.
    "tier": ("tier", "-revenue_12m", "name", "pk"),
    "band": (F("band_rank").asc(), F("snapshot_score").asc(nulls_first=True), "name", "pk"),
    "-band": (F("band_rank").desc(), F("snapshot_score").desc(nulls_last=True), "name", "pk"),
    "score": (F("snapshot_score").asc(nulls_last=True), "name", "pk"),
    "-score": (F("snapshot_score").desc(nulls_last=True), "name", "pk"),
    "revenue": ("revenue_12m", "name", "pk"),
    "-revenue": ("-revenue_12m", "name", "pk"),
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    # Days since contact: fewest first is the latest contact first; never contacted counts as longest.
    "contact": (F("last_contact_on").desc(nulls_last=True), "name", "pk"),
    "-contact": (F("last_contact_on").asc(nulls_first=True), "name", "pk"),
}

# The sort a column header asks for first: worst band, highest score, largest revenue, longest
# without contact come first, names A–Z.
_FIRST_CLICK = {"name": "name", "band": "-band", "score": "-score", "revenue": "-revenue", "contact": "-contact"}

BAND_FILTER_CHOICES = [
    *RiskBand.choices,
    ("at_risk", _("Amber or red")),
    ("scored", _("Scored")),
    ("none", _("Not scored")),
]
# A week-on-week move of at least this many points counts as worsened or improved (the
# executive dashboard counts the same way).
MOVE_POINTS = 5.0
CHURN_WINDOW_DAYS = 365
ALERT_WINDOW_DAYS = 7

# Filters the executive dashboard's drill-down links set; the filter bar shows them as a badge
# that can be removed, not as a select.
DRILL_FILTERS = ("override", "moved", "tier_move", "churned", "alert", "breach")
MOVED_CHOICES = [("worsened", _("Worsened this week")), ("improved", _("Improved this week"))]
TIER_MOVE_CHOICES = [("entered", _("Entered the key tier this week")), ("left", _("Left the key tier this week"))]
CHURNED_CHOICES = [
    ("any", _("Churned in the last 12 months")),
    ("controllable", _("Churned for a controllable reason")),
    ("uncontrollable", _("Churned for an uncontrollable reason")),
    *ChurnReason.choices,
]
ALERT_CHOICES = [
    ("any", _("Any alert raised this week")),
    *AlertKind.choices,
    ("closed", _("Alert dealt with this week")),
]


def account_list(*, user, scored_on: date | None) -> QuerySet[Customer]:
    """The user's visible customers with the snapshot of ``scored_on`` and the override in force
    joined in (both at most one row per customer), in the default order: key accounts first."""
    return (
        Customer.objects.visible_to(user)
        .select_related("owner")
        .annotate(
            latest_snapshot=FilteredRelation("risk_snapshots", condition=Q(risk_snapshots__as_of=scored_on)),
            open_override=FilteredRelation("risk_overrides", condition=Q(risk_overrides__ended_on__isnull=True)),
        )
        .annotate(
            snapshot_score=F("latest_snapshot__score"),
            snapshot_band=F("latest_snapshot__band"),
            score_change=F("latest_snapshot__score_change_7d"),
            snapshot_reasons=F("latest_snapshot__reasons"),
            snapshot_tier=F("latest_snapshot__tier"),
            override_band=F("open_override__band"),
            # A band set by hand shows at once, not only from the next nightly snapshot.
            display_band=Coalesce(F("open_override__band"), F("latest_snapshot__band")),
        )
        .annotate(band_rank=BAND_RANK)
        .order_by(*_SORT_ORDER[DEFAULT_SORT])
    )


class _Select(django_filters.ChoiceFilter):
    """A choice filter whose select is styled for the compact filter bar."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.Select(attrs={"class": "form-select form-select-sm"}))
        super().__init__(*args, **kwargs)


class AccountFilter(django_filters.FilterSet):
    """The filter bar of My accounts; the export reads the same filters. Unknown values are
    reported by the form and otherwise ignored."""

    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    band = _Select(choices=BAND_FILTER_CHOICES, method="filter_band", label=_("Band"), empty_label=_("All bands"))
    tier = _Select(choices=Tier.choices, label=_("Tier"), empty_label=_("All tiers"))
    region = _Select(choices=Region.choices, label=_("Region"), empty_label=_("All regions"))
    industry = _Select(choices=Industry.choices, label=_("Industry"), empty_label=_("All industries"))
    relationship_level = _Select(
        choices=RelationshipLevel.choices, label=_("Relationship level"), empty_label=_("All levels")
    )
    owner = _Select(choices=[], field_name="owner_id", label=_("Owner"), empty_label=_("All owners"))
    # Drill-down filters (from the executive dashboard); the week and year end on the scored day.
    override = _Select(choices=[("1", _("Manual band in force"))], method="filter_override", label=_("Manual band"))
    moved = _Select(choices=MOVED_CHOICES, method="filter_moved", label=_("Moved"))
    tier_move = _Select(choices=TIER_MOVE_CHOICES, method="filter_tier_move", label=_("Tier change"))
    churned = _Select(choices=CHURNED_CHOICES, method="filter_churned", label=_("Churned"))
    alert = _Select(choices=ALERT_CHOICES, method="filter_alert", label=_("Alerts"))
    breach = _Select(choices=[("1", _("Open tickets past their SLA"))], method="filter_breach", label=_("SLA"))
    sort = django_filters.ChoiceFilter(choices=SORT_CHOICES, method="apply_sort", label=_("Sort"))

    def __init__(
        self,
        data=None,
        queryset=None,
        *,
        owner_choices: list[tuple[str, str]] = (),
        scored_on: date | None = None,
        **kwargs,
    ):
        super().__init__(data, queryset, **kwargs)
        self.filters["owner"].extra["choices"] = list(owner_choices)
        self.scored_on = scored_on or business_today()

    @property
    def drill_downs(self) -> list[tuple[str, str, str]]:
        """The drill-down filters in force: (name, value, label of the value)."""
        if not self.form.is_valid():
            return []
        chosen = []
        for name in DRILL_FILTERS:
            value = self.form.cleaned_data.get(name)
            if value:
                label = dict(self.filters[name].extra["choices"]).get(value, value)
                chosen.append((name, value, str(label)))
        return chosen

    def filter_override(self, queryset, name, value):
        return queryset.filter(override_band__isnull=False)

    def filter_moved(self, queryset, name, value):
        if value == "worsened":
            return queryset.filter(score_change__gte=MOVE_POINTS)
        return queryset.filter(score_change__lte=-MOVE_POINTS)

    def filter_tier_move(self, queryset, name, value):
        now, before = (Tier.KEY, Tier.REGULAR) if value == "entered" else (Tier.REGULAR, Tier.KEY)
        week_before = RiskSnapshot.objects.filter(
            customer_id=OuterRef("pk"), as_of=self.scored_on - timedelta(days=ALERT_WINDOW_DAYS), tier=before
        )
        return queryset.filter(snapshot_tier=now).filter(Exists(week_before))

    def filter_churned(self, queryset, name, value):
        queryset = queryset.filter(
            status=CustomerStatus.CHURNED,
            churned_on__gt=self.scored_on - timedelta(days=CHURN_WINDOW_DAYS),
            churned_on__lte=self.scored_on,
        )
        if value == "controllable":
            return queryset.filter(churn_reason__in=ChurnReason.controllable())
        if value == "uncontrollable":
            return queryset.filter(churn_reason__in=ChurnReason.uncontrollable())
        if value == "any":
            return queryset
        return queryset.filter(churn_reason=value)

    def filter_alert(self, queryset, name, value):
        week_from = self.scored_on - timedelta(days=ALERT_WINDOW_DAYS)
        if value == "closed":
            start = timezone.make_aware(datetime.combine(week_from + timedelta(days=1), datetime.min.time()))
            end = timezone.make_aware(datetime.combine(self.scored_on + timedelta(days=1), datetime.min.time()))
            alerts = Alert.objects.filter(closed_at__gte=start, closed_at__lt=end)
        else:
            alerts = Alert.objects.filter(as_of__gt=week_from, as_of__lte=self.scored_on)
            if value != "any":
                alerts = alerts.filter(kind=value)
        return queryset.filter(Exists(alerts.filter(customer_id=OuterRef("pk"))))

    def filter_breach(self, queryset, name, value):
        late = Ticket.objects.filter(customer_id=OuterRef("pk"), status__in=Ticket.OPEN_STATUSES).filter(
            overdue_ticket_q(timezone.now())
        )
        return queryset.filter(Exists(late))

    def filter_search(self, queryset, name, value):
        value = clean_query(value)
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))

    def filter_band(self, queryset, name, value):
        if value == "none":
            return queryset.filter(display_band__isnull=True)
        if value == "scored":
            return queryset.filter(display_band__isnull=False)
        if value == "at_risk":
            return queryset.filter(display_band__in=[RiskBand.AMBER, RiskBand.RED])
        return queryset.filter(display_band=value)

    def apply_sort(self, queryset, name, value):
        if value in ("contact", "-contact"):
            queryset = queryset.annotate(last_contact_on=Subquery(_last_contact_subquery(), output_field=DateField()))
        return queryset.order_by(*_SORT_ORDER[value])


def _last_contact_subquery():
    # Only for sorting by days since contact: one index lookup per customer on (customer, occurred_on).
    today = business_today()
    return (
        Interaction.objects.filter(customer_id=OuterRef("pk"), occurred_on__lte=today)
        .order_by("-occurred_on")
        .values("occurred_on")[:1]
    )


def owner_choices(*, user) -> list[tuple[str, str]]:
    """The owners of the customers the user sees, as (id, name) pairs, in one query."""
    visible = Customer.objects.visible_to(user)
    owners = (
        get_user_model()
        .objects.filter(pk__in=visible.values("owner_id"))
        .only("pk", "username", "first_name", "last_name")
    )
    pairs = [(str(u.pk), display_name(u)) for u in owners]
    return sorted(pairs, key=lambda pair: pair[1].lower())


def filtered_accounts(*, user, params: Mapping, scored_on: date | None) -> tuple[AccountFilter, list]:
    """The filter set bound to the request's parameters and the owners it offers."""
    owners = owner_choices(user=user)
    filterset = AccountFilter(
        params, queryset=account_list(user=user, scored_on=scored_on), owner_choices=owners, scored_on=scored_on
    )
    return filterset, owners


def filter_notices(filterset: AccountFilter) -> list[str]:
    """One plain sentence per parameter that was not understood and therefore ignored."""
    notices = []
    for name in filterset.form.errors:
        label = filterset.filters[name].label if name in filterset.filters else name
        value = str(filterset.data.get(name, ""))[:40]
        notices.append(
            gettext("Ignored the unknown value “%(value)s” for %(field)s.") % {"value": value, "field": label}
        )
    return notices


def per_page_from(raw) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return DEFAULT_PER_PAGE
    if value < 1:
        return DEFAULT_PER_PAGE
    return min(value, MAX_PER_PAGE)


@dataclass
class AccountRow:
    """One line of My accounts (and of its export): the customer and its figures of the day."""

    customer: Customer
    open_tickets: int = 0
    overdue_tickets: int = 0
    last_contact_on: date | None = None
    days_since_contact: int | None = None
    last_executive_contact_on: date | None = None
    days_since_executive_contact: int | None = None
    next_cadence_name: str = ""
    next_cadence_due_on: date | None = None
    revenue_then: Decimal | None = None
    top_reason: str = ""

    @property
    def band(self) -> str | None:
        return self.customer.display_band

    @property
    def score(self) -> float | None:
        return self.customer.snapshot_score

    @property
    def score_change(self) -> float | None:
        return self.customer.score_change

    @property
    def score_trend(self) -> str:
        change = self.score_change
        if change is None:
            return ""
        if change >= TREND_POINTS:
            return "up"
        if change <= -TREND_POINTS:
            return "down"
        return "flat"

    @property
    def overridden(self) -> bool:
        return self.customer.override_band is not None

    @property
    def revenue_trend(self) -> float | None:
        """Change of the trailing 12-month revenue since about a quarter ago, as a fraction."""
        if self.revenue_then is None or self.revenue_then <= 0:
            return None
        return float((self.customer.revenue_12m - self.revenue_then) / self.revenue_then)

    @property
    def revenue_trend_percent(self) -> float | None:
        trend = self.revenue_trend
        return None if trend is None else round(trend * 100, 1)

    @property
    def next_cadence_overdue(self) -> bool:
        return self.next_cadence_due_on is not None and self.next_cadence_due_on < business_today()


def account_rows(customers: list[Customer], *, scored_on: date | None, today: date | None = None) -> list[AccountRow]:
    """The per-row figures for these customers only, in four queries whatever their number."""
    if not customers:
        return []
    today = today or business_today()
    now = timezone.now()
    ids = [c.pk for c in customers]
    rows = {c.pk: AccountRow(customer=c) for c in customers}

    tickets = (
        Ticket.objects.filter(customer_id__in=ids, status__in=Ticket.OPEN_STATUSES)
        .values("customer_id")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=overdue_ticket_q(now)))
    )
    for t in tickets:
        rows[t["customer_id"]].open_tickets, rows[t["customer_id"]].overdue_tickets = t["open"], t["overdue"]

    contacts = (
        Interaction.objects.filter(customer_id__in=ids, occurred_on__lte=today)
        .values("customer_id")
        .annotate(last=Max("occurred_on"), last_executive=Max("occurred_on", filter=Q(kind__in=EXECUTIVE_LEVEL_KINDS)))
    )
    for c in contacts:
        row = rows[c["customer_id"]]
        row.last_contact_on, row.last_executive_contact_on = c["last"], c["last_executive"]
        row.days_since_contact = (today - c["last"]).days if c["last"] else None
        row.days_since_executive_contact = (today - c["last_executive"]).days if c["last_executive"] else None

    cadences = cadences_with_due(Cadence.objects.filter(customer_id__in=ids), today=today).order_by(
        "customer_id", "due_on", "pk"
    )
    for cadence in cadences.values("customer_id", "name", "due_on"):
        row = rows[cadence["customer_id"]]
        if row.next_cadence_due_on is None:
            row.next_cadence_name, row.next_cadence_due_on = cadence["name"], cadence["due_on"]

    if scored_on is not None:
        target = scored_on - timedelta(days=REVENUE_TREND_DAYS)
        slack = timedelta(days=REVENUE_TREND_SLACK_DAYS)
        earlier = RiskSnapshot.objects.filter(
            customer_id__in=ids, as_of__gte=target - slack, as_of__lte=target + slack
        ).values_list("customer_id", "as_of", "revenue_12m")
        closest: dict[int, tuple[int, Decimal]] = {}
        for customer_id, as_of, revenue in earlier:
            distance = abs((as_of - target).days)
            if customer_id not in closest or distance < closest[customer_id][0]:
                closest[customer_id] = (distance, revenue)
        for customer_id, (_distance, revenue) in closest.items():
            rows[customer_id].revenue_then = revenue

    for row in rows.values():
        reasons = row.customer.snapshot_reasons or []
        if reasons and isinstance(reasons[0], dict):
            row.top_reason = render_reason(reasons[0])
    return [rows[pk] for pk in ids]


def chunked(iterable: Iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


@dataclass
class AccountListing:
    filterset: AccountFilter
    page: Page
    rows: list[AccountRow]
    scored_on: date | None
    per_page: int
    sort: str
    owners: list[tuple[str, str]]
    show_owner: bool
    notices: list[str] = field(default_factory=list)
    per_page_choices: tuple[int, ...] = PER_PAGE_CHOICES

    @property
    def sort_param(self) -> str:
        """The sort as the filter form carries it: empty for the default, keeping links short."""
        return "" if self.sort == DEFAULT_SORT else self.sort

    @property
    def per_page_param(self) -> str:
        return "" if self.per_page == DEFAULT_PER_PAGE else str(self.per_page)

    @property
    def sort_links(self) -> dict[str, dict]:
        """Per sortable column: the sort its header link asks for (first click: the direction a
        manager wants first; a second click reverses it) and whether it is the sort in force."""
        links = {}
        for column, first in _FIRST_CLICK.items():
            opposite = first[1:] if first.startswith("-") else f"-{first}"
            active = self.sort in (first, opposite)
            links[column] = {
                "next": opposite if self.sort == first else first,
                "active": active,
                "descending": self.sort.startswith("-"),
            }
        return links


def my_accounts(*, user, params: Mapping) -> AccountListing:
    """One page of the user's customers, filtered and sorted, with its per-row figures."""
    scored_on = latest_scored_on()
    filterset, owners = filtered_accounts(user=user, params=params, scored_on=scored_on)
    per_page = per_page_from(params.get("per_page"))
    page = Paginator(filterset.qs, per_page).get_page(params.get("page"))
    sort = filterset.form.cleaned_data.get("sort") or DEFAULT_SORT
    return AccountListing(
        filterset=filterset,
        page=page,
        rows=account_rows(list(page.object_list), scored_on=scored_on),
        scored_on=scored_on,
        per_page=per_page,
        sort=sort,
        owners=owners,
        show_owner=may_see_every_customer(user) or len(owners) > 1,
        notices=filter_notices(filterset),
    )


# ---------------------------------------------------------------------------------------------
# Today
# ---------------------------------------------------------------------------------------------


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
                    % {"band": o.get_band_display(), "date": o.expires_on.isoformat()},
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


# ---------------------------------------------------------------------------------------------
# Search
# ---------------------------------------------------------------------------------------------


@dataclass
class SearchResults:
    query: str
    customers: list[Customer]
    contacts: list[Contact]
    more_customers: bool = False
    more_contacts: bool = False

    @property
    def empty(self) -> bool:
        return not (self.customers or self.contacts)


def search(*, user, query: str, limit: int = SEARCH_LIMIT) -> SearchResults:
    """Customers by name or code and contacts by name, phone, email or title, among those the user
    may see; two queries, at most ``limit`` of each."""
    query = clean_query(query)
    if not query:
        return SearchResults(query, [], [])
    customers = list(
        Customer.objects.visible_to(user)
        .filter(Q(name__icontains=query) | Q(code__icontains=query))
        .annotate(
            relevance=Case(
                When(code__iexact=query, then=0),
                When(name__istartswith=query, then=1),
                default=2,
                output_field=IntegerField(),
            )
        )
        .only("pk", "name", "code", "tier", "status", "industry", "region")
        .order_by("relevance", "tier", "name", "pk")[: limit + 1]
    )
    contacts = Contact.objects.visible_to(user)
    phone = Q(phone__icontains=query)
    # Phone numbers are typed with and without spaces and dashes: compare them without either.
    compact = re.sub(r"[\s\-()]", "", query)
    if len(compact) >= 4 and compact.lstrip("+").isdigit():
        stripped = F("phone")
        for mark in (" ", "-", "(", ")"):
            stripped = Replace(stripped, Value(mark), Value(""))
        contacts = contacts.annotate(phone_compact=stripped)
        phone |= Q(phone_compact__contains=compact)
    contacts = list(
        contacts.filter(Q(name__icontains=query) | Q(email__icontains=query) | Q(title__icontains=query) | phone)
        .select_related("customer")
        .only("pk", "name", "title", "email", "phone", "left_on", "customer__name", "customer__code")
        .order_by(F("left_on").asc(nulls_first=True), "name", "pk")[: limit + 1]
    )
    return SearchResults(
        query,
        customers[:limit],
        contacts[:limit],
        more_customers=len(customers) > limit,
        more_contacts=len(contacts) > limit,
    )
