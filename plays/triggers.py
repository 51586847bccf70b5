"""What opens a play, and the playbooks a new installation starts with (editable in admin).

A trigger is either an *event* of the night — an alert the nightly job raised (newly red, band
worsened, +15 points, a trip-wire) or a manual band about to expire — or a *condition* of the
night's snapshot: one of the reasons behind an amber or red key account's risk, among its top
three. A condition that stays true would reopen its play the night after it is closed, so a
condition opens again only after a cool-down.
"""

from accounts.models import AlertKind

from .models import Priority, StepRole, Trigger

# Alert kinds of the night that open a play of the same name.
ALERT_TRIGGERS = {
    AlertKind.NEW_RED: Trigger.NEW_RED,
    AlertKind.BAND_WORSENED: Trigger.BAND_WORSENED,
    AlertKind.SCORE_JUMP: Trigger.SCORE_JUMP,
}
# Trip-wires (as a trip-wire alert lists them) and their triggers.
TRIPWIRE_TRIGGERS = {
    "decision_maker_gone": Trigger.DECISION_MAKER_GONE,
    "criterion_alarm": Trigger.CRITERION_ALARM,
    "revenue_collapse": Trigger.REVENUE_COLLAPSE,
    "critical_complaint_past_sla": Trigger.CRITICAL_COMPLAINT,
}
# Reason codes of a snapshot that are a condition trigger.
REASON_TRIGGERS = {
    "single_contact": Trigger.SINGLE_THREADED,
    "no_active_contact": Trigger.SINGLE_THREADED,
    "price_above_market": Trigger.PRICE_GAP,
    "competitor_undercut": Trigger.PRICE_GAP,
    "peak_season_misses": Trigger.PEAK_SEASON_MISSES,
    "open_needs": Trigger.UNMET_NEED,
}
CONDITION_TRIGGERS = frozenset(REASON_TRIGGERS.values())
# Only a reason among the snapshot's first few (they are ranked) raises a play.
TOP_REASONS = 3
# A condition play closed less than this many days ago is not reopened by the same condition.
CONDITION_COOL_DOWN_DAYS = 60
# A manual band expiring within this many days raises a play to decide on it.
OVERRIDE_NOTICE_DAYS = 7
# Triggers opened by people's actions, not by the night.
ACTION_TRIGGERS = frozenset({Trigger.WIN_BACK, Trigger.HANDOVER})

OWN, BAK, EXE, SVC, TEC = StepRole.OWNER, StepRole.BACKUP, StepRole.EXECUTIVE, StepRole.SERVICE_DESK, StepRole.TECHNICAL

