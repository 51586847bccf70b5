"""The nightly opening of plays from playbooks: set-based, idempotent for a date.

For a night D: read the night's triggers in a handful of queries (its alerts, the top reasons of
the amber and red key accounts' snapshots, the manual bands about to expire), drop the customers
that already have an open play of that trigger (or, for a condition, one closed within the
cool-down), and write the new plays, their steps, their history rows and one notification per
person in bulk. A second run of the same night finds every play already open and writes nothing;
the partial unique index ``play_one_open_per_trigger`` stands behind that rule.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from simple_history.utils import bulk_create_with_history

from accounts.models import Alert, AlertKind, Customer, CustomerStatus, RiskBand, RiskOverride, RiskSnapshot, Tier
from complaints.models import Notification, Severity, Ticket
from complaints.notifications import Message, notify_bulk
from keyaccounts.clock import utc_day_end

from .models import Play, Playbook, PlayStep, StepRole, Trigger
from .triggers import (
    ACTION_TRIGGERS,
    ALERT_TRIGGERS,
    CONDITION_COOL_DOWN_DAYS,
    CONDITION_TRIGGERS,
    OVERRIDE_NOTICE_DAYS,
    REASON_TRIGGERS,
    TOP_REASONS,
    TRIPWIRE_TRIGGERS,
)

BATCH = 2000
# Ids per query when reading the candidates' customers (SQLite caps a statement's parameters).
CHUNK = 5000


@dataclass(frozen=True)
class Candidate:
    customer_id: int
    trigger: str
    alert_id: int | None = None
    reason_code: str = ""
    # The play's owner; None: the customer's owner (a handover play goes to the successor).
    owner_id: int | None = None


def night_candidates(as_of: date) -> list[Candidate]:
    """Every trigger of the night, at most one per customer and trigger (the first found wins)."""
    found: dict[tuple[int, str], Candidate] = {}

    def add(candidate: Candidate) -> None:
        found.setdefault((candidate.customer_id, candidate.trigger), candidate)

    alerts = Alert.objects.filter(
        as_of=as_of, closed_at__isnull=True, kind__in=[*ALERT_TRIGGERS, AlertKind.TRIPWIRE]
    ).values_list("customer_id", "kind", "id", "details")
    for customer_id, kind, alert_id, details in alerts.iterator(chunk_size=5000):
        if kind == AlertKind.TRIPWIRE:
            for wire in (details or {}).get("tripwires", []):
                if wire in TRIPWIRE_TRIGGERS:
                    add(Candidate(customer_id, TRIPWIRE_TRIGGERS[wire], alert_id))
        else:
            add(Candidate(customer_id, ALERT_TRIGGERS[kind], alert_id))

    snapshots = RiskSnapshot.objects.filter(
        as_of=as_of,
        band__in=[RiskBand.AMBER, RiskBand.RED],
        customer__tier=Tier.KEY,
        customer__status=CustomerStatus.ACTIVE,
    ).values_list("customer_id", "reasons")
    for customer_id, reasons in snapshots.iterator(chunk_size=5000):
        for reason in (reasons or [])[:TOP_REASONS]:
            trigger = REASON_TRIGGERS.get(reason.get("code"))
            if trigger:
                add(Candidate(customer_id, trigger, reason_code=reason["code"]))

    expiring = RiskOverride.objects.filter(
        ended_on__isnull=True,
        starts_on__lte=as_of,
        expires_on__gte=as_of,
        expires_on__lte=as_of + timedelta(days=OVERRIDE_NOTICE_DAYS),
    ).values_list("customer_id", flat=True)
    for customer_id in expiring:
        add(Candidate(customer_id, Trigger.OVERRIDE_EXPIRING))
    return list(found.values())


def _taken(as_of: date, triggers) -> set[tuple[int, str]]:
    """(customer, trigger) pairs that must not open: a play of the trigger is open, or a night's
    play was opened this night already (a rerun of the night after it was closed; a handover or a
    churn opens its play when it happens, so a second one the same day opens again), or a
    condition's play closed within the cool-down."""
    since = as_of - timedelta(days=CONDITION_COOL_DOWN_DAYS)
    open_plays = (
        Play.objects.filter(Q(status__in=Play.OPEN_STATUSES) | Q(opened_on=as_of) & ~Q(trigger__in=ACTION_TRIGGERS))
        .filter(trigger__in=triggers)
        .values_list("customer_id", "trigger")
    )
    recent = Play.objects.filter(
        trigger__in=[t for t in triggers if t in CONDITION_TRIGGERS], closed_on__gte=since
    ).values_list("customer_id", "trigger")
    return set(open_plays.iterator(chunk_size=10000)) | set(recent.iterator(chunk_size=10000))


