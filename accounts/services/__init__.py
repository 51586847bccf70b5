"""Writes of the customer core, one module per domain, re-exported here.

- `alerts`: risk alerts (raised from the nightly snapshots, closed with a note) and manual risk
  bands (set, ended, expired).
- `strategy`: purchase criteria, account plans, product needs and incentives.
- `intel`: competitor intelligence at a customer (recorded and corrected, never deleted).
- `account_data`: a customer's relationship level (dated), peak months, backup owner and team,
  churn and win-back (by its owner or an admin); `recovered_count` for the dashboard.
- `handover`: a leaving salesperson's book handed to successors, now or by the nightly job.
- `history`: customer history rows that take effect from a past day.
- `signals`: a handover applied and a churn recorded, announced for the apps above (plays).

Every function is keyword-only and transactional and refuses bad input with a translated
``ValidationError``; views, tasks and commands stay thin. The nightly job that strings tiering,
scoring and alerts together is `accounts.nightly`.
"""

from .account_data import (
    account_people_set,
    churn_record,
    churn_recover,
    lost_revenue_default,
    peak_months_set,
    recovered_count,
    relationship_level_change,
)
from .alerts import (
    BAND_ORDER,
    SCORE_JUMP_POINTS,
    AlertCandidate,
    alert_close,
    alerts_close,
    alerts_raise,
    override_end,
    override_set,
    overrides_expire,
    risk_alert_candidates,
)
from .handover import book_of, handover_applied, handover_apply, handover_create, handovers_due
from .intel import competitor_intel_add, competitor_intel_update
from .strategy import (
    account_plan_in_force,
    account_plan_save,
    criterion_assess,
    incentive_add,
    incentive_end,
    incentive_update,
    product_need_add,
    product_need_set_status,
)

__all__ = [
    "BAND_ORDER",
    "SCORE_JUMP_POINTS",
    "AlertCandidate",
    "account_people_set",
    "account_plan_in_force",
    "account_plan_save",
    "alert_close",
    "book_of",
    "churn_record",
    "churn_recover",
    "handover_applied",
    "handover_apply",
    "handover_create",
    "handovers_due",
    "lost_revenue_default",
    "peak_months_set",
    "recovered_count",
    "relationship_level_change",
    "alerts_close",
    "alerts_raise",
    "competitor_intel_add",
    "competitor_intel_update",
    "criterion_assess",
    "incentive_add",
    "incentive_end",
    "incentive_update",
    "override_end",
    "override_set",
    "overrides_expire",
    "product_need_add",
    "product_need_set_status",
    "risk_alert_candidates",
]
