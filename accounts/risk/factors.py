"""The seven factors and the trip-wires: pure functions from a customer's raw data to risks.

Each factor turns its signals into risks of 0-100 through the grids of the model's parameters and
combines them as a weighted mean over the signals that have data. A factor none of whose signals
has data returns ``risk=None`` ("missing"): the engine leaves it out of the score and counts it
against data completeness. Each signal at or above ``reasons.min_signal_risk`` proposes a reason,
with the points of factor risk it accounts for so the engine can rank reasons across factors.
"""

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from operator import itemgetter
from statistics import median
from zoneinfo import ZoneInfo

from django.conf import settings

from accounts.models import RiskBand
from complaints.models import Severity, Ticket
from keyaccounts.clock import utc_day_end
from relationships.models import BuyingRole

from .reasons import make_reason
from .signals import CustomerData

# Choices compared for every customer, looked up once: reaching an enum member through its class
# costs more than the comparison.
_COMPLAINT = Ticket.Kind.COMPLAINT
_PRODUCT_QUALITY = Ticket.Category.PRODUCT_QUALITY
_CRITICAL = Severity.CRITICAL
_DECISION_MAKER = BuyingRole.DECISION_MAKER


class _Grid:
    """A grid of ``[value, risk]`` points, sorted by value once and then read any number of times."""

    __slots__ = ("xs", "ys")

    def __init__(self, points: list):
        pts = sorted((float(x), float(y)) for x, y in points)
        self.xs = [x for x, _y in pts]
        self.ys = [y for _x, y in pts]

    def risk(self, value: float) -> float:
        """The risk of a value: linear between points, flat beyond the ends.

        Between the ends, the segment is the first whose ends enclose the value (found by bisection).
        """
        xs, ys = self.xs, self.ys
        if value <= xs[0]:
            return ys[0]
        if value >= xs[-1]:
            return ys[-1]
        # xs[i - 1] < value <= xs[i]: every earlier segment ends below the value.
        i = bisect_left(xs, value)
        x0, y0 = xs[i - 1], ys[i - 1]
        return y0 + (ys[i] - y0) * (value - x0) / (xs[i] - x0)


# Each factor's grids by the identity of its parameters dict, which is kept here so the identity
# stays its own: a nightly run reads every grid 100,000 times, from parameters it does not change.
_FACTOR_GRIDS: dict[int, tuple[dict, dict[str, _Grid]]] = {}


def _grids(p: dict) -> dict[str, _Grid]:
    """A factor's ``*_grid`` parameters by name, as grids ready to read."""
    cached = _FACTOR_GRIDS.get(id(p))
    if cached is not None and cached[0] is p:
        return cached[1]
    if len(_FACTOR_GRIDS) > 1000:
        _FACTOR_GRIDS.clear()
    grids = {key: _Grid(points) for key, points in p.items() if key.endswith("_grid")}
    _FACTOR_GRIDS[id(p)] = (p, grids)
    return grids


@dataclass(slots=True)
class FactorResult:
    """A factor's risk (None when it has no data), its signals and the reasons it proposes.

    ``reasons`` pairs each reason with the points of the factor's risk (0-100) it accounts for.
    """

    risk: float | None
    signals: dict = field(default_factory=dict)
    reasons: list[tuple[float, dict]] = field(default_factory=list)


@dataclass(slots=True)
class Tripwire:
    """A trip-wire that fired: its code, the least severe band it forces, and its reason."""

    code: str
    band: str
    reason: dict


MISSING = FactorResult(risk=None)


