"""Who each demo customer is and what story its history tells.

A plan fixes a customer's size (which sets revenue, order rhythm, contacts, tickets…), its people,
and its *story*: for a churned customer the warning signs of its churn reason, shown in the 3-12
months before it left; for an at-risk customer the same signs in the last months; for a false
alarm, signs that came and went. The table generators read the plans and never decide a story.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from accounts.models import ChurnReason

from . import names
from .calendar import DemoCalendar

# Size is a standard normal draw; revenue is lognormal in it. A sigma of 1.7 puts ~80% of revenue
# in the top 20% of customers (the share of the top p is Φ(σ − z₁₋ₚ)).
REVENUE_SIGMA = 1.7
MEDIAN_ANNUAL_REVENUE = 600_000.0
SIZE_LIMIT = 3.2
KEY_CANDIDATE_SIZE = 0.84  # the top 20% of a standard normal

CHURN_SHARE = 0.10
QUIET_CHURN_SHARE = 0.15
NEW_CUSTOMER_SHARE = 0.10
FALSE_ALARM_SHARE = 0.10
AT_RISK_SHARE_KEY = 0.10
AT_RISK_SHARE_OTHER = 0.035

# The warning signs each churn reason leaves in the customer's history.
PRICE = "price"  # our price well above the market, competitor quotes
COMPLAINTS = "complaints"  # complaints past their SLA, low satisfaction
NEEDS = "needs"  # unmet product needs
CRITERIA = "criteria"  # criteria only a competitor meets
CONTACT_LEFT = "contact_left"  # the decision maker left
NO_EXECUTIVE = "no_executive"  # no executive-level interactions, fewer interactions
LATE_DELIVERY = "late_delivery"  # more late or short deliveries
DECLINE = "decline"  # falling orders

SIGNS = {
    ChurnReason.COMPETITOR_PRICE: (PRICE, DECLINE),
    ChurnReason.COMPLAINTS_UNRESOLVED: (COMPLAINTS, DECLINE),
    ChurnReason.NEEDS_NOT_MET: (NEEDS, DECLINE),
    ChurnReason.COMPETITOR_PRODUCT: (CRITERIA, DECLINE),
    ChurnReason.COMPETITOR_SERVICE: (CONTACT_LEFT, NO_EXECUTIVE, LATE_DELIVERY, DECLINE),
    ChurnReason.COMMERCIAL_BRIBERY: (CONTACT_LEFT, NO_EXECUTIVE, DECLINE),
    ChurnReason.DIRECTION_CHANGE: (DECLINE,),
    ChurnReason.MOVED_UPSTREAM: (DECLINE,),
}
CHURN_REASON_WEIGHTS = [
    (ChurnReason.COMPETITOR_PRICE, 24),
    (ChurnReason.COMPETITOR_SERVICE, 15),
    (ChurnReason.COMPLAINTS_UNRESOLVED, 15),
    (ChurnReason.NEEDS_NOT_MET, 12),
    (ChurnReason.COMPETITOR_PRODUCT, 12),
    (ChurnReason.COMMERCIAL_BRIBERY, 5),
    (ChurnReason.DIRECTION_CHANGE, 11),
    (ChurnReason.MOVED_UPSTREAM, 6),
]
CONTROLLABLE_WEIGHTS = [(r, w) for r, w in CHURN_REASON_WEIGHTS if r not in ChurnReason.uncontrollable()]
# Relative order volume per calendar month: the Spring Festival lull and the autumn peak.
SEASON = (None, 1.0, 0.65, 1.05, 1.0, 1.0, 0.95, 0.9, 0.95, 1.15, 1.2, 1.15, 1.0)
PEAK_BOOST = 1.6


@dataclass(slots=True)
class CustomerPlan:
    """One customer's identity, size, people and story; dates are day ordinals."""

    pk: int
    index: int
    code: str
    name: str
    chinese: bool
    email_domain: str
    industry: str
    region: str
    size: float
    annual_revenue: float
    orders_per_year: float
    since: int
    relationship_level: int
    owner: int
    backup_owner: int | None
    team: list[int]
    peak_months: list[int]
    growth: float
    key_candidate: bool
    products: list[int]
    price_factor: float
    lead_days: int
    churned_on: int | None = None
    churn_reason: str = ""
    # The relationship level before the story's warning signs, when the story lowered it.
    earlier_relationship_level: int | None = None
    # The reason whose signs show ("" for none), and when they show.
    story: str = ""
    signs: tuple[str, ...] = ()
    warn_start: int = 0
    warn_end: int = 0
    decline_floor: float = 1.0
    recovers: bool = False
    # The day activity stops (exclusive): the churn date or today.
    end: int = 0
    # Revenue (in fen) in the 12 months before today, filled in by the order generator.
    revenue_12m: int = 0
    tier: str = "regular"
    tier_pinned: bool = False

    def has(self, sign: str) -> bool:
        return sign in self.signs

    def level_on(self, day: int) -> int:
        """The relationship level on a day: the earlier one until the warning signs begin."""
        if self.earlier_relationship_level is not None and day < self.warn_start:
            return self.earlier_relationship_level
        return self.relationship_level

    def in_warning(self, day: int) -> bool:
        return bool(self.signs) and self.warn_start <= day < self.warn_end

    def trend(self, day: int, start: int) -> float:
        """Order volume relative to the customer's normal: slow growth, and the story's decline."""
        level = math.exp(self.growth * (day - start) / 365.0)
        if self.decline_floor < 1.0 and day >= self.warn_start:
            span = max(1, self.warn_end - self.warn_start)
            progress = min(1.0, (day - self.warn_start) / span)
            if self.recovers:
                progress = 0.0 if day >= self.warn_end else 1.0 - abs(2.0 * progress - 1.0)
            level *= 1.0 - (1.0 - self.decline_floor) * progress
        return level


