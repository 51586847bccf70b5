"""My accounts: one row per customer with the figures of the day (band and trend, revenue and its
trend, tickets, contacts, cadences), read for the rows shown only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property

from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    Max,
    Q,
)
from django.utils import timezone

from complaints.models import Ticket
from keyaccounts.clock import business_today
from relationships.models import EXECUTIVE_LEVEL_KINDS, Cadence, Interaction

from ..models import (
    Customer,
    RiskSnapshot,
)
from ..permissions import may_see_every_customer
from ..risk.reasons import render_reason
from .band_source import BandSource, band_source
from .common import cadences_with_due, latest_scored_on, overdue_ticket_q
from .filters import (
    _FIRST_CLICK,
    DEFAULT_PER_PAGE,
    DEFAULT_SORT,
    PER_PAGE_CHOICES,
    AccountFilter,
    filter_notices,
    filtered_accounts,
    per_page_from,
)

# A score moving less than this in a week is noise, not a trend worth an arrow.
TREND_POINTS = 3
# Revenue trend: against the snapshot about a quarter before the latest; a week either way is
# accepted, so a missed nightly run does not blank the column.
REVENUE_TREND_DAYS = 90
REVENUE_TREND_SLACK_DAYS = 7


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

    @cached_property
    def band_source(self) -> BandSource:
        return band_source(self.customer)

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
        "customer_id", "next_due_on", "pk"
    )
    for cadence in cadences.values("customer_id", "name", "next_due_on"):
        row = rows[cadence["customer_id"]]
        if row.next_cadence_due_on is None:
            row.next_cadence_name, row.next_cadence_due_on = cadence["name"], cadence["next_due_on"]

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
