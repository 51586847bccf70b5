"""Strategy & lock-in: relationship level, account plan, needs we do not meet, incentives running."""

from datetime import date

from ..parameters import StrategyParameters
from ..reasons import make_reason
from ..signals import CustomerData
from .mix import MISSING, FactorResult, SignalMix, iso


def score(d: CustomerData, as_of: date, p: StrategyParameters, min_signal_risk: float, max_items: int) -> FactorResult:
    # Nothing strategic recorded (no account plan, product need or incentive): the relationship
    # level alone is only the record's default, so the factor has no data rather than a constant.
    if d.plan_reviewed_on is None and not d.has_strategy_records:
        return MISSING
    mix = SignalMix(p.signal_weights, min_signal_risk)
    level = d.relationship_level
    level_risk = p.relationship_level_risk.get(str(level))
    mix.add(
        "relationship_level",
        level,
        None if level_risk is None else float(level_risk),
        lambda: make_reason("low_relationship_level", level=level),
    )
    reviewed_on = d.plan_reviewed_on
    if reviewed_on:
        days = (as_of - reviewed_on).days
        mix.add(
            "account_plan",
            days,
            p.plan_age_grid.risk(days),
            lambda: make_reason("account_plan_stale", days=days, reviewed_on=iso(reviewed_on)),
        )
    else:
        mix.add("account_plan", None, float(p.no_plan_risk), _no_account_plan)
    open_needs = d.open_needs
    needs = len(open_needs)
    mix.add(
        "open_needs",
        needs,
        p.open_needs_grid.risk(needs),
        lambda: make_reason("open_needs", count=needs, needs=[n["description"] for n in open_needs[:max_items]]),
    )
    incentives = d.active_incentives
    mix.add(
        "incentives",
        incentives,
        p.incentive_count_grid.risk(incentives),
        _no_incentives if incentives == 0 else None,
    )
    return mix.result()


def _no_account_plan() -> dict:
    return make_reason("no_account_plan")


def _no_incentives() -> dict:
    return make_reason("no_incentives")
