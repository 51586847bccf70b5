"""Quality & complaints: open complaints, targets missed, resolution and escalation times, satisfaction."""

from datetime import date
from statistics import median

from complaints.models import Severity, Ticket
from keyaccounts.clock import utc_day_end

from ..parameters import QualityParameters
from ..reasons import make_reason
from ..signals import CustomerData, TicketSignal
from .mix import MISSING, FactorResult, SignalMix, in_hours

# Choices compared for every ticket, looked up once: reaching an enum member through its class
# costs more than the comparison.
_COMPLAINT = Ticket.Kind.COMPLAINT
_PRODUCT_QUALITY = Ticket.Category.PRODUCT_QUALITY
_CRITICAL = Severity.CRITICAL


def _is_open(ticket: TicketSignal, day_end) -> bool:
    resolved_at = ticket.resolved_at
    return resolved_at is None or resolved_at >= day_end


def sla_misses(ticket: TicketSignal, day_end) -> tuple[bool, bool]:
    """Whether an open ticket is past its response target and past its resolution target at day end."""
    if not _is_open(ticket, day_end):
        return False, False
    responded = ticket.first_response_at is not None and ticket.first_response_at < day_end
    response = ticket.response_due_at is not None and ticket.response_due_at < day_end and not responded
    resolution = ticket.resolution_due_at is not None and ticket.resolution_due_at < day_end
    return response, resolution


def score(d: CustomerData, as_of: date, p: QualityParameters, min_signal_risk: float) -> FactorResult:
    # A customer that has never had a ticket gives the factor nothing to judge; one that has, and
    # none lately, is good news (risk 0). Either way the factor does not come and go with time.
    if not d.has_tickets:
        return MISSING
    day_end = utc_day_end(as_of)
    tickets = d.tickets
    mix = SignalMix(p.signal_weights, min_signal_risk)
    complaints = [t for t in tickets if t.kind == _COMPLAINT]

    open_complaints = [t for t in complaints if _is_open(t, day_end)]
    severity_weights = p.severity_weights
    weighted = sum([float(severity_weights.get(t.severity, 1)) for t in open_complaints])
    mix.add(
        "open_complaints",
        weighted,
        p.open_complaints_grid.risk(weighted),
        lambda: make_reason(
            "open_complaints",
            count=len(open_complaints),
            critical=sum(1 for t in open_complaints if t.severity == _CRITICAL),
        ),
    )

    response_late, resolution_late = [], []
    for ticket in open_complaints:
        response, resolution = sla_misses(ticket, day_end)
        if response:
            response_late.append(ticket)
        if resolution:
            resolution_late.append(ticket)
    past_sla = len({id(t) for t in response_late + resolution_late})

    def sla_reason():
        targets = {round(in_hours(t.response_due_at - t.opened_at)) for t in response_late}
        return make_reason(
            "complaints_past_sla",
            count=past_sla,
            response=len(response_late),
            resolution=len(resolution_late),
            response_target_hours=targets.pop() if len(targets) == 1 else None,
        )

    mix.add("past_sla", past_sla, p.past_sla_grid.risk(past_sla), sla_reason)

    lookback_from = utc_day_end(as_of, p.lookback_days)
    resolved = [
        t
        for t in complaints
        if t.resolved_at is not None
        and lookback_from <= t.resolved_at < day_end
        and t.resolution_due_at is not None
        and t.resolution_due_at > t.opened_at
    ]
    if resolved:
        ratio = median(
            in_hours(t.resolved_at - t.opened_at) / in_hours(t.resolution_due_at - t.opened_at) for t in resolved
        )
        mix.add(
            "resolution_time",
            round(ratio, 2),
            p.resolution_ratio_grid.risk(ratio),
            lambda: make_reason(
                "slow_resolution",
                median_ratio=round(ratio, 1),
                median_hours=round(median(in_hours(t.resolved_at - t.opened_at) for t in resolved)),
                target_hours=round(median(in_hours(t.resolution_due_at - t.opened_at) for t in resolved)),
                count=len(resolved),
            ),
        )
    else:
        mix.add("resolution_time", None, None)

    delays = []
    for t in complaints:
        if t.category != _PRODUCT_QUALITY or t.opened_at < lookback_from:
            continue
        if t.escalated_at is not None and t.escalated_at < day_end:
            delays.append(in_hours(t.escalated_at - t.opened_at))
        elif _is_open(t, day_end):
            # Still not with production at the end of the day: it has waited at least this long.
            delays.append(in_hours(day_end - t.opened_at))
    if delays:
        hours = median(delays)
        mix.add(
            "quality_escalation",
            round(hours, 1),
            p.escalation_hours_grid.risk(hours),
            lambda: make_reason("slow_quality_escalation", median_hours=round(hours), count=len(delays)),
        )
    else:
        mix.add("quality_escalation", None, None)

    satisfaction_from = utc_day_end(as_of, p.satisfaction_lookback_days)
    ratings = [
        t.satisfaction
        for t in tickets
        if t.satisfaction is not None and t.resolved_at is not None and satisfaction_from <= t.resolved_at < day_end
    ]
    if ratings:
        average = sum(ratings) / len(ratings)
        mix.add(
            "satisfaction",
            round(average, 2),
            p.satisfaction_grid.risk(average),
            lambda: make_reason("low_satisfaction", average=round(average, 1), count=len(ratings)),
        )
    else:
        mix.add("satisfaction", None, None)
    return mix.result()
