"""The sentence each reason code stands for, in the reader's language (``reasons.render_reason``).

Each function takes a reason's ``params`` (its evidence: numbers, names, ISO dates) and returns
one plain sentence; ``SENTENCES`` maps the codes to them.
"""

from collections.abc import Callable
from datetime import date

from django.utils import formats
from django.utils.dates import MONTHS
from django.utils.translation import gettext, ngettext


def _date(value: str | None) -> str:
    if not value:
        return "—"
    return formats.date_format(date.fromisoformat(value), "DATE_FORMAT")


def _number(value, decimals: int = 0) -> str:
    if value is None:
        return "—"
    return formats.number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def _names(values) -> str:
    return gettext(", ").join(str(v) for v in values or [])


def _months(values) -> str:
    return _names(MONTHS.get(int(m), m) for m in values or [])


def _departments(values) -> str:
    from relationships.models import Department

    labels = dict(Department.choices)
    return _names(labels.get(v, v) for v in values or [])


def _role(value: str) -> str:
    from relationships.models import BuyingRole

    return str(dict(BuyingRole.choices).get(value, value))


def _competitor(name: str | None) -> str:
    return name or gettext("a competitor")


def _revenue_down(p: dict) -> str:
    return gettext(
        "Revenue in the last %(days)s days is down %(pct)s%% on the same period a year earlier "
        "(%(now)s against %(then)s)"
    ) % {
        "days": p["window_days"],
        "pct": abs(p["change_pct"]),
        "now": _number(p["revenue_recent"]),
        "then": _number(p["revenue_year_ago"]),
    }


def _order_overdue(p: dict) -> str:
    if p.get("assumed_gap"):
        return gettext("No order for %(days)s days (last order %(date)s)") % {
            "days": p["days_since_last_order"],
            "date": _date(p["last_order_on"]),
        }
    return gettext(
        "No order for %(days)s days; this customer usually orders every %(gap)s days (last order %(date)s)"
    ) % {
        "days": p["days_since_last_order"],
        "gap": _number(p["usual_gap_days"]),
        "date": _date(p["last_order_on"]),
    }


def _departments_uncovered(p: dict) -> str:
    return gettext("Active contacts cover only %(covered)s of %(expected)s key departments; none in %(missing)s") % {
        "covered": p["covered"],
        "expected": p["expected"],
        "missing": _departments(p["missing"]),
    }


def _key_person_left(p: dict) -> str:
    values = {"role": _role(p["role"]), "name": p["name"], "date": _date(p["left_on"])}
    if p.get("replaced"):
        return gettext("%(role)s %(name)s left on %(date)s; a successor is in place") % values
    return gettext("%(role)s %(name)s left on %(date)s and has not been replaced") % values


def _no_recent_interaction(p: dict) -> str:
    if p.get("days") is None:
        return gettext("No interaction with the customer on record")
    return gettext("No interaction with the customer for %(days)s days") % {"days": p["days"]}


def _no_executive_meeting(p: dict) -> str:
    if p.get("days") is None:
        return gettext("No meeting with the customer's executives on record")
    return gettext("No meeting with the customer's executives for %(days)s days") % {"days": p["days"]}


def _cadences_overdue(p: dict) -> str:
    names = _names(f"{c['name']} (+{c['days_overdue']})" for c in p["cadences"])
    return ngettext(
        "%(count)s agreed contact schedule overdue (days late): %(names)s",
        "%(count)s agreed contact schedules overdue (days late): %(names)s",
        p["count"],
    ) % {"count": p["count"], "names": names}


def _single_owner(p: dict) -> str:
    if p["people"] <= 1:
        return gettext("The account depends on one person of ours: no backup owner and no account team")
    return gettext("Only %(people)s of our people work on the account") % {"people": p["people"]}


def _criterion_alarm(p: dict) -> str:
    return gettext("Only %(competitor)s meets '%(criterion)s' (assessed %(date)s)") % {
        "competitor": _competitor(p.get("competitor")),
        "criterion": p["criterion"],
        "date": _date(p["assessed_on"]),
    }


