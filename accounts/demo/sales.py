"""Products, competitors, customers and their orders with delivery lines."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from django.utils.translation import gettext

from accounts.models import (
    Competitor,
    Customer,
    CustomerStatus,
    DeliveryLine,
    Order,
    Product,
    RelationshipLevel,
    Tier,
)

from . import names
from .calendar import DemoCalendar
from .history import CHANGED, CREATED, HistorySink
from .plans import LATE_DELIVERY, PEAK_BOOST, SEASON, CustomerPlan
from .writer import BulkOutput, DiscardOutput, Progress

KEY_SHARE = 0.20


@dataclass
class Catalogue:
    """What we sell and who we compete with; prices in fen (1/100 yuan)."""

    product_pks: list[int]
    product_prices: list[int]
    categories: list[list[int]]  # product indices per category
    competitor_pks: list[int]


def write_catalogue(
    *, rng: random.Random, output: BulkOutput, first_product_pk: int, first_competitor_pk: int
) -> Catalogue:
    products = output.sink(Product, ["id", "sku", "name", "category", "is_active"])
    pks, prices, categories = [], [], []
    for zh_name, code, low, high in names.PRODUCT_CATEGORIES:
        members = []
        for number in range(names.PRODUCTS_PER_CATEGORY):
            pk = first_product_pk + len(pks)
            series = names.PRODUCT_SERIES[number % len(names.PRODUCT_SERIES)]
            model_number = 100 + 25 * number
            price = round(math.exp(rng.uniform(math.log(low), math.log(high))) * 100)
            products.add(
                (
                    pk,
                    f"KA-{code}-{number + 1:03d}",
                    f"{zh_name} {series}{code}-{model_number}",
                    zh_name,
                    rng.random() < 0.95,
                )
            )
            members.append(len(pks))
            pks.append(pk)
            prices.append(price)
        categories.append(members)
    competitors = output.sink(Competitor, ["id", "name", "notes"])
    competitor_pks = []
    for number, name in enumerate(names.COMPETITORS):
        competitor_pks.append(first_competitor_pk + number)
        competitors.add((competitor_pks[-1], name, ""))
    return Catalogue(pks, prices, categories, competitor_pks)


CUSTOMER_COLUMNS = [
    "id", "code", "name", "industry", "region", "owner_id", "backup_owner_id", "relationship_level",
    "status", "customer_since", "churned_on", "churn_reason", "churn_notes", "tier_pinned", "peak_months",
]  # fmt: skip
# Where a customer's relationship level, and its status and churn date, reason and notes sit in its row.
_LEVEL, _STATUS, _CHURN = 7, 8, slice(10, 13)


def write_customers(
    *,
    rng: random.Random,
    output: BulkOutput,
    plans: list[CustomerPlan],
    calendar: DemoCalendar,
    progress: Progress,
    first_pks: dict[str, int],
    orders_only: bool = False,
) -> None:
    """The customers, their account teams and their history.

    The history starts the day a customer was won, at its relationship level then; a story that
    lowers the level changes it when the warning signs begin, and a churn is recorded the day it
    happened. Every history row carries the team (as django-simple-history stores it).

    ``orders_only``: what an ERP's order log knows: code, name, industry, region and owner; no
    backup owner, team, relationship level, peak months, churn or history.
    """
    customers = output.sink(Customer, CUSTOMER_COLUMNS)
    if not orders_only:
        team = output.sink(Customer.account_team.through, ["id", "customer_id", "user_id"], parents=[customers])
        history = HistorySink(
            output, Customer, [*CUSTOMER_COLUMNS, "created_at", "updated_at"], first_pks["customer_history"]
        )
        team_history = output.sink(
            Customer.history.model.account_team.model, ["m2m_history_id", "history_id", "id", "customer_id", "user_id"]
        )
        team_history_pk = first_pks["team_history"]
    day, at = calendar.day, calendar.at
    team_pk = first_pks["team"]
    for plan in progress(plans, gettext("customers"), len(plans)):
        if orders_only:
            customers.add(
                (plan.pk, plan.code, plan.name, plan.industry, plan.region, plan.owner, None,
                 RelationshipLevel.PRICE.value, CustomerStatus.ACTIVE.value, day(plan.since), None, "", "", False, [])
            )  # fmt: skip
            continue
        churned = plan.churned_on is not None
        notes = ""
        if churned and rng.random() < 0.8:
            notes = names.CHURN_NOTES[plan.churn_reason][0 if plan.chinese else 1]
        row = (
            plan.pk,
            plan.code,
            plan.name,
            plan.industry,
            plan.region,
            plan.owner,
            plan.backup_owner,
            plan.relationship_level,
            CustomerStatus.CHURNED.value if churned else CustomerStatus.ACTIVE.value,
            day(plan.since),
            day(plan.churned_on) if churned else None,
            str(plan.churn_reason),
            notes,
            plan.tier_pinned,
            plan.peak_months,
        )
        customers.add(row)
        members = []
        for user_pk in plan.team:
            team.add((team_pk, plan.pk, user_pk))
            members.append((team_pk, user_pk))
            team_pk += 1

        # The history: won at the level of the time, active; then the story's changes, in order.
        values = list(row)
        values[_STATUS] = CustomerStatus.ACTIVE.value
        values[_CHURN] = [None, "", ""]
        values[_LEVEL] = plan.level_on(plan.since)
        changes = [(at(plan.since, 9), CREATED, tuple(values))]
        if values[_LEVEL] != plan.relationship_level:
            values[_LEVEL] = plan.relationship_level
            changes.append((at(plan.warn_start, 10), CHANGED, tuple(values)))
        if churned:
            changes.append((at(plan.churned_on, 17), CHANGED, row))
        for when, kind, values in changes:
            history_pk = history.add(when, kind, (*values, when, when))
            for member_pk, user_pk in members:
                team_history.rows.append((team_history_pk, history_pk, member_pk, plan.pk, user_pk))
                team_history_pk += 1
        history.maybe_flush()
        team_history.maybe_flush()


def write_orders(
    *,
    rng: random.Random,
    output: BulkOutput,
    plans: list[CustomerPlan],
    calendar: DemoCalendar,
    catalogue: Catalogue,
    progress: Progress,
    first_order_pk: int,
    first_line_pk: int,
    with_lines: bool = True,
) -> None:
    """Three years of orders per customer: rhythm and size follow the customer's size, the season,
    its peak months and its story; one or two delivery lines each, mostly on time and in full.
    Without ``with_lines`` the lines are drawn (the same orders come out) but not written.

    Also fills each plan's trailing 12-month revenue, which decides the key tier.
    """
    orders = output.sink(Order, ["id", "customer_id", "number", "ordered_on", "amount"])
    lines = (output if with_lines else DiscardOutput()).sink(
        DeliveryLine,
        [
            "id",
            "order_id",
            "line_no",
            "product_id",
            "quantity_ordered",
            "quantity_delivered",
            "promised_on",
            "delivered_on",
        ],
        parents=[orders],
    )
    order_rows, line_rows = orders.rows, lines.rows
    days, months, first = calendar.days, calendar.months, calendar.first
    history_start, today = calendar.start, calendar.end
    last_year = today - 365
    product_pks, product_prices = catalogue.product_pks, catalogue.product_prices
    random_, gauss, exp, sqrt = rng.random, rng.gauss, math.exp, math.sqrt
    order_pk, line_pk = first_order_pk, first_line_pk
    for plan in progress(plans, gettext("orders, delivery lines"), len(plans)):
        customer_pk = plan.pk
        begin, end = max(plan.since, history_start), plan.end
        base_gap = 365.0 / plan.orders_per_year
        base_amount = plan.annual_revenue * 100.0 / plan.orders_per_year
        peak = plan.peak_months
        unit_prices = [max(1, round(product_prices[p] * plan.price_factor)) for p in plan.products]
        products = [product_pks[p] for p in plan.products]
        choices = len(products)
        late_sign = LATE_DELIVERY in plan.signs
        base_late = 0.04 if plan.key_candidate else 0.06
        # Some customers with a peak season get it wrong: deliveries slip when they need them most.
        peak_misses = bool(peak) and plan.index % 4 == 0
        lead = plan.lead_days
        revenue_12m = 0
        t = begin + random_() * base_gap
        while t < end:
            ordered = int(t)
            month = months[ordered - first]
            season = SEASON[month] * (PEAK_BOOST if month in peak else 1.0)
            pace = sqrt(season * plan.trend(ordered, history_start))
            target = base_amount * pace * exp(0.35 * gauss(0.0, 1.0))
            late_p = base_late
            if late_sign and plan.warn_start <= ordered < plan.warn_end:
                late_p = 0.35
            elif peak_misses and month in peak:
                late_p = 0.2
            first_product = int(random_() * choices)
            line_count = 1 if choices == 1 or random_() < 0.55 else 2
            amount = 0
            for line_no in range(1, line_count + 1):
                index = (
                    first_product if line_no == 1 else (first_product + 1 + int(random_() * (choices - 1))) % choices
                )
                share = target if line_count == 1 else target * (0.6 if line_no == 1 else 0.4)
                unit = unit_prices[index]
                quantity = max(1, round(share / unit))
                amount += quantity * unit
                promised = ordered + lead + int(random_() * 8)
                outcome = random_()
                delivered_quantity = quantity
                if outcome < late_p:
                    delivered = promised + 1 + int(random_() * 14)
                else:
                    delivered = promised - int(random_() * 3)
                    if outcome < late_p + 0.03:
                        delivered_quantity = max(1, int(quantity * (0.6 + 0.35 * random_())))
                if delivered >= today:
                    line_rows.append(
                        (line_pk, order_pk, line_no, products[index], quantity, 0, days[promised - first], None)
                    )
                else:
                    line_rows.append(
                        (line_pk, order_pk, line_no, products[index], quantity, delivered_quantity,
                         days[promised - first], days[delivered - first])
                    )  # fmt: skip
                line_pk += 1
            order_day = days[ordered - first]
            order_rows.append(
                (
                    order_pk,
                    customer_pk,
                    f"SO{order_day.year}-{order_pk:08d}",
                    order_day,
                    f"{amount // 100}.{amount % 100:02d}",
                )
            )
            order_pk += 1
            if ordered >= last_year:
                revenue_12m += amount
            t += base_gap / pace * (0.5 + random_())
        plan.revenue_12m = revenue_12m
        lines.maybe_flush()
        orders.maybe_flush()


def assign_tiers(plans: list[CustomerPlan]) -> list[int]:
    """The top 20% of active customers by trailing 12-month revenue are key accounts (the 2/8 rule)."""
    active = [p for p in plans if p.churned_on is None]
    active.sort(key=lambda p: (-p.revenue_12m, p.pk))
    key_count = math.ceil(len(active) * KEY_SHARE)
    key_pks = []
    for rank, plan in enumerate(active):
        is_key = rank < key_count or plan.tier_pinned
        plan.tier = Tier.KEY.value if is_key else Tier.REGULAR.value
        if is_key:
            key_pks.append(plan.pk)
    return key_pks
