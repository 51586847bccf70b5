"""The sentence each reason code stands for, in the reader's language (``reasons.render_reason``).

Each function takes a reason's ``params`` (its evidence: numbers, names, ISO dates) and returns
one plain sentence; ``SENTENCES`` maps the codes to them.
"""

from collections.abc import Callable
from datetime import date

from django.utils import formats
from django.utils.dates import MONTHS
from django.utils.translation import gettext, ngettext

from keyaccounts.money import format_money


def _date(value: str | None) -> str:
    if not value:
        return "—"
    return formats.date_format(date.fromisoformat(value), "DATE_FORMAT")


def _number(value, decimals: int = 0) -> str:
    if value is None:
        return "—"
    return formats.number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def _money(value) -> str:
    return "—" if value is None else format_money(value)


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


def _revenue_down(params: dict) -> str:
    return gettext(
        "Revenue in the last %(days)s days is down %(pct)s%% on the same period a year earlier "
        "(%(now)s against %(then)s)"
    ) % {
        "days": params["window_days"],
        "pct": abs(params["change_pct"]),
        "now": _money(params["revenue_recent"]),
        "then": _money(params["revenue_year_ago"]),
    }


def _order_overdue(params: dict) -> str:
    if "chance_pct" in params:
        return gettext(
            "No order for %(days)s days (last order %(date)s); at its usual rhythm of an order every "
            "%(gap)s days, the chance of an order in the next %(horizon)s days is %(chance)s%%"
        ) % {
            "days": params["days_since_last_order"],
            "date": _date(params["last_order_on"]),
            "gap": _number(params["usual_gap_days"]),
            "horizon": params["horizon_days"],
            "chance": params["chance_pct"],
        }
    # Snapshots of earlier model versions (order recency against the median gap).
    if params.get("assumed_gap"):
        return gettext("No order for %(days)s days (last order %(date)s)") % {
            "days": params["days_since_last_order"],
            "date": _date(params["last_order_on"]),
        }
    return gettext(
        "No order for %(days)s days; this customer usually orders every %(gap)s days (last order %(date)s)"
    ) % {
        "days": params["days_since_last_order"],
        "gap": _number(params["usual_gap_days"]),
        "date": _date(params["last_order_on"]),
    }


def _small_account(params: dict) -> str:
    return gettext(
        "Revenue over the last 12 months is %(revenue)s against %(typical)s for a typical account; "
        "small accounts leave more often"
    ) % {"revenue": _money(params["revenue_12m"]), "typical": _money(params["typical_revenue_12m"])}


def _departments_uncovered(params: dict) -> str:
    return gettext("Active contacts cover only %(covered)s of %(expected)s key departments; none in %(missing)s") % {
        "covered": params["covered"],
        "expected": params["expected"],
        "missing": _departments(params["missing"]),
    }


def _key_person_left(params: dict) -> str:
    values = {"role": _role(params["role"]), "name": params["name"], "date": _date(params["left_on"])}
    if params.get("replaced"):
        return gettext("%(role)s %(name)s left on %(date)s; a successor is in place") % values
    return gettext("%(role)s %(name)s left on %(date)s and has not been replaced") % values


def _no_recent_interaction(params: dict) -> str:
    if params.get("days") is None:
        return gettext("No interaction with the customer on record")
    return gettext("No interaction with the customer for %(days)s days") % {"days": params["days"]}


def _no_executive_meeting(params: dict) -> str:
    if params.get("days") is None:
        return gettext("No meeting with the customer's executives on record")
    return gettext("No meeting with the customer's executives for %(days)s days") % {"days": params["days"]}


def _cadences_overdue(params: dict) -> str:
    names = _names(f"{c['name']} (+{c['days_overdue']})" for c in params["cadences"])
    return ngettext(
        "%(count)s agreed contact schedule overdue (days late): %(names)s",
        "%(count)s agreed contact schedules overdue (days late): %(names)s",
        params["count"],
    ) % {"count": params["count"], "names": names}


def _single_owner(params: dict) -> str:
    if params["people"] <= 1:
        return gettext("The account depends on one person of ours: no backup owner and no account team")
    return gettext("Only %(people)s of our people work on the account") % {"people": params["people"]}


def _criterion_alarm(params: dict) -> str:
    return gettext("Only %(competitor)s meets '%(criterion)s' (assessed %(date)s)") % {
        "competitor": _competitor(params.get("competitor")),
        "criterion": params["criterion"],
        "date": _date(params["assessed_on"]),
    }