def _criteria_caution(p: dict) -> str:
    return ngettext(
        "A competitor meets %(count)s criterion as well as we do: %(names)s",
        "A competitor meets %(count)s criteria as well as we do: %(names)s",
        p["count"],
    ) % {"count": p["count"], "names": _names(p["criteria"])}


def _criteria_unmet(p: dict) -> str:
    return ngettext(
        "Nobody meets %(count)s of the customer's criteria: %(names)s",
        "Nobody meets %(count)s of the customer's criteria: %(names)s",
        p["count"],
    ) % {"count": p["count"], "names": _names(p["criteria"])}


def _open_complaints(p: dict) -> str:
    text = ngettext("%(count)s open complaint", "%(count)s open complaints", p["count"]) % {"count": p["count"]}
    if p.get("critical"):
        # The space before the bracket belongs to the language: none before a full-width one.
        text += gettext(" (%(critical)s critical)") % {"critical": p["critical"]}
    return text


def _complaints_past_sla(p: dict) -> str:
    parts = []
    if p.get("response"):
        if p.get("response_target_hours"):
            parts.append(
                ngettext(
                    "%(count)s complaint past its %(hours)sh response target",
                    "%(count)s complaints past their %(hours)sh response target",
                    p["response"],
                )
                % {"count": p["response"], "hours": p["response_target_hours"]}
            )
        else:
            parts.append(
                ngettext(
                    "%(count)s complaint past its response target",
                    "%(count)s complaints past their response target",
                    p["response"],
                )
                % {"count": p["response"]}
            )
    if p.get("resolution"):
        parts.append(
            ngettext(
                "%(count)s complaint past its resolution target",
                "%(count)s complaints past their resolution target",
                p["resolution"],
            )
            % {"count": p["resolution"]}
        )
    return gettext("; ").join(parts)


def _slow_resolution(p: dict) -> str:
    return gettext("Complaints take %(ratio)s× their resolution target (median %(hours)s h against %(target)s h)") % {
        "ratio": _number(p["median_ratio"], 1),
        "hours": _number(p["median_hours"]),
        "target": _number(p["target_hours"]),
    }


def _slow_quality_escalation(p: dict) -> str:
    return gettext("Quality complaints take %(hours)s h (median) to reach production") % {
        "hours": _number(p["median_hours"])
    }


def _low_satisfaction(p: dict) -> str:
    return gettext("Average satisfaction with recent tickets is %(average)s out of 5") % {
        "average": _number(p["average"], 1)
    }


def _low_otif(p: dict) -> str:
    return gettext(
        "On-time-in-full delivery %(pct)s%% over the last %(days)s days (%(misses)s of %(lines)s lines missed)"
    ) % {"pct": _number(p["otif_pct"]), "days": p["window_days"], "misses": p["misses"], "lines": p["lines"]}


def _peak_season_misses(p: dict) -> str:
    return gettext("%(misses)s of %(lines)s deliveries missed in the customer's peak season (%(months)s)") % {
        "misses": p["misses"],
        "lines": p["lines"],
        "months": _months(p["months"]),
    }


def _price_above_market(p: dict) -> str:
    return gettext("Our price is %(pct)s%% above the market average (%(product)s: %(worst)s%%)") % {
        "pct": _number(p["pct"]),
        "product": p["worst_product"],
        "worst": _number(p["worst_pct"]),
    }


def _competitor_undercut(p: dict) -> str:
    return gettext("%(competitor)s quoted %(pct)s%% below our price for %(product)s (%(date)s)") % {
        "competitor": _competitor(p.get("competitor")),
        "pct": _number(p["pct"]),
        "product": p["product"],
        "date": _date(p["observed_on"]),
    }


