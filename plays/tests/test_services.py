"""The writes of plays and their rules: opening one by hand, moving it, starting it, ticking its
steps, closing it — each refused with a clear reason when it breaks a rule, each audited with the
person who did it."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from keyaccounts.clock import business_today
from keyaccounts.editing import StaleEdit, edit_version
from keyaccounts.tests import factories as f
from plays import services
from plays.models import Play, PlayStep, Priority, StepRole, Trigger

pytestmark = pytest.mark.django_db


PAST = "A due date cannot be in the past."
TOO_FAR = "A due date more than a year ahead is too far: plan a nearer step."


def days(n: int):
    return business_today() + timedelta(days=n)


@pytest.fixture
def play(customer, alice):
    play = f.PlayFactory(customer=customer, owner=alice, due_on=days(14))
    f.PlayStepFactory(play=play, position=1, title="Call the buyer", assignee=alice, due_on=days(3))
    f.PlayStepFactory(play=play, position=2, title="Visit the plant", assignee=alice, due_on=days(10))
    return play


@pytest.fixture
def playbook():
    playbook = f.PlaybookFactory(trigger=Trigger.PRICE_GAP, name="Answer a price gap", name_zh="应对价格差距")
    f.PlaybookStepFactory(playbook=playbook, position=1, day_offset=7, role=StepRole.OWNER, title="Collect offers")
    f.PlaybookStepFactory(playbook=playbook, position=2, day_offset=21, role=StepRole.BACKUP, title="Meet the buyer")
    return playbook


def create(customer, by, **kwargs):
    values = {"title": "Win back the gearbox line", "owner": by, "due_on": days(14), "countermeasure": 3}
    return services.play_create(customer=customer, by=by, **{**values, **kwargs})


# --- opening by hand ------------------------------------------------------------------------------


def test_a_play_opened_by_hand_has_its_steps_and_is_audited_with_who_opened_it(customer, alice, tina):
    f.RiskSnapshotFactory(customer=customer, as_of=business_today(), score=55.0, band="amber")
    play = create(customer, alice, owner=tina, steps=[("Call the buyer", days(2)), ("Send the offer", days(9))])
    assert (play.trigger, play.owner, play.opened_by, play.opened_on) == (Trigger.MANUAL, tina, alice, days(0))
    assert (play.score_at_open, play.band_at_open) == (55.0, "amber")
    assert [(s.position, s.title, s.assignee, s.due_on) for s in play.steps.order_by("position")] == [
        (1, "Call the buyer", tina, days(2)),
        (2, "Send the offer", tina, days(9)),
    ]
    assert [(h.history_type, h.history_user) for h in play.history.all()] == [("+", alice)]
    assert set(PlayStep.history.filter(play_id=play.pk).values_list("history_user__username", flat=True)) == {"alice"}


def test_a_play_opened_with_a_playbook_takes_its_steps_due_from_today_and_its_name(customer, alice, bob, playbook):
    play = create(customer, alice, title="", playbook=playbook, due_on=days(5))
    assert (play.title, play.title_zh, play.playbook) == ("Answer a price gap", "应对价格差距", playbook)
    # Due no earlier than its last step.
    assert play.due_on == days(21)
    assert [(s.title, s.role, s.assignee, s.due_on) for s in play.steps.order_by("position")] == [
        ("Collect offers", StepRole.OWNER, alice, days(7)),
        ("Meet the buyer", StepRole.BACKUP, bob, days(21)),
    ]


@pytest.mark.parametrize("due", [-1, 366], ids=["past", "more-than-a-year"])
@pytest.mark.parametrize("with_playbook", [False, True], ids=["by-hand", "with-playbook"])
def test_a_due_date_in_the_past_or_too_far_ahead_is_refused_and_nothing_is_opened(
    customer, alice, playbook, due, with_playbook
):
    with pytest.raises(ValidationError) as refused:
        create(customer, alice, due_on=days(due), playbook=playbook if with_playbook else None)
    expected = PAST if due < 0 else TOO_FAR
    assert refused.value.message_dict == {"due_on": [expected]}
    assert not Play.objects.exists() and not PlayStep.objects.exists()


def test_a_step_error_names_the_step(customer, alice):
    with pytest.raises(ValidationError) as past:
        create(customer, alice, steps=[("Call the buyer", days(2)), ("Visit the plant", days(-3))])
    assert past.value.message_dict == {
        "step_2_due": ["Step 2 (Visit the plant): A due date cannot be in the past."],
    }
    with pytest.raises(ValidationError) as late:
        create(customer, alice, due_on=days(10), steps=[("Send the offer", days(20))])
    assert late.value.message_dict == {"step_1_due": ["Step 1 (Send the offer): A step cannot be due after its play."]}
    assert not Play.objects.exists()


def test_a_play_cannot_go_to_someone_who_may_not_see_the_customer(customer, alice, oscar, erin):
    for outsider in (oscar, erin):
        with pytest.raises(ValidationError) as refused:
            create(customer, alice, owner=outsider)
        assert "may not work this customer's plays" in refused.value.message_dict["owner"][0]
    assert not Play.objects.exists()


# --- moving and starting --------------------------------------------------------------------------


def test_moving_a_play_to_the_backup_moves_the_owners_open_steps_and_audits_each(play, alice, bob):
    done = play.steps.get(position=1)
    services.step_mark(step=done, by=alice, done=True)
    play.refresh_from_db()
    moved = services.play_update(
        play=play, by=alice, version=edit_version(play), owner=bob, due_on=days(20), priority=Priority.HIGH
    )
    assert (moved.owner, moved.due_on, moved.priority) == (bob, days(20), Priority.HIGH)
    # The step alice did stays hers; the open one goes to bob.
    assert dict(play.steps.values_list("title", "assignee__username")) == {
        "Call the buyer": "alice",
        "Visit the plant": "bob",
    }
    latest = play.history.first()
    assert (latest.history_type, latest.history_user, latest.owner_id) == ("~", alice, bob.pk)
    step_row = PlayStep.history.filter(title="Visit the plant").first()
    assert (step_row.history_user, step_row.assignee_id) == (alice, bob.pk)


def test_a_stale_edit_is_refused_and_changes_nothing(play, alice, bob):
    version = edit_version(play)
    Play.objects.filter(pk=play.pk).update(priority=Priority.LOW)
    with pytest.raises(StaleEdit):
        services.play_update(play=play, by=alice, version=version, owner=bob, due_on=days(20), priority=1)
    play.refresh_from_db()
    assert (play.owner, play.due_on, play.priority) == (play.customer.owner, days(14), Priority.LOW)
    assert play.history.count() == 1


def test_moving_a_play_to_an_outsider_or_a_past_date_is_refused(play, alice, oscar):
    with pytest.raises(ValidationError) as outsider:
        services.play_update(play=play, by=alice, version=edit_version(play), owner=oscar, due_on=days(14), priority=2)
    assert "owner" in outsider.value.message_dict
    with pytest.raises(ValidationError) as past:
        services.play_update(play=play, by=alice, version=edit_version(play), owner=alice, due_on=days(-1), priority=2)
    assert past.value.message_dict == {"due_on": ["A due date cannot be in the past."]}
    play.refresh_from_db()
    assert (play.owner, play.due_on) == (alice, days(14))


def test_starting_a_play_is_audited_with_who_started_it(play, tina):
    started = services.play_start(play=play, by=tina)
    assert started.status == Play.Status.IN_PROGRESS
    assert (play.history.first().history_user, play.history.first().status) == (tina, Play.Status.IN_PROGRESS)


def test_ticking_a_step_records_who_and_when_starts_the_play_and_can_be_undone(play, alice, tina):
    step = play.steps.get(position=1)
    services.step_mark(step=step, by=tina, done=True)
    step.refresh_from_db()
    play.refresh_from_db()
    assert (step.done_on, step.done_by, play.status) == (days(0), tina, Play.Status.IN_PROGRESS)
    assert step.history.first().history_user == tina and play.history.first().history_user == tina
    services.step_mark(step=step, by=alice, done=False)
    step.refresh_from_db()
    assert (step.done_on, step.done_by) == (None, None)
    assert step.history.first().history_user == alice


# --- closing ----------------------------------------------------------------------------------------


def test_closing_records_the_outcome_the_day_and_who_closed_it(play, tina):
    closed = services.play_close(
        play=play, by=tina, version=edit_version(play), status=Play.Status.DONE, outcome="  Price agreed  "
    )
    play.refresh_from_db()
    assert (play.status, play.outcome, play.closed_on, play.closed_by) == ("done", "Price agreed", days(0), tina)
    assert closed.pk == play.pk and not play.is_open
    latest = play.history.first()
    assert (latest.history_type, latest.history_user, latest.status) == ("~", tina, "done")


def test_a_play_can_be_closed_as_cancelled(play, alice):
    services.play_close(play=play, by=alice, version=edit_version(play), status="cancelled", outcome="Customer merged")
    play.refresh_from_db()
    assert (play.status, play.closed_by) == (Play.Status.CANCELLED, alice)


@pytest.mark.parametrize(
    ("status", "outcome", "field"),
    [("done", "   ", "outcome"), ("open", "Done it", "status"), ("in_progress", "Done it", "status")],
)
def test_closing_needs_an_outcome_and_done_or_cancelled(play, alice, status, outcome, field):
    with pytest.raises(ValidationError) as refused:
        services.play_close(play=play, by=alice, version=edit_version(play), status=status, outcome=outcome)
    assert list(refused.value.message_dict) == [field]
    play.refresh_from_db()
    assert (play.status, play.closed_on, play.history.count()) == (Play.Status.OPEN, None, 1)


def test_a_closed_play_takes_no_more_changes_and_says_so(play, alice):
    services.play_close(play=play, by=alice, version=edit_version(play), status="done", outcome="Price agreed")
    play.refresh_from_db()
    version, rows = edit_version(play), play.history.count()
    closed_message = "This play is closed; reopen nothing, open a new play instead."
    attempts = [
        lambda: services.play_close(play=play, by=alice, version=version, status="cancelled", outcome="Again"),
        lambda: services.play_update(play=play, by=alice, version=version, owner=alice, due_on=days(30), priority=1),
        lambda: services.play_start(play=play, by=alice),
        lambda: services.step_mark(step=play.steps.first(), by=alice, done=True),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as refused:
            attempt()
        assert refused.value.messages == [closed_message]
    play.refresh_from_db()
    assert (play.status, play.outcome, play.history.count()) == ("done", "Price agreed", rows)
    assert not play.steps.filter(done_on__isnull=False).exists()


def test_closing_a_play_someone_closed_meanwhile_says_it_is_closed_not_stale(play, alice, bob):
    version = edit_version(play)
    services.play_close(play=play, by=bob, version=version, status="done", outcome="Bob closed it")
    with pytest.raises(ValidationError) as refused:
        services.play_close(play=play, by=alice, version=version, status="done", outcome="Alice too")
    assert not isinstance(refused.value, StaleEdit) and refused.value.code == "closed"
    play.refresh_from_db()
    assert (play.closed_by, play.outcome) == (bob, "Bob closed it")