def _criteria_caution(params: dict) -> str:
    return ngettext(
        "A competitor meets %(count)s criterion as well as we do: %(names)s",
        "A competitor meets %(count)s criteria as well as we do: %(names)s",
        params["count"],
    ) % {"count": params["count"], "names": _names(params["criteria"])}


def _criteria_unmet(params: dict) -> str:
    return ngettext(
        "Nobody meets %(count)s of the customer's criteria: %(names)s",
        "Nobody meets %(count)s of the customer's criteria: %(names)s",
        params["count"],
    ) % {"count": params["count"], "names": _names(params["criteria"])}


def _open_complaints(params: dict) -> str:
    text = ngettext("%(count)s open complaint", "%(count)s open complaints", params["count"]) % {
        "count": params["count"]
    }
    if params.get("critical"):
        # The space before the bracket belongs to the language: none before a full-width one.
        text += gettext(" (%(critical)s critical)") % {"critical": params["critical"]}
    return text


def _complaints_past_sla(params: dict) -> str:
    parts = []
    if params.get("response"):
        if params.get("response_target_hours"):
            parts.append(
                ngettext(
                    "%(count)s complaint past its %(hours)sh response target",
                    "%(count)s complaints past their %(hours)sh response target",
                    params["response"],
                )
                % {"count": params["response"], "hours": params["response_target_hours"]}
            )
        else:
            parts.append(
                ngettext(
                    "%(count)s complaint past its response target",
                    "%(count)s complaints past their response target",
                    params["response"],
                )
                % {"count": params["response"]}
            )
    if params.get("resolution"):
        parts.append(
            ngettext(
                "%(count)s complaint past its resolution target",
                "%(count)s complaints past their resolution target",
                params["resolution"],
            )
            % {"count": params["resolution"]}
        )
    return gettext("; ").join(parts)


def _slow_resolution(params: dict) -> str:
    return gettext("Complaints take %(ratio)s× their resolution target (median %(hours)s h against %(target)s h)") % {
        "ratio": _number(params["median_ratio"], 1),
        "hours": _number(params["median_hours"]),
        "target": _number(params["target_hours"]),
    }


def _slow_quality_escalation(params: dict) -> str:
    return gettext("Quality complaints take %(hours)s h (median) to reach production") % {
        "hours": _number(params["median_hours"])
    }


def _low_satisfaction(params: dict) -> str:
    return gettext("Average satisfaction with recent tickets is %(average)s out of 5") % {
        "average": _number(params["average"], 1)
    }


def _low_otif(params: dict) -> str:
    return gettext(
        "On-time-in-full delivery %(pct)s%% over the last %(days)s days (%(misses)s of %(lines)s lines missed)"
    ) % {
        "pct": _number(params["otif_pct"]),
        "days": params["window_days"],
        "misses": params["misses"],
        "lines": params["lines"],
    }


def _peak_season_misses(params: dict) -> str:
    return gettext("%(misses)s of %(lines)s deliveries missed in the customer's peak season (%(months)s)") % {
        "misses": params["misses"],
        "lines": params["lines"],
        "months": _months(params["months"]),
    }


def _price_above_market(params: dict) -> str:
    return gettext("Our price is %(pct)s%% above the market average (%(product)s: %(worst)s%%)") % {
        "pct": _number(params["pct"]),
        "product": params["worst_product"],
        "worst": _number(params["worst_pct"]),
    }


def _competitor_undercut(params: dict) -> str:
    return gettext("%(competitor)s quoted %(pct)s%% below our price for %(product)s (%(date)s)") % {
        "competitor": _competitor(params.get("competitor")),
        "pct": _number(params["pct"]),
        "product": params["product"],
        "date": _date(params["observed_on"]),
    }


def _intel_kind(value: str) -> str:
    from accounts.models import CompetitorIntel

    return str(dict(CompetitorIntel.Kind.choices).get(value, value))


def _with_intel(renderer: Callable[[dict], str]) -> Callable[[dict], str]:
    """The reason's sentence, followed by the recent competitor intelligence it carries as evidence
    (``signals.intel_evidence``); a reason without it reads as before."""

    def render(params: dict) -> str:
        text = renderer(params)
        if not params.get("intel_count"):
            return text
        evidence = ngettext(
            "%(count)s report of competitor activity in the last %(days)s days, the latest about "
            "%(competitor)s: %(kind)s (%(date)s)",
            "%(count)s reports of competitor activity in the last %(days)s days, the latest about "
            "%(competitor)s: %(kind)s (%(date)s)",
            params["intel_count"],
        ) % {
            "count": params["intel_count"],
            "days": params["intel_days"],
            "competitor": _competitor(params.get("intel_competitor")),
            "kind": _intel_kind(params["intel_kind"]),
            "date": _date(params["intel_on"]),
        }
        return gettext("%(reason)s; %(evidence)s") % {"reason": text, "evidence": evidence}

    return render


