"""Plays on the demo book: the follow-up work a sales team has in hand and behind it.

For about one in two of the customers with a story (warning signs) or in the key tier: a play
from the playbook that answers the signs, or one opened by hand; done or cancelled with an outcome
in the company's language (Chinese for a Chinese company), or open — some overdue, with their steps
partly done. Each done play gets the customer's risk when it opened and about 25 and 85 days after
it closed (when those days are past), so the dashboard's "Which countermeasures work" has figures.
Written with the ORM in bulk after the rest of the book (history rows included): a few statements
per thousand plays.
"""

from __future__ import annotations

import random

from simple_history.utils import bulk_create_with_history

from accounts.models import RiskBand, RiskSnapshot
from accounts.risk.engine import active_model_version
from accounts.risk.storage import ensure_snapshot_partitions
from accounts.standing import refresh_after_snapshot
from plays.models import Play, Playbook, PlayStep, StepRole, Trigger
from plays.triggers import install_default_playbooks

from .calendar import DemoCalendar
from .plans import CustomerPlan

BATCH = 2000
# The playbook that answers a story's signs (the story is the churn reason it leads to).
STORY_TRIGGERS = {
    "competitor_price": Trigger.PRICE_GAP,
    "competitor_product": Trigger.CRITERION_ALARM,
    "competitor_service": Trigger.CRITICAL_COMPLAINT,
    "complaints_unresolved": Trigger.CRITICAL_COMPLAINT,
    "needs_not_met": Trigger.UNMET_NEED,
    "commercial_bribery": Trigger.SINGLE_THREADED,
}
OTHER_TRIGGERS = [Trigger.BAND_WORSENED, Trigger.SCORE_JUMP, Trigger.SINGLE_THREADED, Trigger.PEAK_SEASON_MISSES]
# How often a done play of the playbook leaves the account a band better a month on.
WORKS = {
    Trigger.CRITICAL_COMPLAINT: 0.7,
    Trigger.SINGLE_THREADED: 0.6,
    Trigger.PRICE_GAP: 0.45,
    Trigger.CRITERION_ALARM: 0.4,
    Trigger.UNMET_NEED: 0.3,
}
# (Chinese, English): outcomes of done and cancelled plays.
DONE_OUTCOMES = [
    (
        "已拜访采购总监，对方同意下季度恢复原订单量。",
        "Met the purchasing director; they agreed to restore the usual volume next quarter.",
    ),
    (
        "技术团队现场演示后，客户确认我方方案满足标准。",
        "After the technical visit the customer confirmed our solution meets the criterion.",
    ),
    ("投诉已关闭，客户书面确认满意。", "Complaint closed; the customer confirmed in writing that they are satisfied."),
    (
        "与客户商定旺季备货计划，已安排安全库存。",
        "Agreed a peak-season stock plan with the customer; safety stock is in place.",
    ),
    (
        "引荐了生产部和质量部的两位负责人，关系已拓展。",
        "Introduced to the heads of production and quality; the relationship is wider now.",
    ),
    ("给出年度返利方案，价格差距缩小到3%以内。", "Offered a yearly rebate; the price gap is down to under 3%."),
]
CANCELLED_OUTCOMES = [
    ("客户已选定其他供应商，本次行动取消。", "The customer chose another supplier; play cancelled."),
    ("问题已在其他行动中解决，无需重复跟进。", "Solved in another play; no need to follow up twice."),
    (
        "客户组织调整，暂缓跟进，三个月后再评估。",
        "The customer is reorganising; on hold, to be reviewed in three months.",
    ),
]
HAND_TITLES = [
    ("邀请客户参观工厂", "Invite the customer to visit our plant"),
    ("准备年度业务回顾", "Prepare the yearly business review"),
    ("与新任采购经理建立联系", "Get to know the new purchasing manager"),
]


def _score(rng: random.Random, band: str) -> float:
    low, high = {RiskBand.GREEN: (5, 22), RiskBand.AMBER: (23, 37), RiskBand.RED: (38, 70)}[band]
    return float(rng.randint(low, high))


BETTER = {RiskBand.RED: RiskBand.AMBER, RiskBand.AMBER: RiskBand.GREEN, RiskBand.GREEN: RiskBand.GREEN}
WORSE = {RiskBand.GREEN: RiskBand.AMBER, RiskBand.AMBER: RiskBand.RED, RiskBand.RED: RiskBand.RED}