class _SignalMix:
    """Collects a factor's signals and turns them into a weighted mean and ranked reasons.

    The weighted mean is summed as the signals are added, in the order they are added; a signal
    without data, or without a weight in ``signal_weights``, is shown but neither scored nor
    explained. A reason is only built (by calling ``reason``) for a scored signal at or above
    ``min_signal_risk``, once the factor's risk is known.
    """

    __slots__ = ("weights", "min_signal_risk", "signals", "_total", "_weighted_sum", "_reasons")

    def __init__(self, weights: dict, min_signal_risk: float):
        self.weights = weights
        self.min_signal_risk = min_signal_risk
        self.signals: dict[str, list] = {}
        self._total = 0
        self._weighted_sum = 0
        # (weight, risk, reason builder) of the signals that may explain the factor.
        self._reasons: list[tuple[float, float, Callable[[], dict | None]]] = []

    def add(self, name: str, value, risk: float | None, reason: Callable[[], dict | None] | None = None) -> None:
        # [value, risk]: a snapshot keeps every signal of every customer, so the form stays compact.
        if risk is None:
            self.signals[name] = [value, None]
            return
        # round() with digits converts to decimal and back; a whole risk (most often a grid's end)
        # is its own rounding.
        self.signals[name] = [value, risk if type(risk) is float and risk.is_integer() else round(risk, 1)]
        weight = self.weights.get(name, 0)
        if weight > 0:
            self._total += weight
            self._weighted_sum += weight * risk
            if reason is not None and risk >= self.min_signal_risk:
                self._reasons.append((weight, risk, reason))

    def result(self) -> FactorResult:
        total = self._total
        if not total:
            return FactorResult(None, self.signals, [])
        reasons = []
        for weight, risk, build in self._reasons:
            reason = build()
            if reason is not None:
                reasons.append((weight * risk / total, reason))
        return FactorResult(self._weighted_sum / total, self.signals, reasons)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _local_date(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


# Purchase trend -----------------------------------------------------------------------------


def purchase_trend(d: CustomerData, as_of: date, p: dict, min_signal_risk: float) -> FactorResult:
    orders = d.orders
    if not orders or not orders["order_count"]:
        return MISSING
    grids = _grids(p)
    mix = _SignalMix(p["signal_weights"], min_signal_risk)
    recent, year_ago = float(orders["revenue_recent"]), float(orders["revenue_year_ago"])
    if year_ago > 0 and orders["orders_year_ago"] >= p["min_orders_year_ago"]:
        ratio = recent / year_ago
        mix.add(
            "revenue_trend",
            round(ratio, 3),
            grids["revenue_ratio_grid"].risk(ratio),
            lambda: make_reason(
                "revenue_down",
                window_days=p["window_days"],
                revenue_recent=round(recent),
                revenue_year_ago=round(year_ago),
                change_pct=round((ratio - 1) * 100),
            ),
        )
    else:
        mix.add("revenue_trend", None, None)

    last_order_on = orders["last_order_on"]
    days_since = (as_of - last_order_on).days
    gap = d.order_gap
    assumed = not gap or gap["gaps"] < p["min_order_gaps"]
    usual_gap = max(float(p["default_order_gap_days"] if assumed else gap["median_days"]), 1.0)
    recency = days_since / usual_gap
    mix.add(
        "order_recency",
        round(recency, 2),
        grids["order_recency_grid"].risk(recency),
        lambda: make_reason(
            "order_overdue",
            days_since_last_order=days_since,
            usual_gap_days=round(usual_gap),
            last_order_on=_iso(last_order_on),
            assumed_gap=assumed,
        ),
    )
    return mix.result()


# Relationship network -----------------------------------------------------------------------


def _replaced(person: dict, contacts: dict | None) -> bool:
    """Whether a key person who left has an active successor in the same buying role."""
    field_name = "active_decision_makers" if person["buying_role"] == _DECISION_MAKER else "active_champions"
    return bool(contacts and contacts[field_name])


def relationship(d: CustomerData, as_of: date, p: dict, min_signal_risk: float, max_items: int) -> FactorResult:
    contacts, interactions = d.contacts, d.interactions
    if not contacts and not interactions:
        return MISSING
    grids = _grids(p)
    mix = _SignalMix(p["signal_weights"], min_signal_risk)
    active = contacts["active"] if contacts else 0
    covered = contacts["departments"] if contacts else []
    expected = p["key_departments"]
    mix.add(
        "department_coverage",
        len(covered),
        grids["department_coverage_grid"].risk(len(covered)),
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
            return make_reason("single_contact", name=contacts["an_active_name"])
        return None

    mix.add("contact_count", active, grids["contact_count_grid"].risk(active), contact_reason)

    departed = d.departed_key_people
    if departed:
        since = as_of - timedelta(days=p["key_person_lookback_days"])
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
            p["key_person_replaced_risk"] if replaced else p["key_person_left_risk"],
            lambda: make_reason(
                "key_person_left",
                name=worst["name"],
                role=worst["buying_role"],
                left_on=_iso(worst["left_on"]),
                replaced=replaced,
            ),
        )
    else:
        mix.add("key_person_left", 0, 0)

    if active and contacts["average_trust"] is not None:
        trust = float(contacts["average_trust"])
        mix.add(
            "trust",
            round(trust, 2),
            grids["trust_grid"].risk(trust),
            lambda: make_reason("low_trust", average_trust=round(trust, 1)),
        )
    else:
        mix.add("trust", None, None)

    for name, key, grid_key, code in (
        ("last_interaction", "last_on", "last_interaction_grid", "no_recent_interaction"),
        ("last_executive_interaction", "last_executive_on", "last_executive_interaction_grid", "no_executive_meeting"),
    ):
        last_on = interactions[key] if interactions else None
        days = (as_of - last_on).days if last_on else None
        risk = grids[grid_key].risk(days) if days is not None else 100.0
        mix.add(
            name,
            days,
            risk,
            lambda code=code, days=days, last_on=last_on: make_reason(code, days=days, last_on=_iso(last_on)),
        )

    if d.cadences:
        overdue = []
        for cadence in d.cadences:
            starts_on = cadence["starts_on"]
            base = max(cadence["last_on"] or starts_on, starts_on)
            due = base + timedelta(days=cadence["interval_days"])
            if due < as_of:
                overdue.append({"name": cadence["name"], "days_overdue": (as_of - due).days})
        # Most overdue first; a stable sort, so equally overdue cadences keep their order.
        overdue.sort(key=itemgetter("days_overdue"), reverse=True)
        mix.add(
            "overdue_cadences",
            len(overdue),
            grids["overdue_cadence_grid"].risk(len(overdue)),
            lambda: make_reason("cadences_overdue", count=len(overdue), cadences=overdue[:max_items]),
        )
    else:
        mix.add("overdue_cadences", None, None)

    our_people = d.our_people
    mix.add(
        "our_people",
        our_people,
        grids["our_people_grid"].risk(our_people),
        lambda: make_reason("single_owner", people=our_people),
    )
    return mix.result()


# Purchase criteria --------------------------------------------------------------------------


def _situation(row: dict) -> str:
    if row["competitor_meets"] and not row["we_meet"]:
        return "alarm"
    if row["competitor_meets"]:
        return "caution"
    return "safe" if row["we_meet"] else "gap"


def criteria(d: CustomerData, as_of: date, p: dict, max_items: int) -> FactorResult:
    rows = d.criteria
    if not rows:
        return MISSING
    situation_risk = p["situation_risk"]
    total_importance = sum([row["importance"] for row in rows]) or 1
    counts = {"safe": 0, "caution": 0, "alarm": 0, "gap": 0}
    points = {"caution": 0.0, "gap": 0.0}
    names: dict[str, list[str]] = {"caution": [], "gap": []}
    reasons = []
    risk = 0.0
    for row in rows:
        situation = _situation(row)
        counts[situation] += 1
        contribution = row["importance"] * float(situation_risk[situation]) / total_importance
        risk += contribution
        if situation == "alarm":
            reason = make_reason(
                "criterion_alarm",
                criterion=row["criterion"],
                competitor=row["competitor__name"],
                importance=row["importance"],
                assessed_on=_iso(row["assessed_on"]),
            )
            reasons.append((contribution, reason))
        elif situation in points:
            points[situation] += contribution
            names[situation].append(row["criterion"])
    for situation, code in (("caution", "criteria_caution"), ("gap", "criteria_unmet")):
        if points[situation] > 0:
            reason = make_reason(code, count=counts[situation], criteria=names[situation][:max_items])
            reasons.append((points[situation], reason))
    signals = {"criteria": [{"assessed": len(rows), **counts}, round(risk, 1)]}
    return FactorResult(risk, signals, [r for r in reasons if r[0] > 0])


# Quality & complaints -----------------------------------------------------------------------


def _is_open(ticket: dict, day_end) -> bool:
    resolved_at = ticket["resolved_at"]
    return resolved_at is None or resolved_at >= day_end


def _sla_misses(ticket: dict, day_end) -> tuple[bool, bool]:
    """Whether an open ticket is past its response target and past its resolution target at day end."""
    if not _is_open(ticket, day_end):
        return False, False
    responded = ticket["first_response_at"] is not None and ticket["first_response_at"] < day_end
    response = ticket["response_due_at"] is not None and ticket["response_due_at"] < day_end and not responded
    resolution = ticket["resolution_due_at"] is not None and ticket["resolution_due_at"] < day_end
    return response, resolution


def quality(d: CustomerData, as_of: date, p: dict, min_signal_risk: float) -> FactorResult:
    day_end = utc_day_end(as_of)
    activity_from = utc_day_end(as_of, p["activity_lookback_days"])
    tickets = d.tickets
    active_tickets = any(_is_open(t, day_end) or t["resolved_at"] >= activity_from for t in tickets)
    ordering = bool(d.orders and d.orders["orders_12m"])
    if not active_tickets and not ordering:
        return MISSING
    grids = _grids(p)
    mix = _SignalMix(p["signal_weights"], min_signal_risk)
    complaints = [t for t in tickets if t["kind"] == _COMPLAINT]

    open_complaints = [t for t in complaints if _is_open(t, day_end)]
    severity_weights = p["severity_weights"]
    weighted = sum([float(severity_weights.get(t["severity"], 1)) for t in open_complaints])
    mix.add(
        "open_complaints",
        weighted,
        grids["open_complaints_grid"].risk(weighted),
        lambda: make_reason(
            "open_complaints",
            count=len(open_complaints),
            critical=sum(1 for t in open_complaints if t["severity"] == _CRITICAL),
        ),
    )

    response_late, resolution_late = [], []
    for ticket in open_complaints:
        response, resolution = _sla_misses(ticket, day_end)
        if response:
            response_late.append(ticket)
        if resolution:
            resolution_late.append(ticket)
    past_sla = len({id(t) for t in response_late + resolution_late})

    def sla_reason():
        targets = {round(_hours(t["response_due_at"] - t["opened_at"])) for t in response_late}
        return make_reason(
            "complaints_past_sla",
            count=past_sla,
            response=len(response_late),
            resolution=len(resolution_late),
            response_target_hours=targets.pop() if len(targets) == 1 else None,
        )

    mix.add("past_sla", past_sla, grids["past_sla_grid"].risk(past_sla), sla_reason)

    lookback_from = utc_day_end(as_of, p["lookback_days"])
    resolved = [
        t
        for t in complaints
        if t["resolved_at"] is not None
        and lookback_from <= t["resolved_at"] < day_end
        and t["resolution_due_at"] is not None
        and t["resolution_due_at"] > t["opened_at"]
    ]
    if resolved:
        ratio = median(
            _hours(t["resolved_at"] - t["opened_at"]) / _hours(t["resolution_due_at"] - t["opened_at"])
            for t in resolved
        )
        mix.add(
            "resolution_time",
            round(ratio, 2),
            grids["resolution_ratio_grid"].risk(ratio),
            lambda: make_reason(
                "slow_resolution",
                median_ratio=round(ratio, 1),
                median_hours=round(median(_hours(t["resolved_at"] - t["opened_at"]) for t in resolved)),
                target_hours=round(median(_hours(t["resolution_due_at"] - t["opened_at"]) for t in resolved)),
                count=len(resolved),
            ),
        )
    else:
        mix.add("resolution_time", None, None)

    delays = []
    for t in complaints:
        if t["category"] != _PRODUCT_QUALITY or t["opened_at"] < lookback_from:
            continue
        if t["escalated_at"] is not None and t["escalated_at"] < day_end:
            delays.append(_hours(t["escalated_at"] - t["opened_at"]))
        elif _is_open(t, day_end):
            # Still not with production at the end of the day: it has waited at least this long.
            delays.append(_hours(day_end - t["opened_at"]))
    if delays:
        hours = median(delays)
        mix.add(
            "quality_escalation",
            round(hours, 1),
            grids["escalation_hours_grid"].risk(hours),
            lambda: make_reason("slow_quality_escalation", median_hours=round(hours), count=len(delays)),
        )
    else:
        mix.add("quality_escalation", None, None)

    satisfaction_from = utc_day_end(as_of, p["satisfaction_lookback_days"])
    ratings = [
        t["satisfaction"]
        for t in tickets
        if t["satisfaction"] is not None
        and t["resolved_at"] is not None
        and satisfaction_from <= t["resolved_at"] < day_end
    ]
    if ratings:
        average = sum(ratings) / len(ratings)
        mix.add(
            "satisfaction",
            round(average, 2),
            grids["satisfaction_grid"].risk(average),
            lambda: make_reason("low_satisfaction", average=round(average, 1), count=len(ratings)),
        )
    else:
        mix.add("satisfaction", None, None)
    return mix.result()


# Supply -------------------------------------------------------------------------------------


def supply(d: CustomerData, as_of: date, p: dict, min_signal_risk: float) -> FactorResult:
    deliveries = d.deliveries
    if not deliveries:
        return MISSING
    grids = _grids(p)
    mix = _SignalMix(p["signal_weights"], min_signal_risk)
    lines = deliveries["lines_recent"]
    hits = deliveries["hits_recent"]
    if lines:
        otif = hits / lines
        mix.add(
            "otif",
            round(otif, 3),
            grids["otif_grid"].risk(otif),
            lambda: make_reason(
                "low_otif",
                otif_pct=round(otif * 100),
                lines=lines,
                misses=lines - hits,
                window_days=p["otif_window_days"],
            ),
        )
    else:
        mix.add("otif", None, None)

    peak_lines, peak_hits = deliveries["peak_lines"], deliveries["peak_hits"]
    if peak_lines:
        miss_rate = (peak_lines - peak_hits) / peak_lines
        mix.add(
            "peak_season",
            round(miss_rate, 3),
            grids["peak_miss_grid"].risk(miss_rate),
            lambda: make_reason(
                "peak_season_misses", misses=peak_lines - peak_hits, lines=peak_lines, months=sorted(d.peak_months)
            ),
        )
    else:
        mix.add("peak_season", None, None)
    return mix.result()


# Price --------------------------------------------------------------------------------------


def price(d: CustomerData, as_of: date, p: dict, min_signal_risk: float) -> FactorResult:
    rows = d.benchmarks
    if not rows:
        return MISSING
    grids = _grids(p)
    mix = _SignalMix(p["signal_weights"], min_signal_risk)
    ratios = [(float(row["our_price"] / row["market_average_price"]), row) for row in rows]
    mean_ratio = sum([r for r, _ in ratios]) / len(ratios)
    worst_ratio, worst = max(ratios, key=itemgetter(0))
    mix.add(
        "price_vs_market",
        round(mean_ratio, 3),
        grids["price_ratio_grid"].risk(mean_ratio),
        lambda: make_reason(
            "price_above_market",
            pct=round((mean_ratio - 1) * 100),
            products=len(ratios),
            worst_product=worst["product__name"],
            worst_pct=round((worst_ratio - 1) * 100),
        ),
    )
    quotes = [(float(row["our_price"] / row["competitor_quote"]), row) for row in rows if row["competitor_quote"]]
    if quotes:
        quote_ratio, quoted = max(quotes, key=itemgetter(0))
        mix.add(
            "competitor_quotes",
            round(quote_ratio, 3),
            grids["competitor_quote_grid"].risk(quote_ratio),
            lambda: make_reason(
                "competitor_undercut",
                competitor=quoted["competitor__name"],
                product=quoted["product__name"],
                pct=round((1 - 1 / quote_ratio) * 100),
                observed_on=_iso(quoted["observed_on"]),
            ),
        )
    else:
        mix.add("competitor_quotes", None, None)
    return mix.result()


# Strategy & lock-in -------------------------------------------------------------------------


def strategy(d: CustomerData, as_of: date, p: dict, min_signal_risk: float, max_items: int) -> FactorResult:
    grids = _grids(p)
    mix = _SignalMix(p["signal_weights"], min_signal_risk)
    level = d.relationship_level
    level_risk = p["relationship_level_risk"].get(str(level))
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
            grids["plan_age_grid"].risk(days),
            lambda: make_reason("account_plan_stale", days=days, reviewed_on=_iso(reviewed_on)),
        )
    else:
        mix.add("account_plan", None, float(p["no_plan_risk"]), _no_account_plan)
    open_needs = d.open_needs
    needs = len(open_needs)
    mix.add(
        "open_needs",
        needs,
        grids["open_needs_grid"].risk(needs),
        lambda: make_reason("open_needs", count=needs, needs=[n["description"] for n in open_needs[:max_items]]),
    )
    incentives = d.active_incentives
    mix.add(
        "incentives",
        incentives,
        grids["incentive_count_grid"].risk(incentives),
        _no_incentives if incentives == 0 else None,
    )
    return mix.result()