def pick(draw: float, pairs: list[tuple]) -> object:
    """The value of ``(value, weight)`` pairs that a uniform draw in [0, 1) lands on."""
    draw *= sum(weight for _value, weight in pairs)
    for value, weight in pairs:
        draw -= weight
        if draw < 0:
            return value
    return pairs[-1][0]


class NameMaker:
    """Unique company names built from name parts; retries on a clash, numbers as a last resort."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def make(self, *, chinese: bool, region: str, industry: str) -> tuple[str, str]:
        for _ in range(200):
            name, domain = (self._zh if chinese else self._en)(region, industry)
            if name not in self.used:
                self.used.add(name)
                return name, domain
        # Practically unreachable: millions of combinations for at most a few hundred thousand names.
        base, domain = name, domain
        number = 2
        while f"{base} {number}" in self.used:
            number += 1
        self.used.add(f"{base} {number}")
        return f"{base} {number}", domain

    def _zh(self, region: str, industry: str) -> tuple[str, str]:
        rng = self.rng
        city = rng.choice(names.ZH_CITIES[region])
        first, second = rng.sample(names.ZH_BRAND_CHARS, 2)
        trade = rng.choice(names.ZH_TRADES[industry])
        form = rng.choice(names.ZH_LEGAL_FORMS)
        return f"{city}{first[0]}{second[0]}{trade}{form}", f"{first[1]}{second[1]}.com.cn"

    def _en(self, region: str, industry: str) -> tuple[str, str]:
        rng = self.rng
        word = rng.choice(names.EN_WORDS)
        qualifier = rng.choice(names.EN_QUALIFIERS)
        trade = rng.choice(names.EN_TRADES[industry])
        form = rng.choice(names.EN_LEGAL_FORMS.get(region, names.EN_LEGAL_FORMS["china"]))
        parts = [word, qualifier, trade, form] if qualifier else [word, trade, form]
        return " ".join(parts), f"{word.lower()}{trade.split()[0].lower()}.com"


def churn_count(customers: int) -> int:
    """About a tenth churn; with enough customers, at least one per churn reason."""
    reasons = len(ChurnReason.values)
    return max(round(customers * CHURN_SHARE), min(reasons, customers // 5))


def make_plans(
    *,
    rng: random.Random,
    count: int,
    first_pk: int,
    calendar: DemoCalendar,
    managers: list[int],
    product_categories: list[list[int]],
) -> list[CustomerPlan]:
    """Draw every customer's plan, then give some of them a churn, at-risk or false-alarm story."""
    namer = NameMaker(rng)
    regions = list(names.REGION_WEIGHTS)
    industries = list(names.INDUSTRY_WEIGHTS)
    start, today = calendar.start, calendar.end
    plans = []
    for index in range(count):
        pk = first_pk + index
        region = pick(rng.random(), regions)
        industry = pick(rng.random(), industries)
        abroad = region in ("apac", "europe", "americas")
        chinese = not abroad and rng.random() < 0.85
        name, domain = namer.make(chinese=chinese, region=region, industry=industry)
        size = max(-SIZE_LIMIT, min(SIZE_LIMIT, rng.gauss(0.0, 1.0)))
        key_candidate = size >= KEY_CANDIDATE_SIZE
        owner = rng.choice(managers)
        others = [m for m in managers if m != owner]
        backup = rng.choice(others) if others and rng.random() < (0.95 if key_candidate else 0.82) else None
        team_size = rng.choice((1, 2, 2, 3) if key_candidate else (0, 0, 0, 1, 1, 2))
        pool = [m for m in others if m != backup]
        team = rng.sample(pool, min(team_size, len(pool)))
        level_draw = rng.random()
        level = 3 if level_draw < (0.15 if key_candidate else 0.03) else (2 if level_draw < 0.5 else 1)
        peak_months: list[int] = []
        if rng.random() < 0.4:
            first_month = rng.randint(1, 12)
            peak_months = sorted({(first_month + k - 1) % 12 + 1 for k in range(rng.randint(1, 3))})
        if rng.random() < NEW_CUSTOMER_SHARE:
            since = start + rng.randint(0, today - start - 120)
        else:
            since = start - rng.randint(30, calendar.start - calendar.first - 30)
        categories = rng.sample(range(len(product_categories)), rng.randint(1, 3))
        pool_products = [p for c in categories for p in product_categories[c]]
        products = rng.sample(pool_products, min(len(pool_products), rng.randint(2, 6)))
        annual = MEDIAN_ANNUAL_REVENUE * math.exp(REVENUE_SIGMA * size)
        plan = CustomerPlan(
            pk=pk,
            index=index,
            code=f"C{pk:06d}",
            name=name,
            chinese=chinese,
            email_domain=domain,
            industry=industry,
            region=region,
            size=size,
            annual_revenue=annual,
            orders_per_year=max(2.0, min(52.0, 6.0 * math.exp(0.8 * size))),
            since=since,
            relationship_level=level,
            owner=owner,
            backup_owner=backup,
            team=team,
            peak_months=peak_months,
            growth=rng.gauss(0.03, 0.06),
            key_candidate=key_candidate,
            products=products,
            price_factor=max(0.8, min(1.15, 1.0 - 0.02 * size + rng.gauss(0.0, 0.03))),
            lead_days=rng.randint(7, 21),
        )
        plans.append(plan)
    _assign_churn(rng, plans, calendar)
    _assign_current_risk(rng, plans, calendar)
    _assign_false_alarms(rng, plans, calendar)
    for plan in plans:
        plan.end = plan.churned_on if plan.churned_on is not None else today
        # An admin pinned some strategic partners as key accounts whatever their revenue.
        plan.tier_pinned = plan.relationship_level == 3 and plan.churned_on is None and rng.random() < 0.3
    return plans