def write_plays(*, rng: random.Random, plans: list[CustomerPlan], calendar: DemoCalendar) -> int:
    """Write the demo's plays, their steps and the snapshots that measure them; returns how many plays."""
    install_default_playbooks()
    playbooks = {p.trigger: p for p in Playbook.objects.prefetch_related("steps")}
    version = active_model_version()
    today = calendar.end
    plays: list[Play] = []
    steps_of: list[list[tuple]] = []
    snapshots: dict[tuple[int, int], tuple[str, float]] = {}
    for plan in plans:
        if not (plan.story or plan.tier == "key") or rng.random() >= 0.5:
            continue
        lang = 0 if plan.chinese else 1
        last_day = plan.churned_on or today
        for n in range(rng.choice((1, 1, 2))):
            state = rng.random()
            trigger = STORY_TRIGGERS.get(plan.story) if n == 0 else None
            trigger = trigger or rng.choice(OTHER_TRIGGERS)
            by_hand = rng.random() < 0.2
            playbook = playbooks.get(trigger)
            if playbook is None:
                continue
            # Closed (done 42%, cancelled 8%) or open (overdue or not); a churned customer's are closed.
            closed = state < 0.5 or plan.churned_on is not None
            if n == 1 and not closed:
                closed = True  # one open play per customer and trigger: the second one is behind us
            offset = max(s.day_offset for s in playbook.steps.all())
            if closed:
                opened = last_day - rng.randint(max(offset + 10, 60), 360)
                if opened < plan.since:
                    continue
                closed_on = min(opened + offset + rng.randint(-5, 20), last_day - 1)
                closed_on = max(closed_on, opened)
                status = Play.Status.DONE if state < 0.42 or plan.churned_on else Play.Status.CANCELLED
            else:
                overdue = state > 0.8
                opened = today - (offset + rng.randint(3, 40) if overdue else rng.randint(1, max(2, offset - 2)))
                closed_on, status = None, Play.Status.IN_PROGRESS if rng.random() < 0.5 else Play.Status.OPEN
            band_open = RiskBand.RED if rng.random() < 0.45 else RiskBand.AMBER
            score_open = _score(rng, band_open)
            title, title_zh = playbook.name, playbook.name_zh
            if by_hand:
                title_zh, title = rng.choice(HAND_TITLES)
            outcome = ""
            if status == Play.Status.DONE:
                outcome = rng.choice(DONE_OUTCOMES)[lang]
            elif status == Play.Status.CANCELLED:
                outcome = rng.choice(CANCELLED_OUTCOMES)[lang]
            plays.append(
                Play(
                    customer_id=plan.pk,
                    playbook=playbook,
                    trigger=Trigger.MANUAL if by_hand else trigger,
                    title=title,
                    title_zh=title_zh,
                    countermeasure=playbook.countermeasure,
                    priority=playbook.priority,
                    owner_id=plan.owner,
                    status=status,
                    opened_on=calendar.day(opened),
                    due_on=calendar.day(opened + offset),
                    closed_on=calendar.day(closed_on) if closed_on is not None else None,
                    outcome=outcome,
                    score_at_open=score_open,
                    band_at_open=band_open,
                    opened_by_id=plan.owner if by_hand else None,
                    closed_by_id=plan.owner if closed_on is not None else None,
                )
            )
            # Steps: all done for a done play, some for the others.
            steps = []
            for s in playbook.steps.all():
                due = opened + s.day_offset
                if status == Play.Status.DONE:
                    done = min(due, closed_on)
                elif status == Play.Status.CANCELLED:
                    done = due if due < closed_on and rng.random() < 0.5 else None
                else:
                    done = max(opened, due - rng.randint(0, 2)) if due < today and rng.random() < 0.5 else None
                assignee = {StepRole.OWNER: plan.owner, StepRole.BACKUP: plan.backup_owner or plan.owner}.get(s.role)
                steps.append((s, due, done, assignee))
            steps_of.append(steps)
            # The risk when it opened, and a month and three months after a done play closed.
            snapshots.setdefault((plan.pk, opened), (band_open, score_open))
            if status == Play.Status.DONE:
                works = WORKS.get(trigger, 0.35)
                band_30 = BETTER[band_open] if rng.random() < works else band_open
                if rng.random() < 0.15:
                    band_30 = WORSE[band_open]
                band_90 = band_30 if rng.random() < 0.75 else (band_open if band_30 != band_open else BETTER[band_open])
                for after, band in ((25, band_30), (85, band_90)):
                    day = closed_on + after + rng.randint(0, 4)
                    if day < min(today, last_day + 1):
                        snapshots.setdefault((plan.pk, day), (band, _score(rng, band)))
    if not plays:
        return 0
    plays = bulk_create_with_history(plays, Play, batch_size=BATCH)
    step_rows = [
        PlayStep(
            play_id=play.pk,
            position=s.position,
            title=s.title,
            title_zh=s.title_zh,
            role=s.role,
            assignee_id=assignee,
            due_on=calendar.day(due),
            done_on=calendar.day(done) if done is not None else None,
            done_by_id=assignee if done is not None else None,
        )
        for play, steps in zip(plays, steps_of, strict=True)
        for s, due, done, assignee in steps
    ]
    bulk_create_with_history(step_rows, PlayStep, batch_size=BATCH)
    tiers = {p.pk: p.tier for p in plans}
    if snapshots:
        days = [calendar.day(day) for _pk, day in snapshots]
        ensure_snapshot_partitions(min(days), max(days))
    RiskSnapshot.objects.bulk_create(
        [
            RiskSnapshot(
                customer_id=pk,
                as_of=calendar.day(day),
                model_version=version,
                score=score,
                computed_band=band,
                band=band,
                completeness=0.85,
                tier=tiers[pk],
            )
            for (pk, day), (band, score) in snapshots.items()
        ],
        batch_size=BATCH,
    )
    if snapshots:
        refresh_after_snapshot(as_of=max(days))
    return len(plays)
