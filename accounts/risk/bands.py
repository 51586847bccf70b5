"""Bands: the band for a score, hysteresis, and the trip-wires that override it (docs/risk-method.md,
"Bands and trip-wires").

A score falls in green, amber or red by the model's thresholds; an account whose factors with data
weigh less than ``bands.min_completeness`` of the total is grey. Hysteresis keeps a band from
flickering: it moves across a threshold only when the score is clearly past it or was past it the
night before too. A trip-wire is evidence strong enough to set the band on its own: it can only
worsen the band, and it overrides grey (known evidence of red or amber beats "insufficient data").
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from operator import attrgetter, itemgetter
from zoneinfo import ZoneInfo

from django.conf import settings

from accounts.models import RiskBand
from complaints.models import Severity, Ticket
from keyaccounts.clock import utc_day_end
from relationships.models import BuyingRole

from .factors.criteria import situation_of
from .factors.mix import iso
from .factors.quality import sla_misses
from .parameters import BandParameters, RiskParameters
from .reasons import make_reason
from .signals import CustomerData, intel_evidence

BAND_ORDER = (RiskBand.GREEN, RiskBand.AMBER, RiskBand.RED)
# Choices compared for every customer, looked up once: reaching an enum member through its class
# costs more than the comparison.
_COMPLAINT = Ticket.Kind.COMPLAINT
_CRITICAL = Severity.CRITICAL
_DECISION_MAKER = BuyingRole.DECISION_MAKER


@dataclass(slots=True)
class Tripwire:
    """A trip-wire that fired: its code, the least severe band it forces, and its reason."""

    code: str
    # The least severe band it forces; None when the model version has it force nothing.
    band: str | None
    reason: dict


def _forced(p, code: str) -> str | None:
    """The band a trip-wire forces in this model version (``tripwires.bands``)."""
    return {"red": RiskBand.RED, "amber": RiskBand.AMBER}.get(p.bands[code])


def band_for_score(score: float, *, amber: float, red: float) -> str:
    """The band a score falls in, before hysteresis and trip-wires."""
    if score >= red:
        return RiskBand.RED
    if score >= amber:
        return RiskBand.AMBER
    return RiskBand.GREEN


def settle_band(
    *,
    score: float,
    previous_band: str | None,
    previous_score: float | None,
    amber: float,
    red: float,
    margin: float,
) -> str:
    """The band after hysteresis: it moves across a threshold only if the score is past it by the
    margin, or the previous score was past it too (second night); otherwise it stays where it was.

    Moves over two thresholds (green to red) are taken one threshold at a time.
    """
    candidate = band_for_score(score, amber=amber, red=red)
    if previous_band not in BAND_ORDER or previous_score is None:
        return candidate
    position, target = BAND_ORDER.index(previous_band), BAND_ORDER.index(candidate)
    thresholds = (amber, red)  # between green|amber and amber|red
    while position != target:
        if target > position:
            threshold = thresholds[position]
            crossed = score - threshold >= margin or previous_score >= threshold
            step = 1
        else:
            threshold = thresholds[position - 1]
            crossed = threshold - score >= margin or previous_score < threshold
            step = -1
        if not crossed:
            break
        position += step
    return BAND_ORDER[position]


def computed_band(
    *,
    score: float | None,
    completeness: float,
    previous: tuple[float | None, str | None],
    fired: list[Tripwire],
    bands: BandParameters,
) -> str:
    """The band the model gives an account (before a manual override).

    Grey when no factor has data or the completeness is below the minimum, otherwise the band
    after hysteresis against ``previous`` (score, computed band); then the worst band a trip-wire
    forces, if that is worse (a trip-wire overrides grey).
    """
    if score is None or completeness < bands.min_completeness:
        computed = RiskBand.GREY
    else:
        previous_score, previous_band = previous
        computed = settle_band(
            score=score,
            previous_band=previous_band,
            previous_score=previous_score,
            amber=bands.amber,
            red=bands.red,
            margin=bands.hysteresis_margin,
        )
    forced = [t.band for t in fired if t.band is not None]
    if forced:
        computed = _worst(forced + ([computed] if computed != RiskBand.GREY else []))
    return computed


def _worst(bands: Iterable[str]) -> str:
    return max(bands, key=BAND_ORDER.index)


# Trip-wires ---------------------------------------------------------------------------------


def _local_date(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def tripwires(d: CustomerData, as_of: date, parameters: RiskParameters) -> list[Tripwire]:
    """The trip-wires that fire for the customer, most severe first. They can only worsen a band."""
    p = parameters.tripwires
    max_items = parameters.reasons.max_items
    fired: list[Tripwire] = []

    min_importance = p.criterion_min_importance
    alarms = [row for row in d.criteria if row.importance >= min_importance and situation_of(row) == "alarm"]
    if alarms:
        top = max(alarms, key=attrgetter("importance"))
        fired.append(
            Tripwire(
                "criterion_alarm",
                _forced(p, "criterion_alarm"),
                make_reason(
                    "tripwire_criterion_alarm",
                    criterion=top.criterion,
                    competitor=top.competitor_name,
                    importance=top.importance,
                    assessed_on=iso(top.assessed_on),
                    **intel_evidence(d),
                ),
            )
        )

    orders = d.orders
    if orders and orders.revenue_year_ago > 0 and orders.orders_year_ago >= p.revenue_min_orders_year_ago:
        recent, year_ago = float(orders.revenue_recent), float(orders.revenue_year_ago)
        if recent < (1 - float(p.revenue_drop_share)) * year_ago:
            fired.append(
                Tripwire(
                    "revenue_collapse",
                    _forced(p, "revenue_collapse"),
                    make_reason(
                        "tripwire_revenue_collapse",
                        window_days=parameters.purchase_trend.window_days,
                        revenue_recent=round(recent),
                        revenue_year_ago=round(year_ago),
                        change_pct=round((recent / year_ago - 1) * 100),
                    ),
                )
            )

    if d.departed_key_people:
        departed = [k for k in d.departed_key_people if k["buying_role"] == _DECISION_MAKER]
        has_decision_maker = bool(d.contacts and d.contacts.active_decision_makers)
        if departed and not has_decision_maker:
            last = max(departed, key=itemgetter("left_on"))
            days = (as_of - last["left_on"]).days
            if days > p.decision_maker_grace_days:
                fired.append(
                    Tripwire(
                        "decision_maker_gone",
                        _forced(p, "decision_maker_gone"),
                        make_reason(
                            "tripwire_decision_maker_gone", name=last["name"], left_on=iso(last["left_on"]), days=days
                        ),
                    )
                )

    if d.tickets:
        day_end = utc_day_end(as_of)
        critical = [
            t for t in d.tickets if t.kind == _COMPLAINT and t.severity == _CRITICAL and any(sla_misses(t, day_end))
        ]
        if critical:
            fired.append(
                Tripwire(
                    "critical_complaint_past_sla",
                    _forced(p, "critical_complaint_past_sla"),
                    make_reason(
                        "tripwire_critical_complaint_past_sla",
                        count=len(critical),
                        subjects=[t.subject for t in critical[:max_items]],
                        oldest_opened_on=_local_date(min(t.opened_at for t in critical)).isoformat(),
                    ),
                )
            )
    if fired:
        fired.sort(key=lambda t: -1 if t.band is None else -BAND_ORDER.index(t.band))
    return fired