def _assign_churn(rng: random.Random, plans: list[CustomerPlan], calendar: DemoCalendar) -> None:
    start, today = calendar.start, calendar.end
    chosen = rng.sample(plans, churn_count(len(plans)))
    reasons = list(ChurnReason.values)
    for number, plan in enumerate(chosen):
        reason = reasons[number] if number < len(reasons) else pick(rng.random(), CHURN_REASON_WEIGHTS)
        churned_on = rng.randint(start + 300, today - 10)
        lead = rng.randint(90, 365)
        plan.churned_on = churned_on
        plan.churn_reason = reason
        # The warning window needs history before it: such customers were won well before.
        plan.since = min(plan.since, churned_on - lead - 400 - rng.randint(0, 2000))
        quiet = number >= len(reasons) and rng.random() < QUIET_CHURN_SHARE
        if quiet:
            # Churned with hardly a sign: orders simply stop.
            continue
        _give_story(plan, reason, warn_start=max(start + 30, churned_on - lead), warn_end=churned_on)
        deep = reason in ChurnReason.uncontrollable()
        plan.decline_floor = rng.uniform(0.15, 0.35) if deep else rng.uniform(0.25, 0.6)
        # The relationship slips when the warning signs begin (the history records the change then).
        level = 1 if reason == ChurnReason.COMPETITOR_PRICE else min(plan.relationship_level, 2)
        if level != plan.relationship_level:
            plan.earlier_relationship_level = plan.relationship_level
            plan.relationship_level = level


def _assign_current_risk(rng: random.Random, plans: list[CustomerPlan], calendar: DemoCalendar) -> None:
    """Active customers showing the signs right now, so today's risk dashboards have red accounts."""
    today = calendar.end
    for plan in plans:
        if plan.churned_on is not None or plan.since > today - 500:
            continue
        if rng.random() >= (AT_RISK_SHARE_KEY if plan.key_candidate else AT_RISK_SHARE_OTHER):
            continue
        reason = pick(rng.random(), CONTROLLABLE_WEIGHTS)
        _give_story(plan, reason, warn_start=today - rng.randint(90, 240), warn_end=today)
        plan.decline_floor = rng.uniform(0.3, 0.6)


def _assign_false_alarms(rng: random.Random, plans: list[CustomerPlan], calendar: DemoCalendar) -> None:
    """Signs that came and went: the customer stayed, and its orders recovered."""
    start, today = calendar.start, calendar.end
    for plan in plans:
        if plan.story or plan.churned_on is not None or rng.random() >= FALSE_ALARM_SHARE:
            continue
        warn_end = rng.randint(start + 240, today - 120)
        warn_start = warn_end - rng.randint(90, 240)
        if warn_start <= max(start, plan.since) + 60:
            continue
        _give_story(plan, pick(rng.random(), CONTROLLABLE_WEIGHTS), warn_start=warn_start, warn_end=warn_end)
        plan.decline_floor = rng.uniform(0.6, 0.8)
        plan.recovers = True


def _give_story(plan: CustomerPlan, reason: str, *, warn_start: int, warn_end: int) -> None:
    plan.story = reason
    plan.signs = SIGNS[reason]
    plan.warn_start = warn_start
    plan.warn_end = warn_end
