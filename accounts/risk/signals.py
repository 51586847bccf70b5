"""What the scorer reads about each customer, as of a date (docs/risk-method.md, "Signals").

A customer is scored on a date if it was a customer then (``customers_active_on``). Everything
read about it is gathered into one ``CustomerData`` record, raw and not yet scored, which the
factors and trip-wires read; ``loaders`` fills the records of a whole book at once.

Only records dated on or before the as-of date are read; datetimes are compared with the end of
that day in ``settings.TIME_ZONE``. Fields that are edited in place rather than dated (the
customer's relationship level, peak months, tier, backup owner and account team; a contact's
trust, department and buying role; a ticket's satisfaction) are read as they were at the end of
that day from the records' audit history: the latest history row before it, else the earliest
history row (a record entered later reads as first entered), else the current value
(``as_of``; docs/risk-method.md, "Signals").
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Q, QuerySet

from accounts.models import Customer, CustomerStatus

# What a book holds by the hundred thousand is tuples with named fields, not dicts: a ticket's row
# takes 144 bytes instead of 464, a customer's orders 104 instead of 360.


class OrderSignal(NamedTuple):
    """Orders up to the date: revenue in the recent window and in the same window a year earlier
    (with its orders), revenue over the last 12 months, the last order's day, how many orders."""

    revenue_recent: float
    revenue_year_ago: float
    orders_year_ago: int
    revenue_12m: Decimal
    last_order_on: date
    order_count: int


class PurchaseSignal(NamedTuple):
    """The purchase model's reading of the order history."""

    first_order_on: date
    order_days: int
    no_order_chance: float
    usual_gap_days: float
    horizon_days: int
    revenue_12m: float
    typical_revenue_12m: float


class DeliverySignal(NamedTuple):
    """Lines promised in the look-back and those on time in full: recent, and in the peak months."""

    lines_recent: int
    hits_recent: int
    peak_lines: int
    peak_hits: int


class ContactSignal(NamedTuple):
    """The customer's contacts: how many known and active, their average trust, the active decision
    makers and champions, an active contact's name, the key departments covered."""

    known: int
    active: int
    average_trust: float | None
    active_decision_makers: int
    active_champions: int
    an_active_name: str | None
    departments: list[str]


class InteractionSignal(NamedTuple):
    """The day of the last interaction, and of the last one at executive level."""

    last_on: date | None
    last_executive_on: date | None


class TicketSignal(NamedTuple):
    """A ticket as of the date (first response, escalation, resolution and rating after it read
    as not yet happened)."""

    kind: str
    category: str
    severity: str
    subject: str
    opened_at: datetime
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_response_at: datetime | None
    escalated_at: datetime | None
    resolved_at: datetime | None
    satisfaction: int | None


class CriterionSignal(NamedTuple):
    """The latest assessment of one purchase criterion."""

    criterion: str
    importance: int
    we_meet: bool
    competitor_meets: bool
    competitor_name: str | None
    assessed_on: date


class BenchmarkSignal(NamedTuple):
    """A product's latest price benchmark."""

    product_name: str
    our_price: Decimal
    market_average_price: Decimal
    competitor_name: str | None
    competitor_quote: Decimal | None
    observed_on: date


@dataclass(slots=True)
class CustomerData:
    """Everything the factors read about one customer as of the date (raw, not yet scored).

    ``None`` or an empty list means the customer has no such records up to the date.
    """

    customer_id: int
    relationship_level: int
    # Calendar months (1-12); a month listed twice counts twice.
    peak_months: list[int]
    tier: str
    # Our people on the account: the owner, the backup owner and the account team.
    our_people: int
    # Orders up to the date: revenue and counts in the recent window, the same window a year
    # earlier and the trailing 12 months; the last order's date.
    orders: OrderSignal | None = None
    # The purchase model's reading of the order history: first order day, distinct order days, the
    # chance of an order in the model's horizon, the expected days between orders.
    purchase: PurchaseSignal | None = None
    # Lines promised in the look-back: lines and hits, recent and in the customer's peak months.
    deliveries: DeliverySignal | None = None
    # Active contacts: counts, average trust, decision makers and champions, departments covered.
    contacts: ContactSignal | None = None
    # Decision makers and champions who left, most recent first.
    departed_key_people: list[dict] = field(default_factory=list)
    # The last interaction, and the last one at executive level.
    interactions: InteractionSignal | None = None
    # Agreed contact schedules running on the date, each with its last matching interaction.
    cadences: list[dict] = field(default_factory=list)
    # The latest assessment of each purchase criterion, most important first.
    criteria: list[CriterionSignal] = field(default_factory=list)
    # Tickets open at the end of the day or resolved within the longest look-back.
    tickets: list[TicketSignal] = field(default_factory=list)
    # Each product's latest price benchmark, not older than the price factor allows.
    benchmarks: list[BenchmarkSignal] = field(default_factory=list)
    # Whether the customer had any ticket by the date, and any product need or incentive.
    has_tickets: bool = False
    has_strategy_records: bool = False
    plan_reviewed_on: date | None = None
    open_needs: list[dict] = field(default_factory=list)
    active_incentives: int = 0
    # Competitor intelligence noted in the last ``INTEL_RECENT_DAYS`` up to the date: how many
    # entries, and the latest one's competitor, kind and date. Evidence only: no factor scores it.
    intel: dict | None = None


# How far back competitor intelligence counts as recent evidence for the reasons (and on the page).
INTEL_RECENT_DAYS = 90


def intel_evidence(d: CustomerData) -> dict:
    """The parameters a criteria or price reason carries about recent competitor intelligence
    (none without any): they add evidence to its sentence and change no score."""
    intel = d.intel
    if not intel:
        return {}
    return {
        "intel_count": intel["count"],
        "intel_days": INTEL_RECENT_DAYS,
        "intel_competitor": intel["competitor"],
        "intel_kind": intel["kind"],
        "intel_on": intel["noted_on"].isoformat(),
    }


def customers_active_on(as_of: date, customer_ids=None) -> QuerySet[Customer]:
    """Customers who were customers on the date: since on or before it, not churned by then."""
    customers = Customer.objects.filter(customer_since__lte=as_of).filter(
        Q(status=CustomerStatus.ACTIVE) | Q(churned_on__gt=as_of)
    )
    if customer_ids is not None:
        customers = customers.filter(pk__in=list(customer_ids))
    return customers.order_by()
