"""SLA policies, complaints and service tickets, and each ticket's history of events."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from django.utils.translation import gettext

from accounts.models import Tier
from complaints.models import Severity, SlaPolicy, Ticket, TicketEvent
from relationships.models import Department

from . import names
from .calendar import DemoCalendar
from .history import CHANGED, CREATED, HistorySink
from .network import ContactRecord
from .plans import COMPLAINTS, CONTACT_LEFT, LATE_DELIVERY, CustomerPlan, pick
from .users import DemoStaff
from .writer import BulkOutput, Progress

# (response hours, resolution hours): key accounts get an answer within 24 hours at the latest.
DEFAULT_SLA = {
    (Tier.KEY.value, Severity.CRITICAL.value): (2, 24),
    (Tier.KEY.value, Severity.HIGH.value): (4, 48),
    (Tier.KEY.value, Severity.MEDIUM.value): (12, 96),
    (Tier.KEY.value, Severity.LOW.value): (24, 168),
    (Tier.REGULAR.value, Severity.CRITICAL.value): (8, 72),
    (Tier.REGULAR.value, Severity.HIGH.value): (24, 120),
    (Tier.REGULAR.value, Severity.MEDIUM.value): (48, 168),
    (Tier.REGULAR.value, Severity.LOW.value): (72, 336),
}
S = Ticket.Status
COMPLAINT_CATEGORIES = [("product_quality", 40), ("delivery", 25), ("service", 20), ("price", 8), ("other", 7)]
REQUEST_CATEGORIES = [("service", 50), ("other", 25), ("delivery", 15), ("product_quality", 10)]
SEVERITIES = [("low", 35), ("medium", 40), ("high", 20), ("critical", 5)]
BAD_SEVERITIES = [("medium", 20), ("high", 55), ("critical", 25)]
CHANNELS = [("hotline", 30), ("email", 25), ("wechat", 20), ("portal", 10), ("visit", 10), ("other", 5)]
DEPARTMENTS = {
    "product_quality": ("production", "technical"),
    "delivery": ("logistics",),
    "service": ("service",),
    "price": ("sales",),
    "other": ("service", "sales"),
}
# Contacts who usually raise tickets.
REPORTERS = (Department.QUALITY.value, Department.USER.value, Department.PROCUREMENT.value)
# A ticket the desk never solved stays open only when it is this recent; older ones were solved late.
# A routine ticket (not one of a complaints story's) still open this long after it was opened was
# solved late too, in the last days: a live desk's open tickets are mostly recent, and those open
# for longer are complaints of customers at risk.
STILL_OPEN = timedelta(days=45)


def ensure_sla_policies() -> dict[tuple[str, str], tuple[int, int]]:
    """The default policies for both tiers and every severity; existing ones are kept as they are."""
    for (tier, severity), (response, resolution) in DEFAULT_SLA.items():
        SlaPolicy.objects.get_or_create(
            tier=tier, severity=severity, defaults={"response_hours": response, "resolution_hours": resolution}
        )
    return {
        (p.tier, p.severity): (p.response_hours, p.resolution_hours)
        for p in SlaPolicy.objects.filter(tier__in=Tier.values, severity__in=Severity.values)
    }


class TicketWriter:
    """Builds one ticket at a time: a timeline of events, cut at today, and the ticket it implies."""

    def __init__(self, *, rng, output: BulkOutput, calendar: DemoCalendar, staff: DemoStaff, sla, first_pks):
        self.rng = rng
        self.calendar = calendar
        self.sla = sla
        self.service_user = staff.service.pk
        columns = [
            "id", "customer_id", "contact_id", "kind", "category", "severity", "channel", "subject",
            "description", "status", "department", "assigned_to_id", "opened_at", "response_due_at",
            "resolution_due_at", "first_response_at", "escalated_at", "escalation_level", "resolved_at",
            "closed_at", "onsite_requested", "onsite_done_at", "root_cause", "satisfaction", "sla_paused_at",
            "corrective_action", "onsite_report",
        ]  # fmt: skip
        self.tickets = output.sink(Ticket, columns)
        # The history: the ticket as opened, and as it stands after its last step (resolved and
        # rated, closed…) dated then.
        self.history = HistorySink(output, Ticket, columns, first_pks["ticket_history"])
        self.events = output.sink(
            TicketEvent,
            ["id", "ticket_id", "at", "by_id", "kind", "from_status", "to_status", "comment"],
            parents=[self.tickets],
        )
        self.ticket_pk = first_pks["ticket"]
        self.event_pk = first_pks["ticket_event"]

    def write(
        self, plan: CustomerPlan, contacts: list[ContactRecord], when: int, *, complaint: bool, bad: bool, category=None
    ) -> None:
        """One ticket opened on day ``when``; a bad one breaks its SLA and leaves the customer unhappy."""
        rng, random_ = self.rng, self.rng.random
        lang = 0 if plan.chinese else 1
        kind = Ticket.Kind.COMPLAINT.value if complaint else Ticket.Kind.SERVICE_REQUEST.value
        category = category or pick(rng.random(), COMPLAINT_CATEGORIES if complaint else REQUEST_CATEGORIES)
        severity = pick(rng.random(), BAD_SEVERITIES if bad else SEVERITIES)
        channel = pick(rng.random(), CHANNELS)
        department = rng.choice(DEPARTMENTS[category])
        # Indices drawn as the lists' items were (one draw each), so the words never move the numbers.
        subject_index = rng.choice(range(len(names.TICKET_SUBJECTS[category])))
        subject = names.TICKET_SUBJECTS[category][subject_index][lang]
        description = names.TICKET_DETAILS[category][subject_index][lang]
        if random_() < 0.5:
            request = names.TICKET_REQUESTS[rng.choice(range(len(names.TICKET_COMMENTS)))][lang]
            description = f"{description}{request}" if lang == 0 else f"{description} {request}"
        response_hours, resolution_hours = self.sla[(plan.tier, severity)]
        hour = random_() * 24 if channel == "hotline" else 8.5 + random_() * 9.5
        opened = self.calendar.at(when, hour)
        cutoff = self.calendar.cutoff
        if opened >= cutoff:
            return
        present = [c for c in contacts if c.joined <= when and (c.left is None or c.left > when)]
        reporters = [c for c in present if c.department in REPORTERS] or present
        contact = rng.choice(reporters).pk if reporters and random_() < 0.85 else None
        assignee = self.service_user if not complaint or random_() < 0.5 else plan.owner
        late_response = random_() < (0.7 if bad else 0.12)
        late_resolution = random_() < (0.85 if bad else 0.15)
        hours = timedelta(hours=1)
        first_response = opened + hours * response_hours * (
            1.1 + 3.0 * random_() if late_response else 0.05 + 0.85 * random_()
        )
        resolved: datetime | None = opened + hours * resolution_hours * (
            1.1 + 4.0 * random_() if late_resolution else 0.15 + 0.8 * random_()
        )
        if bad and random_() < 0.35:
            # Not solved in time: still open if recent, else solved at last, very late (a live desk
            # has few tickets open for months).
            if cutoff - opened < STILL_OPEN:
                resolved = None
            else:
                resolved = opened + hours * resolution_hours * 12 + STILL_OPEN / 3
        elif resolved <= first_response:
            resolved = first_response + hours * (0.5 + random_())
        # A routine ticket older than STILL_OPEN that would still be open today was solved in the last
        # days. Its own draws from here on come from a generator of its own, so every other ticket (and
        # the solved history) stays exactly as it was.
        draws = rng
        if not bad and resolved is not None and resolved >= cutoff and cutoff - opened >= STILL_OPEN:
            draws = random.Random(f"solved-late/{self.ticket_pk}")
            resolved = cutoff - hours * (12 + 108 * draws.random())
        closed = resolved + hours * (24 + 216 * random_()) if resolved is not None and random_() < 0.85 else None
        escalated = None
        escalation_level = 0
        if complaint and category == "product_quality":
            escalated = opened + hours * (48 + 192 * random_() if bad else 1 + 23 * random_())
            escalation_level = 2 if bad else 1
        onsite_requested = category in ("product_quality", "service") and severity in ("high", "critical")
        onsite_requested = onsite_requested and random_() < 0.4
        onsite_done = first_response + hours * (4 + 68 * random_()) if onsite_requested and random_() < 0.8 else None

        # The workflow as it happened, then cut at today: whatever lies after it has not happened yet.
        by_owner = plan.owner
        timeline: list[tuple] = [
            (opened, "created", "", S.NEW.value, "", self.service_user if channel != "visit" else by_owner)
        ]
        timeline.append((first_response, "status", S.NEW.value, S.ACKNOWLEDGED.value, "", assignee))
        status = S.ACKNOWLEDGED.value
        work_start = first_response + hours * (0.5 + 12 * random_())
        end_of_work = resolved if resolved is not None else cutoff + timedelta(days=365)
        if work_start < end_of_work:
            timeline.append((work_start, "status", status, S.IN_PROGRESS.value, "", assignee))
            status = S.IN_PROGRESS.value
            if random_() < 0.15:
                waiting = work_start + (end_of_work - work_start) * (0.2 + 0.2 * random_())
                back = waiting + (end_of_work - waiting) * (0.3 + 0.4 * random_())
                timeline.append((waiting, "status", status, S.WAITING_CUSTOMER.value, "", assignee))
                timeline.append((back, "status", S.WAITING_CUSTOMER.value, S.IN_PROGRESS.value, "", assignee))
        for _comment in range(int(random_() * 2.6)):
            span = (end_of_work if resolved is not None else first_response + hours * resolution_hours) - first_response
            comment = rng.choice(names.TICKET_COMMENTS)[lang]
            timeline.append((first_response + span * random_(), "comment", "", "", comment, assignee))
        if escalated is not None:
            note = names.TICKET_COMMENTS[3][lang]
            timeline.append((escalated, "escalation", "", "", note, assignee))
        if resolved is not None:
            timeline.append((resolved, "status", None, S.RESOLVED.value, "", assignee))
            if closed is not None:
                timeline.append((closed, "status", S.RESOLVED.value, S.CLOSED.value, "", assignee))
        timeline.sort(key=lambda event: event[0])
        timeline = [event for event in timeline if event[0] < cutoff]

        status = S.NEW.value
        paused_at = None
        event_rows = self.events.rows
        for at, event_kind, from_status, to_status, comment, by in timeline:
            if event_kind == "status":
                from_status = status if from_status is None else from_status
                status = to_status
                # The SLA clock stands still while the ticket waits for the customer.
                paused_at = at if status == S.WAITING_CUSTOMER.value else None
            event_rows.append((self.event_pk, self.ticket_pk, at, by, event_kind, from_status, to_status, comment))
            self.event_pk += 1

        first_response = first_response if first_response < cutoff else None
        resolved = resolved if resolved is not None and resolved < cutoff else None
        closed = closed if closed is not None and closed < cutoff else None
        escalated = escalated if escalated is not None and escalated < cutoff else None
        if escalated is None:
            escalation_level = 0
        onsite_done = onsite_done if onsite_done is not None and onsite_done < cutoff else None
        satisfaction = None
        root_cause = corrective_action = onsite_report = ""
        if resolved is not None:
            if complaint or draws.random() < 0.4:
                if draws.random() < 0.7:
                    if bad:
                        satisfaction = draws.randint(1, 2)
                    elif late_resolution or late_response:
                        satisfaction = draws.randint(2, 3)
                    else:
                        satisfaction = draws.choice((3, 4, 4, 5, 5))
            if complaint and draws.random() < 0.7:
                cause = draws.choice(range(len(names.ROOT_CAUSES[category])))
                root_cause = names.ROOT_CAUSES[category][cause][lang]
                corrective_action = names.CORRECTIVE_ACTIONS[category][cause][lang]
        if closed is not None and complaint and not root_cause:
            # A complaint is closed only with its root cause and corrective action (picked without a draw).
            cause = self.ticket_pk % len(names.ROOT_CAUSES[category])
            root_cause = names.ROOT_CAUSES[category][cause][lang]
            corrective_action = names.CORRECTIVE_ACTIONS[category][cause][lang]
        if onsite_done is not None:
            onsite_report = names.ONSITE_REPORTS[self.ticket_pk % len(names.ONSITE_REPORTS)][lang]
        row = (
            self.ticket_pk, plan.pk, contact, kind, category, severity, channel, subject, description, status,
            department, assignee, opened, opened + hours * response_hours, opened + hours * resolution_hours,
            first_response, escalated, escalation_level, resolved, closed, onsite_requested, onsite_done,
            root_cause, satisfaction, paused_at, corrective_action, onsite_report,
        )  # fmt: skip
        self.tickets.rows.append(row)
        # As opened: new, nothing done yet (no response, escalation, resolution, rating…).
        as_opened = (
            *row[:9], S.NEW.value, *row[10:15],
            None, None, 0, None, None, onsite_requested, None, "", None, None, "", "",
        )  # fmt: skip
        self.history.add(opened, CREATED, as_opened)
        if len(timeline) > 1:
            self.history.add(timeline[-1][0], CHANGED, row)
        self.ticket_pk += 1


def write_tickets(
    *,
    rng: random.Random,
    output: BulkOutput,
    plans: list[CustomerPlan],
    network: list[list[ContactRecord]],
    staff: DemoStaff,
    calendar: DemoCalendar,
    sla: dict[tuple[str, str], tuple[int, int]],
    progress: Progress,
    first_pks: dict[str, int],
) -> None:
    """Tickets scale with the customer's size; complaint stories add complaints past their SLA."""
    writer = TicketWriter(rng=rng, output=output, calendar=calendar, staff=staff, sla=sla, first_pks=first_pks)
    history_start = calendar.start
    for plan, contacts in progress(zip(plans, network, strict=True), gettext("tickets, ticket events"), len(plans)):
        begin, end = max(plan.since, history_start), plan.end
        rate = max(0.15, min(15.0, 0.8 * math.exp(0.55 * plan.size)))
        gap = 365.0 / rate
        t = begin + rng.random() * gap * 2
        while t < end:
            when = int(t)
            t += gap * 2 * rng.random()
            warning = plan.in_warning(when)
            bad = warning and plan.has(COMPLAINTS) and rng.random() < 0.5
            writer.write(plan, contacts, when, complaint=bad or rng.random() < 0.55, bad=bad)
        if plan.signs and (plan.has(COMPLAINTS) or plan.has(LATE_DELIVERY) or plan.has(CONTACT_LEFT)):
            window = max(1, plan.warn_end - plan.warn_start)
            extra = rng.randint(3, 6) if plan.has(COMPLAINTS) else rng.randint(1, 2)
            for _extra in range(extra):
                when = plan.warn_start + int(rng.random() * window * 0.85)
                if plan.has(COMPLAINTS):
                    writer.write(plan, contacts, when, complaint=True, bad=True)
                else:
                    writer.write(plan, contacts, when, complaint=True, bad=rng.random() < 0.3, category="delivery")
        writer.tickets.maybe_flush()
        writer.events.maybe_flush()
        writer.history.maybe_flush()
