"""Reasons: why an account is at risk, what countermeasure it calls for and what to do next
(docs/risk-method.md, "Reasons").

A snapshot stores each reason as a stable message id (``code``) and its evidence (``params``:
numbers, names and ISO dates), never as text, so it stays language-neutral; ``render_reason`` and
``render_action`` turn it into a sentence in the reader's language (the sentences are in
``reason_text``). ``rank_reasons`` orders a snapshot's reasons.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext, gettext_lazy

from .defaults import FACTORS
from .reason_text import SENTENCES

if TYPE_CHECKING:
    from .bands import Tripwire
    from .factors import FactorResult

FACTOR_LABELS = {
    "purchase_trend": gettext_lazy("Purchase trend"),
    "relationship": gettext_lazy("Relationship network"),
    "criteria": gettext_lazy("Purchase criteria"),
    "quality": gettext_lazy("Quality & complaints"),
    "supply": gettext_lazy("Supply"),
    "price": gettext_lazy("Price"),
    "strategy": gettext_lazy("Strategy & lock-in"),
}

# The ten countermeasures of docs/domain.md, by number.
COUNTERMEASURES = {
    1: gettext_lazy("A strong relationship network"),
    2: gettext_lazy("Raise the relationship level"),
    3: gettext_lazy("Shape the customer's purchase criteria"),
    4: gettext_lazy("Product quality"),
    5: gettext_lazy("Service level"),
    6: gettext_lazy("Priority supply"),
    7: gettext_lazy("Open communication channels"),
    8: gettext_lazy("Align with the customer's strategy"),
    9: gettext_lazy("Strategic partnership"),
    10: gettext_lazy("Competitive price"),
}

TRIPWIRE_LABELS = {
    "criterion_alarm": gettext_lazy("Only a competitor meets an important criterion"),
    "decision_maker_gone": gettext_lazy("Decision maker left without a replacement"),
    "critical_complaint_past_sla": gettext_lazy("Critical complaint past its SLA"),
    "revenue_collapse": gettext_lazy("Revenue down by more than half year on year"),
}

ACTIONS = {
    "review_volume": gettext_lazy("Meet the buyer to find out where the volume went"),
    "ask_about_orders": gettext_lazy("Call the buyer about upcoming orders"),
    "grow_share_of_wallet": gettext_lazy("Find out what else the customer buys, and from whom"),
    "meet_missing_departments": gettext_lazy("Get introduced to the departments not yet covered"),
    "add_contacts": gettext_lazy("Build contacts beyond the current one"),
    "meet_successor": gettext_lazy("Identify and meet the successor"),
    "build_trust": gettext_lazy("Plan trust-building meetings with the key contacts"),
    "schedule_visit": gettext_lazy("Schedule a visit"),
    "schedule_executive_meeting": gettext_lazy("Schedule an executive meeting"),
    "catch_up_cadence": gettext_lazy("Catch up on the overdue meetings"),
    "assign_backup": gettext_lazy("Name a backup owner and an account team"),
    "close_criterion_gap": gettext_lazy("Close the gap on this criterion or reshape it with the customer"),
    "differentiate": gettext_lazy("Show the customer where we do better on these criteria"),
    "meet_criteria_first": gettext_lazy("Be the first to meet these criteria"),
    "work_open_complaints": gettext_lazy("Resolve the open complaints with the service desk"),
    "escalate_overdue_complaints": gettext_lazy("Escalate the overdue complaints"),
    "speed_up_resolution": gettext_lazy("Review the complaint process with the service desk"),
    "route_quality_to_production": gettext_lazy("Send quality complaints to production at once"),
    "follow_up_satisfaction": gettext_lazy("Call the customer about the tickets they rated low"),
    "prioritise_supply": gettext_lazy("Give this customer's orders supply priority"),
    "plan_peak_season": gettext_lazy("Plan peak-season stock from the customer's sales and stock"),
    "review_pricing": gettext_lazy("Review our pricing for this customer"),
    "answer_competitor_quote": gettext_lazy("Prepare an answer to the competitor's quote"),
    "propose_partnership": gettext_lazy("Propose a deeper partnership"),
    "review_account_plan": gettext_lazy("Review the account plan with the customer"),
    "plan_product_needs": gettext_lazy("Plan how to supply the needs we do not meet"),
    "offer_incentive": gettext_lazy("Offer an incentive programme"),
}


@dataclass(frozen=True)
class ReasonSpec:
    """What a reason code belongs to: its factor, its countermeasure (1-10) and its next action."""

    factor: str
    countermeasure: int
    action: str


REASONS: dict[str, ReasonSpec] = {
    "revenue_down": ReasonSpec("purchase_trend", 8, "review_volume"),
    "order_overdue": ReasonSpec("purchase_trend", 7, "ask_about_orders"),
    "small_account": ReasonSpec("purchase_trend", 8, "grow_share_of_wallet"),
    "departments_uncovered": ReasonSpec("relationship", 2, "meet_missing_departments"),
    "no_active_contact": ReasonSpec("relationship", 2, "add_contacts"),
    "single_contact": ReasonSpec("relationship", 2, "add_contacts"),
    "key_person_left": ReasonSpec("relationship", 1, "meet_successor"),
    "low_trust": ReasonSpec("relationship", 1, "build_trust"),
    "no_recent_interaction": ReasonSpec("relationship", 7, "schedule_visit"),
    "no_executive_meeting": ReasonSpec("relationship", 7, "schedule_executive_meeting"),
    "cadences_overdue": ReasonSpec("relationship", 7, "catch_up_cadence"),
    "single_owner": ReasonSpec("relationship", 2, "assign_backup"),
    "criterion_alarm": ReasonSpec("criteria", 3, "close_criterion_gap"),
    "criteria_caution": ReasonSpec("criteria", 3, "differentiate"),
    "criteria_unmet": ReasonSpec("criteria", 3, "meet_criteria_first"),
    "open_complaints": ReasonSpec("quality", 5, "work_open_complaints"),
    "complaints_past_sla": ReasonSpec("quality", 5, "escalate_overdue_complaints"),
    "slow_resolution": ReasonSpec("quality", 5, "speed_up_resolution"),
    "slow_quality_escalation": ReasonSpec("quality", 4, "route_quality_to_production"),
    "low_satisfaction": ReasonSpec("quality", 5, "follow_up_satisfaction"),
    "low_otif": ReasonSpec("supply", 6, "prioritise_supply"),
    "peak_season_misses": ReasonSpec("supply", 6, "plan_peak_season"),
    "price_above_market": ReasonSpec("price", 10, "review_pricing"),
    "competitor_undercut": ReasonSpec("price", 10, "answer_competitor_quote"),
    "low_relationship_level": ReasonSpec("strategy", 9, "propose_partnership"),
    "account_plan_stale": ReasonSpec("strategy", 8, "review_account_plan"),
    "no_account_plan": ReasonSpec("strategy", 8, "review_account_plan"),
    "open_needs": ReasonSpec("strategy", 8, "plan_product_needs"),
    "no_incentives": ReasonSpec("strategy", 10, "offer_incentive"),
    "tripwire_criterion_alarm": ReasonSpec("criteria", 3, "close_criterion_gap"),
    "tripwire_decision_maker_gone": ReasonSpec("relationship", 1, "meet_successor"),
    "tripwire_critical_complaint_past_sla": ReasonSpec("quality", 5, "escalate_overdue_complaints"),
    "tripwire_revenue_collapse": ReasonSpec("purchase_trend", 8, "review_volume"),
}


def make_reason(code: str, **params) -> dict:
    """A reason as stored on a snapshot; factor, countermeasure and action come from its code."""
    spec = REASONS[code]
    return {
        "factor": spec.factor,
        "code": code,
        "params": params,
        "countermeasure": spec.countermeasure,
        "action": spec.action,
    }


# A trip-wire's reason says the same as one factor reason; show it once, as the trip-wire. The
# factor reason is the same when its code and the value of the named parameter match.
_SUPERSEDED_BY_TRIPWIRE = {
    "tripwire_criterion_alarm": ("criterion_alarm", "criterion"),
    "tripwire_revenue_collapse": ("revenue_down", None),
    "tripwire_decision_maker_gone": ("key_person_left", "name"),
}
_SUPERSEDED_BY_TRIPWIRE_KEYS = {code: key for code, key in _SUPERSEDED_BY_TRIPWIRE.values()}


def rank_reasons(
    results: dict[str, FactorResult], fired: list[Tripwire], weights: Mapping[str, float], min_factor_risk: float
) -> list:
    """Trip-wires first (red before amber), then factor reasons by the points of score they explain.

    A factor explains itself only if it is weighted and its risk is at least ``min_factor_risk``;
    ties keep the order of the factors.
    """
    superseded = set()
    for tripwire in fired:
        code, key = _SUPERSEDED_BY_TRIPWIRE.get(tripwire.reason["code"], (None, None))
        if code:
            superseded.add((code, tripwire.reason["params"].get(key) if key else None))
    ranked = []
    for position, factor in enumerate(FACTORS):
        result = results[factor]
        weight = weights[factor]
        if result.risk is None or weight <= 0 or result.risk < min_factor_risk:
            continue
        for points, reason in result.reasons:
            if superseded:
                key = _SUPERSEDED_BY_TRIPWIRE_KEYS.get(reason["code"])
                if (reason["code"], reason["params"].get(key) if key else None) in superseded:
                    continue
            ranked.append((-weight * points, position, reason))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [t.reason for t in fired] + [reason for _points, _position, reason in ranked]


def render_reason(reason: dict) -> str:
    """The reason as one plain sentence in the active language.

    A code this version does not know (e.g. from a later model) falls back to its factor's name,
    so an old page never breaks on a newer snapshot.
    """
    renderer = SENTENCES.get(reason.get("code", ""))
    if renderer is not None:
        try:
            return renderer(reason.get("params") or {})
        except (KeyError, TypeError, ValueError):
            pass
    label = FACTOR_LABELS.get(reason.get("factor", ""))
    return gettext("Risk from %(factor)s") % {"factor": label or reason.get("factor", "?")}


def render_action(reason: dict) -> str:
    """The suggested next action for the reason, in the active language."""
    action = ACTIONS.get(reason.get("action", ""))
    return str(action) if action is not None else ""


def render_countermeasure(reason: dict) -> str:
    """The countermeasure the reason calls for, numbered as in the design (e.g. "7 · Open …")."""
    number = reason.get("countermeasure")
    label = COUNTERMEASURES.get(number)
    return f"{number} · {label}" if label is not None else ""
