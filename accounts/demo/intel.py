"""Competitor intelligence in the demo book: what account managers heard about rivals at the
customers with a story a competitor could profit from (at risk, churned or a false alarm; not the
customer's own change of direction), dated in the story's warning months, and now and then at
other key accounts. Chinese text for Chinese companies."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils.translation import gettext

from accounts.models import ChurnReason, CompetitorIntel

from .calendar import DemoCalendar
from .network import ContactRecord
from .plans import CONTACT_LEFT, CRITERIA, NEEDS, NO_EXECUTIVE, PRICE, CustomerPlan, pick
from .sales import Catalogue
from .writer import BulkOutput, Progress

Kind = CompetitorIntel.Kind

# (Chinese, English) notes per kind; no names, so they read right with any competitor.
NOTES = {
    Kind.PRICE_MOVE: [
        (
            "对方报价比我们低约百分之十，并承诺全年锁价。",
            "They quoted about 10% below us and offered a price lock for the year.",
        ),
        ("采购经理提到对方愿意给三个月账期。", "The purchasing manager mentioned they offer 90-day payment terms."),
        ("对方在年度招标中报了明显低于市场的价格。", "They bid well below market in the annual tender."),
    ],
    Kind.NEW_PRODUCT: [
        (
            "对方推出了新一代密封件，正在客户产线试用。",
            "They launched a new seal generation, now on trial on the customer's line.",
        ),
        (
            "技术部说对方的新产品已通过客户的认证。",
            "Engineering says their new product has passed the customer's qualification.",
        ),
    ],
    Kind.CONTACT_APPROACH: [
        ("对方销售总监约我们的采购联系人吃饭。", "Their sales director invited our purchasing contact to dinner."),
        (
            "对方邀请客户技术团队参观其新工厂。",
            "They invited the customer's engineering team to visit their new plant.",
        ),
    ],
    Kind.QUALITY_CLAIM: [
        ("对方向客户宣称我们的批次不良率偏高。", "They told the customer our batch defect rate is high."),
        (
            "对方提供了第三方检测报告，称其寿命更长。",
            "They showed a third-party test report claiming a longer service life.",
        ),
    ],
    Kind.KICKBACK: [
        ("有传言称对方给采购人员回扣，未经证实。", "Rumour that they pay kickbacks to the buyers; not confirmed."),
    ],
    Kind.OTHER: [
        ("对方在本地新设了仓库，交期缩短到三天。", "They opened a local warehouse; lead time down to three days."),
    ],
}
# Which kinds a story's signs make likely.
STORY_KINDS = {
    PRICE: [(Kind.PRICE_MOVE, 70), (Kind.QUALITY_CLAIM, 15), (Kind.OTHER, 15)],
    CRITERIA: [(Kind.NEW_PRODUCT, 55), (Kind.QUALITY_CLAIM, 30), (Kind.OTHER, 15)],
    NEEDS: [(Kind.NEW_PRODUCT, 70), (Kind.OTHER, 30)],
    CONTACT_LEFT: [(Kind.CONTACT_APPROACH, 80), (Kind.OTHER, 20)],
    NO_EXECUTIVE: [(Kind.CONTACT_APPROACH, 70), (Kind.OTHER, 30)],
}
EVERYDAY_KINDS = [(Kind.PRICE_MOVE, 40), (Kind.NEW_PRODUCT, 25), (Kind.CONTACT_APPROACH, 15), (Kind.OTHER, 20)]
CONFIDENCE = [("low", 30), ("medium", 45), ("high", 25)]


def write_competitor_intel(
    *,
    rng: random.Random,
    output: BulkOutput,
    plans: list[CustomerPlan],
    network: list[list[ContactRecord]],
    catalogue: Catalogue,
    calendar: DemoCalendar,
    progress: Progress,
    first_pk: int,
) -> None:
    sink = output.sink(
        CompetitorIntel,
        ["id", "customer_id", "competitor_id", "noted_on", "kind", "contact_id", "confidence", "note",
         "recorded_by_id", "created_at"],
    )  # fmt: skip
    pk = first_pk
    competitors = catalogue.competitor_pks
    today = calendar.end
    for plan, contacts in progress(zip(plans, network, strict=True), gettext("competitor intelligence"), len(plans)):
        if plan.signs and plan.story not in ChurnReason.uncontrollable():
            # The story's rival: most of what is heard is about one competitor, of the kinds the
            # story's signs make likely (complaints or late deliveries: anything a rival tries).
            pools = [STORY_KINDS[sign] for sign in plan.signs if sign in STORY_KINDS] or [EVERYDAY_KINDS]
            rival = rng.choice(competitors)
            begin, end = plan.warn_start, min(plan.warn_end, plan.end, today)
            entries = [(begin + int(rng.random() * max(1, end - begin)), rng.choice(pools), rival)
                       for _ in range(rng.randint(2, 4))]  # fmt: skip
            if plan.story == ChurnReason.COMMERCIAL_BRIBERY:
                entries.append((begin + int(rng.random() * max(1, end - begin)), [(Kind.KICKBACK, 1)], rival))
        elif plan.key_candidate and plan.churned_on is None and rng.random() < 0.3:
            # Everyday market noise at a key account.
            entries = [(today - rng.randint(1, 365), EVERYDAY_KINDS, rng.choice(competitors))
                       for _ in range(rng.randint(1, 2))]  # fmt: skip
        else:
            continue
        lang = 0 if plan.chinese else 1
        for noted, kinds, competitor in entries:
            noted = max(noted, plan.since)
            if noted >= min(plan.end, today):
                continue
            kind = pick(rng.random(), kinds)
            around = [c.pk for c in contacts if c.joined <= noted and (c.left is None or c.left > noted)]
            contact = rng.choice(around) if around and rng.random() < 0.6 else None
            note = rng.choice(NOTES[kind])[lang]
            created = calendar.midnight(noted) + timedelta(hours=rng.randint(9, 18))
            sink.add(
                (pk, plan.pk, competitor if rng.random() < 0.8 else rng.choice(competitors), calendar.day(noted), kind,
                 contact, pick(rng.random(), CONFIDENCE), note, plan.owner, created)
            )  # fmt: skip
            pk += 1
        sink.maybe_flush()
