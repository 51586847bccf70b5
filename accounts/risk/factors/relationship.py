"""Relationship network: departments and people covered, key people lost, trust, meetings, our people."""

from datetime import date, timedelta
from operator import itemgetter

from keyaccounts.clock import add_days
from relationships.models import BuyingRole

from ..parameters import RelationshipParameters
from ..reasons import make_reason
from ..signals import ContactSignal, CustomerData
from .mix import MISSING, FactorResult, SignalMix, iso

_DECISION_MAKER = BuyingRole.DECISION_MAKER


def _replaced(person: dict, contacts: ContactSignal | None) -> bool:
    """Whether a key person who left has an active successor in the same buying role."""
    field_name = "active_decision_makers" if person["buying_role"] == _DECISION_MAKER else "active_champions"
    return bool(contacts and getattr(contacts, field_name))


def score(
    d: CustomerData, as_of: date, p: RelationshipParameters, min_signal_risk: float, max_items: int
) -> FactorResult:
    contacts, interactions = d.contacts, d.interactions
    if not contacts and not interactions:
        return MISSING
    mix = SignalMix(p.signal_weights, min_signal_risk)
    active = contacts.active if contacts else 0
    covered = contacts.departments if contacts else []
    expected = p.key_departments
    mix.add(
        "department_coverage",
        len(covered),
        p.department_coverage_grid.risk(len(covered)),
        lambda: make_reason(
            "departments_uncovered",
            covered=len(covered),
            expected=len(expected),
            missing=[dept for dept in expected if dept not in covered],
        ),
    )

    def contact_reason():
        if active == 0:
            return make_reason("no_active_contact")
        if active == 1:
            return make_reason("single_contact", name=contacts.an_active_name)
        return None

    mix.add("contact_count", active, p.contact_count_grid.risk(active), contact_reason)

    departed = d.departed_key_people
    if departed:
        since = as_of - timedelta(days=p.key_person_lookback_days)
        recently_left = [k for k in departed if k["left_on"] > since]
    else:
        recently_left = []
    if recently_left:
        # The person whose leaving hurts most: not replaced first, then the most recent.
        worst = min(recently_left, key=lambda k: (_replaced(k, contacts), -k["left_on"].toordinal()))
        replaced = _replaced(worst, contacts)
        mix.add(
            "key_person_left",
            len(recently_left),
            p.key_person_replaced_risk if replaced else p.key_person_left_risk,
            lambda: make_reason(
                "key_person_left",
                name=worst["name"],
                role=worst["buying_role"],
                left_on=iso(worst["left_on"]),
                replaced=replaced,
            ),
        )
    else:
        mix.add("key_person_left", 0, 0)

    if active and contacts.average_trust is not None:
        trust = float(contacts.average_trust)
        mix.add(
            "trust",
            round(trust, 2),
            p.trust_grid.risk(trust),
            lambda: make_reason("low_trust", average_trust=round(trust, 1)),
        )
    else:
        mix.add("trust", None, None)

    for name, key, grid, code in (
        ("last_interaction", "last_on", p.last_interaction_grid, "no_recent_interaction"),
        ("last_executive_interaction", "last_executive_on", p.last_executive_interaction_grid, "no_executive_meeting"),
    ):
        last_on = getattr(interactions, key) if interactions else None
        days = (as_of - last_on).days if last_on else None
        risk = grid.risk(days) if days is not None else 100.0
        mix.add(
            name,
            days,
            risk,
            lambda code=code, days=days, last_on=last_on: make_reason(code, days=days, last_on=iso(last_on)),
        )

    if d.cadences:
        overdue = []
        for cadence in d.cadences:
            starts_on = cadence["starts_on"]
            base = max(cadence["last_on"] or starts_on, starts_on)
            due = add_days(base, cadence["interval_days"])
            if due < as_of:
                overdue.append({"name": cadence["name"], "days_overdue": (as_of - due).days})
        # Most overdue first; a stable sort, so equally overdue cadences keep their order.
        overdue.sort(key=itemgetter("days_overdue"), reverse=True)
        mix.add(
            "overdue_cadences",
            len(overdue),
            p.overdue_cadence_grid.risk(len(overdue)),
            lambda: make_reason("cadences_overdue", count=len(overdue), cadences=overdue[:max_items]),
        )
    else:
        mix.add("overdue_cadences", None, None)

    our_people = d.our_people
    mix.add(
        "our_people",
        our_people,
        p.our_people_grid.risk(our_people),
        lambda: make_reason("single_owner", people=our_people),
    )
    return mix.result()