def _critical_tickets(customer_ids: list[int], as_of: date) -> dict[int, int]:
    """Per customer, its oldest critical complaint open and past a target at the day's end: the
    ticket a critical-complaint play is about (the trip-wire's own rule, in one query per chunk)."""
    day_end = utc_day_end(as_of)
    found: dict[int, int] = {}
    for start in range(0, len(customer_ids), CHUNK):
        rows = (
            Ticket.objects.filter(
                customer_id__in=customer_ids[start : start + CHUNK],
                kind=Ticket.Kind.COMPLAINT,
                severity=Severity.CRITICAL,
                opened_at__lt=day_end,
            )
            .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=day_end))
            .filter(
                Q(resolution_due_at__lt=day_end)
                | Q(response_due_at__lt=day_end)
                & (Q(first_response_at__isnull=True) | Q(first_response_at__gte=day_end))
            )
            .order_by("customer_id", "opened_at", "id")
            .values_list("customer_id", "id")
        )
        for customer_id, ticket_id in rows:
            found.setdefault(customer_id, ticket_id)
    return found


def open_plays(candidates: list[Candidate], *, as_of: date, opened_by=None) -> list[Play]:
    """Open a play from its trigger's active playbook for each candidate that has none open;
    steps, history rows and notifications in bulk. Returns the plays opened."""
    playbooks = {
        p.trigger: p
        for p in Playbook.objects.filter(active=True, trigger__in={c.trigger for c in candidates}).prefetch_related(
            "steps"
        )
    }
    candidates = [c for c in candidates if c.trigger in playbooks]
    if not candidates:
        return []
    taken = _taken(as_of, list(playbooks))
    candidates = [c for c in candidates if (c.customer_id, c.trigger) not in taken]
    customer_ids = sorted({c.customer_id for c in candidates})
    people, risk = {}, {}
    for start in range(0, len(customer_ids), CHUNK):
        chunk = customer_ids[start : start + CHUNK]
        people.update(
            (pk, (owner, backup, name))
            for pk, owner, backup, name in Customer.objects.filter(pk__in=chunk).values_list(
                "pk", "owner_id", "backup_owner_id", "name"
            )
        )
        risk.update(
            (pk, (score, band))
            for pk, score, band in RiskSnapshot.objects.filter(
                as_of__lte=as_of, as_of__gte=as_of - timedelta(days=7), customer_id__in=chunk
            )
            .order_by("customer_id", "as_of")
            .values_list("customer_id", "score", "band")
        )
    tickets = _critical_tickets(
        sorted({c.customer_id for c in candidates if c.trigger == Trigger.CRITICAL_COMPLAINT}), as_of
    )
    plays = []
    for c in candidates:
        if c.customer_id not in people:
            continue
        playbook = playbooks[c.trigger]
        steps = list(playbook.steps.all())
        score, band = risk.get(c.customer_id, (None, ""))
        plays.append(
            Play(
                customer_id=c.customer_id,
                playbook=playbook,
                trigger=c.trigger,
                title=playbook.name,
                title_zh=playbook.name_zh,
                countermeasure=playbook.countermeasure,
                priority=playbook.priority,
                owner_id=c.owner_id or people[c.customer_id][0],
                opened_on=as_of,
                due_on=as_of + timedelta(days=max([s.day_offset for s in steps], default=14)),
                alert_id=c.alert_id,
                reason_code=c.reason_code,
                ticket_id=tickets.get(c.customer_id) if c.trigger == Trigger.CRITICAL_COMPLAINT else None,
                score_at_open=score,
                band_at_open=band or "",
                opened_by=opened_by,
            )
        )
    if not plays:
        return []
    with transaction.atomic():
        plays = bulk_create_with_history(plays, Play, batch_size=BATCH, default_user=opened_by)
        steps = []
        for play in plays:
            owner, backup = play.owner_id, people[play.customer_id][1]
            for s in playbooks[play.trigger].steps.all():
                assignee = {StepRole.OWNER: owner, StepRole.BACKUP: backup or owner}.get(s.role)
                steps.append(
                    PlayStep(
                        play_id=play.pk,
                        position=s.position,
                        title=s.title,
                        title_zh=s.title_zh,
                        role=s.role,
                        assignee_id=assignee,
                        due_on=as_of + timedelta(days=s.day_offset),
                    )
                )
        bulk_create_with_history(steps, PlayStep, batch_size=BATCH, default_user=opened_by)
        notify_bulk(_messages(plays, people, exclude=getattr(opened_by, "pk", None)))
    return plays


def _messages(plays: list[Play], people: dict, *, exclude: int | None) -> list[Message]:
    """One notification per person: the play itself when it is one, else how many and a link to My plays."""
    by_person: dict[int, list[Play]] = defaultdict(list)
    for play in plays:
        backup = people[play.customer_id][1]
        for user_id in {play.owner_id, backup} - {None, exclude}:
            by_person[user_id].append(play)
    messages = []
    for user_id, theirs in by_person.items():
        first = min(theirs, key=lambda p: (p.due_on, p.priority))
        params = {
            "count": len(theirs),
            "customer": people[first.customer_id][2],
            "title": first.title,
            "title_zh": first.title_zh,
            "due": first.due_on.isoformat(),
        }
        link = reverse("play_detail", args=[first.pk]) if len(theirs) == 1 else reverse("my_plays")
        messages.append(Message(recipients=[user_id], kind=Notification.Kind.PLAY, params=params, link=link))
    return messages


def plays_open_night(*, as_of: date) -> int:
    """The nightly step: open the night's plays. Returns how many were opened."""
    return len(open_plays(night_candidates(as_of), as_of=as_of))