def _low_relationship_level(params: dict) -> str:
    from accounts.models import RelationshipLevel

    label = dict(RelationshipLevel.choices).get(params["level"], params["level"])
    return gettext("The relationship is at level %(label)s") % {"label": label}


def _account_plan_stale(params: dict) -> str:
    return gettext("The account plan was last reviewed %(days)s days ago (%(date)s)") % {
        "days": params["days"],
        "date": _date(params["reviewed_on"]),
    }


def _open_needs(params: dict) -> str:
    return ngettext(
        "%(count)s product need we do not meet: %(names)s",
        "%(count)s product needs we do not meet: %(names)s",
        params["count"],
    ) % {"count": params["count"], "names": _names(params["needs"])}


def _tripwire_criterion_alarm(params: dict) -> str:
    return gettext("Only %(competitor)s meets '%(criterion)s', of importance %(importance)s/5 (assessed %(date)s)") % {
        "competitor": _competitor(params.get("competitor")),
        "criterion": params["criterion"],
        "importance": params["importance"],
        "date": _date(params["assessed_on"]),
    }


def _tripwire_decision_maker_gone(params: dict) -> str:
    return gettext("Decision maker %(name)s left %(days)s days ago (%(date)s) and nobody has replaced them") % {
        "name": params["name"],
        "days": params["days"],
        "date": _date(params["left_on"]),
    }


def _tripwire_critical_complaint(params: dict) -> str:
    return ngettext(
        "%(count)s critical complaint past its SLA: %(subjects)s",
        "%(count)s critical complaints past their SLA: %(subjects)s",
        params["count"],
    ) % {"count": params["count"], "subjects": _names(params["subjects"])}


def _tripwire_revenue_collapse(params: dict) -> str:
    return gettext("Revenue in the last %(days)s days fell %(pct)s%% on a year earlier (%(now)s against %(then)s)") % {
        "days": params["window_days"],
        "pct": abs(params["change_pct"]),
        "now": _money(params["revenue_recent"]),
        "then": _money(params["revenue_year_ago"]),
    }


SENTENCES: dict[str, Callable[[dict], str]] = {
    "revenue_down": _revenue_down,
    "order_overdue": _order_overdue,
    "small_account": _small_account,
    "departments_uncovered": _departments_uncovered,
    "no_active_contact": lambda params: gettext("No active contact at the customer"),
    "single_contact": lambda params: (
        gettext("The relationship hangs on a single contact, %(name)s") % {"name": params["name"]}
    ),
    "key_person_left": _key_person_left,
    "low_trust": lambda params: (
        gettext("Average trust of active contacts is %(trust)s out of 5")
        % {"trust": _number(params["average_trust"], 1)}
    ),
    "no_recent_interaction": _no_recent_interaction,
    "no_executive_meeting": _no_executive_meeting,
    "cadences_overdue": _cadences_overdue,
    "single_owner": _single_owner,
    "criterion_alarm": _with_intel(_criterion_alarm),
    "criteria_caution": _with_intel(_criteria_caution),
    "criteria_unmet": _with_intel(_criteria_unmet),
    "open_complaints": _open_complaints,
    "complaints_past_sla": _complaints_past_sla,
    "slow_resolution": _slow_resolution,
    "slow_quality_escalation": _slow_quality_escalation,
    "low_satisfaction": _low_satisfaction,
    "low_otif": _low_otif,
    "peak_season_misses": _peak_season_misses,
    "price_above_market": _with_intel(_price_above_market),
    "competitor_undercut": _with_intel(_competitor_undercut),
    "low_relationship_level": _low_relationship_level,
    "account_plan_stale": _account_plan_stale,
    "no_account_plan": lambda params: gettext("No account plan on record"),
    "open_needs": _open_needs,
    "no_incentives": lambda params: gettext("No incentive programme running (rebate, co-promotion, sales contest…)"),
    "tripwire_criterion_alarm": _with_intel(_tripwire_criterion_alarm),
    "tripwire_decision_maker_gone": _tripwire_decision_maker_gone,
    "tripwire_critical_complaint_past_sla": _tripwire_critical_complaint,
    "tripwire_revenue_collapse": _tripwire_revenue_collapse,
}