def _low_relationship_level(p: dict) -> str:
    from accounts.models import RelationshipLevel

    label = dict(RelationshipLevel.choices).get(p["level"], p["level"])
    return gettext("The relationship is at level %(label)s") % {"label": label}


def _account_plan_stale(p: dict) -> str:
    return gettext("The account plan was last reviewed %(days)s days ago (%(date)s)") % {
        "days": p["days"],
        "date": _date(p["reviewed_on"]),
    }


def _open_needs(p: dict) -> str:
    return ngettext(
        "%(count)s product need we do not meet: %(names)s",
        "%(count)s product needs we do not meet: %(names)s",
        p["count"],
    ) % {"count": p["count"], "names": _names(p["needs"])}


def _tripwire_criterion_alarm(p: dict) -> str:
    return gettext("Only %(competitor)s meets '%(criterion)s', of importance %(importance)s/5 (assessed %(date)s)") % {
        "competitor": _competitor(p.get("competitor")),
        "criterion": p["criterion"],
        "importance": p["importance"],
        "date": _date(p["assessed_on"]),
    }


def _tripwire_decision_maker_gone(p: dict) -> str:
    return gettext("Decision maker %(name)s left %(days)s days ago (%(date)s) and nobody has replaced them") % {
        "name": p["name"],
        "days": p["days"],
        "date": _date(p["left_on"]),
    }


def _tripwire_critical_complaint(p: dict) -> str:
    return ngettext(
        "%(count)s critical complaint past its SLA: %(subjects)s",
        "%(count)s critical complaints past their SLA: %(subjects)s",
        p["count"],
    ) % {"count": p["count"], "subjects": _names(p["subjects"])}


def _tripwire_revenue_collapse(p: dict) -> str:
    return gettext("Revenue in the last %(days)s days fell %(pct)s%% on a year earlier (%(now)s against %(then)s)") % {
        "days": p["window_days"],
        "pct": abs(p["change_pct"]),
        "now": _number(p["revenue_recent"]),
        "then": _number(p["revenue_year_ago"]),
    }


SENTENCES: dict[str, Callable[[dict], str]] = {
    "revenue_down": _revenue_down,
    "order_overdue": _order_overdue,
    "departments_uncovered": _departments_uncovered,
    "no_active_contact": lambda p: gettext("No active contact at the customer"),
    "single_contact": lambda p: gettext("The relationship hangs on a single contact, %(name)s") % {"name": p["name"]},
    "key_person_left": _key_person_left,
    "low_trust": lambda p: (
        gettext("Average trust of active contacts is %(trust)s out of 5") % {"trust": _number(p["average_trust"], 1)}
    ),
    "no_recent_interaction": _no_recent_interaction,
    "no_executive_meeting": _no_executive_meeting,
    "cadences_overdue": _cadences_overdue,
    "single_owner": _single_owner,
    "criterion_alarm": _criterion_alarm,
    "criteria_caution": _criteria_caution,
    "criteria_unmet": _criteria_unmet,
    "open_complaints": _open_complaints,
    "complaints_past_sla": _complaints_past_sla,
    "slow_resolution": _slow_resolution,
    "slow_quality_escalation": _slow_quality_escalation,
    "low_satisfaction": _low_satisfaction,
    "low_otif": _low_otif,
    "peak_season_misses": _peak_season_misses,
    "price_above_market": _price_above_market,
    "competitor_undercut": _competitor_undercut,
    "low_relationship_level": _low_relationship_level,
    "account_plan_stale": _account_plan_stale,
    "no_account_plan": lambda p: gettext("No account plan on record"),
    "open_needs": _open_needs,
    "no_incentives": lambda p: gettext("No incentive programme running (rebate, co-promotion, sales contest…)"),
    "tripwire_criterion_alarm": _tripwire_criterion_alarm,
    "tripwire_decision_maker_gone": _tripwire_decision_maker_gone,
    "tripwire_critical_complaint_past_sla": _tripwire_critical_complaint,
    "tripwire_revenue_collapse": _tripwire_revenue_collapse,
}