def _no_account_plan() -> dict:
    return make_reason("no_account_plan")


def _no_incentives() -> dict:
    return make_reason("no_incentives")


def score_factors(d: CustomerData, as_of: date, parameters: dict) -> dict[str, FactorResult]:
    """Every factor of the model for one customer."""
    reasons = parameters["reasons"]
    min_signal = reasons["min_signal_risk"]
    max_items = reasons["max_items"]
    return {
        "purchase_trend": purchase_trend(d, as_of, parameters["purchase_trend"], min_signal),
        "relationship": relationship(d, as_of, parameters["relationship"], min_signal, max_items),
        "criteria": criteria(d, as_of, parameters["criteria"], max_items),
        "quality": quality(d, as_of, parameters["quality"], min_signal),
        "supply": supply(d, as_of, parameters["supply"], min_signal),
        "price": price(d, as_of, parameters["price"], min_signal),
        "strategy": strategy(d, as_of, parameters["strategy"], min_signal, max_items),
    }


# Trip-wires ---------------------------------------------------------------------------------


def tripwires(d: CustomerData, as_of: date, parameters: dict) -> list[Tripwire]:
    """The trip-wires that fire for the customer, most severe first. They can only worsen a band."""
    p = parameters["tripwires"]
    max_items = parameters["reasons"]["max_items"]
    fired: list[Tripwire] = []

    min_importance = p["criterion_min_importance"]
    alarms = [row for row in d.criteria if row["importance"] >= min_importance and _situation(row) == "alarm"]
    if alarms:
        top = max(alarms, key=itemgetter("importance"))
        fired.append(
            Tripwire(
                "criterion_alarm",
                RiskBand.RED,
                make_reason(
                    "tripwire_criterion_alarm",
                    criterion=top["criterion"],
                    competitor=top["competitor__name"],
                    importance=top["importance"],
                    assessed_on=_iso(top["assessed_on"]),
                ),
            )
        )

    orders = d.orders
    if orders and orders["revenue_year_ago"] > 0 and orders["orders_year_ago"] >= p["revenue_min_orders_year_ago"]:
        recent, year_ago = float(orders["revenue_recent"]), float(orders["revenue_year_ago"])
        if recent < (1 - float(p["revenue_drop_share"])) * year_ago:
            fired.append(
                Tripwire(
                    "revenue_collapse",
                    RiskBand.RED,
                    make_reason(
                        "tripwire_revenue_collapse",
                        window_days=parameters["purchase_trend"]["window_days"],
                        revenue_recent=round(recent),
                        revenue_year_ago=round(year_ago),
                        change_pct=round((recent / year_ago - 1) * 100),
                    ),
                )
            )

    if d.departed_key_people:
        departed = [k for k in d.departed_key_people if k["buying_role"] == _DECISION_MAKER]
        has_decision_maker = bool(d.contacts and d.contacts["active_decision_makers"])
        if departed and not has_decision_maker:
            last = max(departed, key=itemgetter("left_on"))
            days = (as_of - last["left_on"]).days
            if days > p["decision_maker_grace_days"]:
                fired.append(
                    Tripwire(
                        "decision_maker_gone",
                        RiskBand.AMBER,
                        make_reason(
                            "tripwire_decision_maker_gone", name=last["name"], left_on=_iso(last["left_on"]), days=days
                        ),
                    )
                )

    if d.tickets:
        day_end = utc_day_end(as_of)
        critical = [
            t
            for t in d.tickets
            if t["kind"] == _COMPLAINT and t["severity"] == _CRITICAL and any(_sla_misses(t, day_end))
        ]
        if critical:
            fired.append(
                Tripwire(
                    "critical_complaint_past_sla",
                    RiskBand.AMBER,
                    make_reason(
                        "tripwire_critical_complaint_past_sla",
                        count=len(critical),
                        subjects=[t["subject"] for t in critical[:max_items]],
                        oldest_opened_on=_local_date(min(t["opened_at"] for t in critical)).isoformat(),
                    ),
                )
            )
    return fired
