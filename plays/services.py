"""Writes of plays: open one by hand, move it, mark its steps, close it — each audited.

Every write checks its rules here, whatever asks (a page, admin, a test): the owner must be a
person who may see and work the customer; a due date is not in the past nor more than a year
ahead; a closed play takes no more changes; an edit made on a stale copy is refused.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.permissions import ROLE_ADMIN, holds_role_q
from keyaccounts.clock import business_today
from keyaccounts.editing import StaleEdit, edit_version

from .models import Play, PlayStep, Priority, StepRole, Trigger

# A due date further ahead than this is a typing mistake, not a plan.
MAX_DUE_DAYS = 365


def owner_choices(customer):
    """The people a play of ``customer`` may be given to: its owner, backup owner and account team
    (active), and the admins. Executives and the service desk read plays; they do not own them."""
    users = get_user_model().objects.filter(is_active=True)
    team = customer.account_team.through.objects.filter(customer_id=customer.pk).values("user_id")
    people = Q(pk=customer.owner_id) | Q(pk__in=team) | holds_role_q(ROLE_ADMIN)
    if customer.backup_owner_id:
        people |= Q(pk=customer.backup_owner_id)
    return users.filter(people).distinct().order_by("first_name", "last_name", "username")


def _check_owner(customer, owner) -> None:
    if owner is None or not owner_choices(customer).filter(pk=owner.pk).exists():
        raise ValidationError(
            {
                "owner": _(
                    "%(person)s may not work this customer's plays: choose its owner, backup owner or a team member."
                )
                % {"person": owner or "—"}
            },
            code="owner",
        )


def check_due(due_on: date, *, today: date | None = None, field: str = "due_on") -> None:
    today = today or business_today()
    if due_on < today:
        raise ValidationError({field: _("A due date cannot be in the past.")}, code="past")
    if due_on > today + timedelta(days=MAX_DUE_DAYS):
        raise ValidationError(
            {field: _("A due date more than a year ahead is too far: plan a nearer step.")}, code="far"
        )


@transaction.atomic
def play_create(
    *,
    customer,
    by,
    title: str,
    owner,
    due_on: date,
    countermeasure: int,
    priority: int = Priority.NORMAL,
    steps: list[tuple[str, date]] | None = None,
    alert=None,
    ticket=None,
    playbook=None,
) -> Play:
    """A play opened by hand on the customer page; ``steps`` are (what, due) pairs. With a
    ``playbook`` and no steps of its own, the play takes the playbook's steps, due from today
    (and its name when the title is empty)."""
    today = business_today()
    playbook_steps = []
    # The date the user gave is checked as given, even when a playbook's steps push it later.
    check_due(due_on)
    if playbook is not None and not steps:
        playbook_steps = list(playbook.steps.all())
        due_on = max([due_on, *(today + timedelta(days=s.day_offset) for s in playbook_steps)])
    if playbook is not None and not (title or "").strip():
        title = playbook.name
    _check_owner(customer, owner)
    check_due(due_on)
    for n, (step_title, step_due) in enumerate(steps or [], start=1):
        _check_step_due(n, step_title, step_due, due_on)
    if not (title or "").strip():
        raise ValidationError({"title": _("Say what the play is for.")}, code="title")
    latest = customer.risk_snapshots.order_by("-as_of").values_list("score", "band").first() or (None, "")
    play = Play(
        customer=customer,
        trigger=Trigger.MANUAL,
        playbook=playbook,
        title=title.strip(),
        title_zh=playbook.name_zh if playbook is not None and title.strip() == playbook.name else "",
        owner=owner,
        countermeasure=countermeasure,
        priority=priority,
        opened_on=today,
        due_on=due_on,
        alert=alert,
        ticket=ticket,
        score_at_open=latest[0],
        band_at_open=latest[1] or "",
        opened_by=by,
    )
    _save(play, by)
    for n, (step_title, step_due) in enumerate(steps or [], start=1):
        _save(
            PlayStep(
                play=play, position=n, title=step_title.strip(), role=StepRole.OWNER, assignee=owner, due_on=step_due
            ),
            by,
        )
    backup = customer.backup_owner_id or owner.pk
    for s in playbook_steps:
        _save(
            PlayStep(
                play=play,
                position=s.position,
                title=s.title,
                title_zh=s.title_zh,
                role=s.role,
                assignee_id={StepRole.OWNER: owner.pk, StepRole.BACKUP: backup}.get(s.role),
                due_on=today + timedelta(days=s.day_offset),
            ),
            by,
        )
    return play


def _save(instance, by, **kwargs) -> None:
    """Save with ``by`` as the person on its history row, whoever (a page, a task, a test) asks."""
    instance._history_user = by
    instance.save(**kwargs)


def _check_step_due(number: int, title: str, due_on: date, play_due: date) -> None:
    """A step's due date follows the play's rules and is not after the play; the error names the step."""
    field = f"step_{number}_due"
    try:
        check_due(due_on, field=field)
        if due_on > play_due:
            raise ValidationError({field: _("A step cannot be due after its play.")}, code="step_after_play")
    except ValidationError as error:
        named = {"number": number, "step": title, "problem": " ".join(error.messages)}
        raise ValidationError({field: _("Step %(number)d (%(step)s): %(problem)s") % named}, code="step") from None


def _open_or_refuse(play: Play) -> None:
    if not play.is_open:
        raise ValidationError(_("This play is closed; reopen nothing, open a new play instead."), code="closed")


def _lock_open(play: Play, version: str) -> Play:
    """The play locked and fresh; refused if it was closed meanwhile (said first: it is the reason
    the copy is stale) or changed since the form was opened."""
    fresh = Play.objects.select_for_update().get(pk=play.pk)
    _open_or_refuse(fresh)
    if edit_version(fresh) != version:
        raise StaleEdit
    return fresh


@transaction.atomic
def play_update(*, play: Play, by, version: str, owner, due_on: date, priority: int) -> Play:
    """Change a play's owner, due date or priority (the form's copy must be the stored one)."""
    fresh = _lock_open(play, version)
    _open_or_refuse(fresh)
    _check_owner(fresh.customer, owner)
    if due_on != fresh.due_on:
        check_due(due_on)
    previous_owner = fresh.owner_id
    fresh.owner, fresh.due_on, fresh.priority = owner, due_on, priority
    _save(fresh, by, update_fields=["owner", "due_on", "priority", "updated_at"])
    if owner.pk != previous_owner:
        # The steps the previous owner still had go with the play, each audited.
        for step in fresh.steps.filter(done_on__isnull=True, assignee_id=previous_owner):
            step.assignee = owner
            _save(step, by, update_fields=["assignee"])
    return fresh


@transaction.atomic
def play_start(*, play: Play, by) -> Play:
    fresh = Play.objects.select_for_update().get(pk=play.pk)
    _open_or_refuse(fresh)
    if fresh.status == Play.Status.OPEN:
        fresh.status = Play.Status.IN_PROGRESS
        _save(fresh, by, update_fields=["status", "updated_at"])
    return fresh


@transaction.atomic
def step_mark(*, step: PlayStep, by, done: bool) -> PlayStep:
    """Tick a step done (or undo it). Marking a step starts its play."""
    play = Play.objects.select_for_update().get(pk=step.play_id)
    _open_or_refuse(play)
    step = PlayStep.objects.select_for_update().get(pk=step.pk)
    if done and step.done_on is None:
        step.done_on, step.done_by = business_today(), by
    elif not done and step.done_on is not None:
        step.done_on, step.done_by = None, None
    else:
        return step
    _save(step, by, update_fields=["done_on", "done_by"])
    if play.status == Play.Status.OPEN:
        play.status = Play.Status.IN_PROGRESS
        _save(play, by, update_fields=["status", "updated_at"])
    return step


@transaction.atomic
def play_close(*, play: Play, by, version: str, status: str, outcome: str) -> Play:
    """Close a play as done or cancelled, saying what came of it (the effect is read later)."""
    fresh = _lock_open(play, version)
    _open_or_refuse(fresh)
    if status not in (Play.Status.DONE, Play.Status.CANCELLED):
        raise ValidationError({"status": _("Close a play as done or cancelled.")}, code="status")
    outcome = (outcome or "").strip()
    if not outcome:
        raise ValidationError({"outcome": _("Say what came of it: the next person to read the account needs it.")})
    fresh.status, fresh.outcome, fresh.closed_on, fresh.closed_by = status, outcome, business_today(), by
    _save(fresh, by, update_fields=["status", "outcome", "closed_on", "closed_by", "updated_at"])
    return fresh