# trigger: (name, Chinese name, countermeasure, priority, [(day offset, role, step, Chinese step)])
DEFAULT_PLAYBOOKS = {
    Trigger.NEW_RED: (
        "Rescue a newly red account",
        "挽救新转红的客户",
        7,
        Priority.HIGH,
        [
            (
                2,
                OWN,
                "Call the customer's general manager to hear what has changed",
                "致电客户总经理，了解发生了什么变化",
            ),
            (7, OWN, "Meet the decision makers on site and agree a recovery plan", "上门拜访决策人，当面商定挽回计划"),
            (14, EXE, "Executive sponsor calls the customer's top executive", "我方高管与客户最高管理者通话"),
            (30, OWN, "Review the recovery plan against the risk score", "对照风险分数复盘挽回计划"),
        ],
    ),
    Trigger.BAND_WORSENED: (
        "Find out why the account is slipping",
        "查明客户风险上升的原因",
        7,
        Priority.NORMAL,
        [
            (3, OWN, "Call the main contact about what changed", "致电主要联系人，了解变化"),
            (14, OWN, "Visit the customer and go through the open issues", "拜访客户，逐一过一遍未解决的问题"),
        ],
    ),
    Trigger.SCORE_JUMP: (
        "Answer a sudden rise in risk",
        "应对风险分数骤升",
        7,
        Priority.NORMAL,
        [
            (3, OWN, "Read the reasons behind the rise and call the customer", "查看分数上升的原因并致电客户"),
            (10, BAK, "Check open orders, tickets and deliveries with the team", "与团队核对未完成的订单、工单和交付"),
        ],
    ),
    Trigger.DECISION_MAKER_GONE: (
        "Rebuild the relationship after a decision maker left",
        "决策人离职后重建关系",
        1,
        Priority.HIGH,
        [
            (3, OWN, "Find out who replaces the decision maker who left", "弄清由谁接替离职的决策人"),
            (14, OWN, "Meet the successor and introduce our team", "拜访接任者并介绍我方团队"),
            (30, EXE, "Executive meeting with the successor", "我方高管与接任者会面"),
        ],
    ),
    Trigger.CRITERION_ALARM: (
        "Close the gap on a purchase criterion only a competitor meets",
        "弥补只有竞争对手满足的采购标准差距",
        3,
        Priority.HIGH,
        [
            (5, OWN, "Confirm the criterion and what the competitor offers", "确认该标准及竞争对手的方案"),
            (14, TEC, "Technical visit: show how we meet the criterion", "技术拜访：展示我们如何满足该标准"),
            (30, OWN, "Agree with the customer how the criterion is assessed", "与客户商定该标准的评估方式"),
        ],
    ),
    Trigger.REVENUE_COLLAPSE: (
        "Find and win back the lost volume",
        "找回流失的采购量",
        8,
        Priority.HIGH,
        [
            (3, OWN, "Meet the buyer to find out where the volume went", "约见采购，弄清采购量流向了哪里"),
            (10, OWN, "Propose a plan to win back the volume", "提出找回采购量的方案"),
            (21, EXE, "Executive review of the account", "高管复盘该客户"),
        ],
    ),
    Trigger.CRITICAL_COMPLAINT: (
        "Recover from a critical complaint past its deadline",
        "挽回超时未决的严重投诉",
        5,
        Priority.HIGH,
        [
            (1, SVC, "Escalate the complaint and give the customer a date", "升级该投诉并给客户明确日期"),
            (3, OWN, "Call the customer to apologise and explain the fix", "致电客户致歉并说明解决方案"),
            (14, OWN, "Confirm the customer is satisfied with the fix", "确认客户对解决结果满意"),
        ],
    ),
    Trigger.SINGLE_THREADED: (
        "Widen a single-threaded relationship",
        "拓展单线联系的客户关系",
        2,
        Priority.NORMAL,
        [
            (14, OWN, "Ask the main contact to introduce you to other departments", "请主要联系人引荐其他部门"),
            (30, BAK, "Meet a second decision maker", "拜访第二位决策人"),
        ],
    ),
    Trigger.PRICE_GAP: (
        "Answer a price gap",
        "应对价格差距",
        10,
        Priority.NORMAL,
        [
            (7, OWN, "Collect the competitor's offer and our price history", "收集竞争对手报价和我方历史价格"),
            (14, EXE, "Decide on a price answer or a value argument", "决定降价应对还是价值说服"),
            (21, OWN, "Present the answer to the buyer", "向采购说明我方答复"),
        ],
    ),
    Trigger.PEAK_SEASON_MISSES: (
        "Secure supply for the peak season",
        "保障旺季供货",
        6,
        Priority.NORMAL,
        [
            (7, OWN, "Go through the late deliveries with logistics", "与物流一起分析延迟交付"),
            (21, OWN, "Agree a peak-season stock plan with the customer", "与客户商定旺季备货计划"),
        ],
    ),
    Trigger.UNMET_NEED: (
        "Meet a product need we do not supply",
        "满足我们尚未供应的产品需求",
        8,
        Priority.LOW,
        [
            (14, OWN, "Confirm the need and its volume with the customer", "与客户确认需求及数量"),
            (30, TEC, "Review with product management how to meet it", "与产品管理部门研究如何满足"),
        ],
    ),
    Trigger.OVERRIDE_EXPIRING: (
        "Decide on a manual band about to expire",
        "处理即将到期的人工风险等级",
        7,
        Priority.LOW,
        [
            (
                3,
                OWN,
                "Check whether the manual band still holds; renew it or let it expire",
                "确认人工等级是否仍然成立，续期或任其到期",
            )
        ],
    ),
    Trigger.WIN_BACK: (
        "Win back a lost customer",
        "赢回流失客户",
        7,
        Priority.HIGH,
        [
            (7, OWN, "Meet the customer to hear why they left", "拜访客户，听取流失原因"),
            (21, EXE, "Executive visit with an offer that answers the reason", "高管拜访，提出针对流失原因的方案"),
            (60, OWN, "Review: regained or closed", "复盘：已赢回或结案"),
        ],
    ),
    Trigger.HANDOVER: (
        "Hand the account over to its new owner",
        "将客户移交给新的负责人",
        1,
        Priority.HIGH,
        [
            (7, OWN, "Introduce the new owner to every active decision maker", "向每位在职决策人介绍新负责人"),
            (7, OWN, "Hand over the open tickets and plays", "移交未结工单和行动"),
            (30, EXE, "Check in with the customer after the handover", "交接后与客户回访"),
        ],
    ),
}


def install_default_playbooks() -> int:
    """Create the default playbook of every trigger that has none; returns how many were created."""
    from .models import Playbook, PlaybookStep

    existing = set(Playbook.objects.values_list("trigger", flat=True))
    created = 0
    for trigger, (name, name_zh, countermeasure, priority, steps) in DEFAULT_PLAYBOOKS.items():
        if trigger in existing:
            continue
        playbook = Playbook.objects.create(
            trigger=trigger, name=name, name_zh=name_zh, countermeasure=countermeasure, priority=priority
        )
        PlaybookStep.objects.bulk_create(
            PlaybookStep(playbook=playbook, position=n, day_offset=days, role=role, title=title, title_zh=title_zh)
            for n, (days, role, title, title_zh) in enumerate(steps, start=1)
        )
        created += 1
    return created
