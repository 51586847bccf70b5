"""What we know of each customer's business: purchase criteria, prices against the market,
account plans, product needs and incentives."""

from __future__ import annotations

import random

from django.utils.translation import gettext

from accounts.models import AccountPlan, Incentive, PriceBenchmark, ProductNeed, PurchaseCriterion

from . import names
from .calendar import DemoCalendar
from .plans import CRITERIA, NEEDS, PRICE, CustomerPlan, pick
from .sales import Catalogue
from .writer import BulkOutput, Progress

IMPORTANCE = [(1, 10), (2, 20), (3, 35), (4, 25), (5, 10)]
INCENTIVE_KINDS = [("rebate", 40), ("discount", 30), ("co_promotion", 18), ("sales_contest", 12)]


def _money(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def write_account_data(
    *,
    rng: random.Random,
    output: BulkOutput,
    plans: list[CustomerPlan],
    catalogue: Catalogue,
    calendar: DemoCalendar,
    progress: Progress,
    first_pks: dict[str, int],
) -> None:
    criteria = output.sink(
        PurchaseCriterion,
        ["id", "customer_id", "criterion", "importance", "we_meet", "competitor_meets", "competitor_id",
         "assessed_on", "notes"],
    )  # fmt: skip
    benchmarks = output.sink(
        PriceBenchmark,
        ["id", "customer_id", "product_id", "observed_on", "our_price", "market_average_price", "competitor_id",
         "competitor_quote"],
    )  # fmt: skip
    account_plans = output.sink(
        AccountPlan, ["id", "customer_id", "customer_strategy", "our_actions", "reviewed_on", "next_review_on"]
    )
    needs = output.sink(
        ProductNeed, ["id", "customer_id", "description", "product_id", "status", "identified_on", "met_on"]
    )
    incentives = output.sink(Incentive, ["id", "customer_id", "kind", "description", "value", "starts_on", "ends_on"])
    ids = dict(first_pks)

    def next_id(table: str) -> int:
        ids[table] += 1
        return ids[table] - 1

    day = calendar.day
    history_start, today = calendar.start, calendar.end
    competitors = catalogue.competitor_pks
    for plan in progress(plans, gettext("criteria, prices, plans, needs, incentives"), len(plans)):
        lang = 0 if plan.chinese else 1
        begin, end = max(plan.since, history_start), plan.end
        span = max(1, end - begin)
        important = plan.key_candidate or plan.relationship_level == 3

        # Purchase criteria: only we meet it = safe, both = caution, only a competitor = alarm.
        assessed_pairs: set[tuple[int, int]] = set()
        if important or plan.has(CRITERIA) or rng.random() < 0.6:
            count = max(1, min(7, round(2.5 + 1.2 * plan.size + rng.gauss(0.0, 1.0))))
            chosen = rng.sample(range(len(names.CRITERIA)), count)
            for position in chosen:
                assessed = begin + int(rng.random() * min(span, 300))
                situation = rng.random()
                we_meet, they_meet = (True, False) if situation < 0.55 else (True, True)
                if situation >= 0.88:
                    we_meet, they_meet = (False, False) if situation < 0.93 else (False, True)
                importance = pick(rng.random(), IMPORTANCE)
                rows = [(assessed, we_meet, they_meet, importance)]
                if rng.random() < 0.4:
                    later = assessed + 120 + int(rng.random() * max(1, end - assessed - 120))
                    if later < end:
                        rows.append((later, we_meet or rng.random() < 0.5, they_meet or rng.random() < 0.2, importance))
                for assessed_on, we, they, weight in rows:
                    assessed_pairs.add((position, assessed_on))
                    competitor = rng.choice(competitors) if they else None
                    criteria.add(
                        (next_id("criterion"), plan.pk, names.CRITERIA[position][lang], weight, we, they, competitor,
                         day(assessed_on), "")
                    )  # fmt: skip
            if plan.has(CRITERIA):
                # A competitor now meets what matters most to the customer, and we do not.
                window = max(1, plan.warn_end - plan.warn_start)
                alarm_pool = [p for p in range(names.COMPETITIVE_CRITERIA_FROM, len(names.CRITERIA))]
                for position in rng.sample(alarm_pool, rng.randint(1, 2)):
                    assessed_on = plan.warn_start + int(rng.random() * window * 0.5)
                    while (position, assessed_on) in assessed_pairs:
                        assessed_on += 1
                    note = names.CHURN_NOTES["competitor_product"][lang]
                    criteria.add(
                        (next_id("criterion"), plan.pk, names.CRITERIA[position][lang], rng.randint(4, 5), False, True,
                         rng.choice(competitors), day(assessed_on), note)
                    )  # fmt: skip

        # Price benchmarks: our price against the market average, sometimes with a competitor's quote.
        if important or plan.has(PRICE) or rng.random() < 0.55:
            watched = plan.products[: rng.randint(1, min(3, len(plan.products)))]
            for product in watched:
                list_price = catalogue.product_prices[product]
                market = list_price * rng.uniform(0.95, 1.1)
                observed = begin + int(rng.random() * 120)
                while observed < end:
                    in_warning = plan.has(PRICE) and plan.in_warning(observed)
                    if in_warning:
                        progress_share = (observed - plan.warn_start) / max(1, plan.warn_end - plan.warn_start)
                        ratio = 1.15 + 0.2 * progress_share + rng.uniform(-0.03, 0.03)
                    else:
                        ratio = max(0.85, min(1.12, rng.gauss(1.0, 0.05)))
                    market_fen = max(1, round(market * rng.uniform(0.97, 1.03)))
                    our_fen = max(1, round(market_fen * ratio))
                    competitor = quote = None
                    if rng.random() < (0.85 if in_warning else 0.2):
                        competitor = rng.choice(competitors)
                        low, high = (0.82, 0.95) if in_warning else (0.88, 1.02)
                        quote = _money(max(1, round(market_fen * rng.uniform(low, high))))
                    benchmarks.add(
                        (next_id("benchmark"), plan.pk, catalogue.product_pks[product], day(observed), _money(our_fen),
                         _money(market_fen), competitor, quote)
                    )  # fmt: skip
                    observed += rng.randint(45, 75) if in_warning else rng.randint(120, 240)

        # Account plans: reviewed recently for most key accounts, stale for some.
        if (important and rng.random() < 0.9) or rng.random() < 0.12:
            stale = plan.churned_on is not None or (bool(plan.signs) and rng.random() < 0.6) or rng.random() < 0.3
            latest = end - (rng.randint(400, 900) if stale else rng.randint(5, 330))
            reviews = [latest - k * rng.randint(150, 400) for k in range(rng.randint(1, 3))]
            for reviewed in sorted(r for r in reviews if r >= plan.since):
                strategy = rng.choice(names.STRATEGIES)[lang]
                actions = rng.choice(names.OUR_ACTIONS)[lang]
                next_review = day(reviewed + rng.randint(90, 365)) if rng.random() < 0.85 else None
                account_plans.add((next_id("account_plan"), plan.pk, strategy, actions, day(reviewed), next_review))

        # Product needs: met, planned or unmet; an unmet need pushes the customer toward a competitor.
        need_count = rng.randint(1, 3) if important else (1 if rng.random() < 0.4 else 0)
        picked = rng.sample(range(len(names.PRODUCT_NEEDS)), need_count + (3 if plan.has(NEEDS) else 0))
        for number, position in enumerate(picked):
            description = names.PRODUCT_NEEDS[position][lang]
            if number >= need_count:
                # The story's needs: identified in the warning months, never met.
                window = max(1, plan.warn_end - plan.warn_start)
                identified = plan.warn_start + int(rng.random() * window * 0.6)
                status = "unmet" if rng.random() < 0.75 else "planned"
                met_on = None
            else:
                identified = begin + int(rng.random() * span)
                draw = rng.random()
                met_on = identified + rng.randint(30, 300) if draw < 0.55 else None
                if met_on is not None and met_on >= today:
                    met_on = None
                status = "met" if met_on is not None else ("planned" if draw < 0.75 else "unmet")
            product = rng.choice(catalogue.product_pks) if status != "unmet" else None
            needs.add(
                (next_id("need"), plan.pk, description, product, status, day(identified),
                 day(met_on) if met_on is not None else None)
            )  # fmt: skip

        # Incentives: rebates, discounts, co-promotion and sales contests, mostly for key accounts.
        if rng.random() < (0.6 if important else 0.12):
            for _incentive in range(rng.randint(1, 3)):
                kind = pick(rng.random(), INCENTIVE_KINDS)
                starts = begin + int(rng.random() * span)
                ends = starts + rng.randint(90, 365)
                value = round(plan.annual_revenue * rng.uniform(0.005, 0.03), -2)
                incentives.add(
                    (next_id("incentive"), plan.pk, kind, names.INCENTIVES[kind][lang], f"{value:.2f}", day(starts),
                     day(ends))
                )  # fmt: skip
        for sink in (criteria, benchmarks, account_plans, needs, incentives):
            sink.maybe_flush()
