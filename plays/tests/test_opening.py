"""The nightly opening of plays: the night's warning signs open one play each from their playbook,
dated by its steps, given to the customer's people, who are told; nothing twice, all or nothing."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from accounts.models import AlertKind, RiskBand, Tier
from complaints.models import Notification
from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f
from plays import opening
from plays.models import Play, PlayStep, StepRole, Trigger
from plays.opening import plays_open_night
from plays.triggers import CONDITION_COOL_DOWN_DAYS, install_default_playbooks

pytestmark = pytest.mark.django_db


@pytest.fixture
def rescue():
    """The newly-red playbook: the owner calls in 2 days, the backup checks in 5, an executive in 14."""
    playbook = f.PlaybookFactory(trigger=Trigger.NEW_RED, name="Rescue a newly red account", countermeasure=7)
    f.PlaybookStepFactory(playbook=playbook, position=1, day_offset=2, role=StepRole.OWNER, title="Call the GM")
    f.PlaybookStepFactory(playbook=playbook, position=2, day_offset=5, role=StepRole.BACKUP, title="Check orders")
    f.PlaybookStepFactory(playbook=playbook, position=3, day_offset=14, role=StepRole.EXECUTIVE, title="Exec call")
    return playbook


def new_red(customer, as_of=None):
    return f.AlertFactory(customer=customer, kind=AlertKind.NEW_RED, as_of=as_of or business_today())


def test_a_new_red_opens_one_play_from_its_playbook_with_dated_steps_and_tells_its_people(
    customer, alice, bob, rescue, django_capture_on_commit_callbacks
):
    today = business_today()
    alert = new_red(customer)
    f.RiskSnapshotFactory(customer=customer, as_of=today, score=71.0, band=RiskBand.RED, computed_band=RiskBand.RED)
    with django_capture_on_commit_callbacks(execute=True):
        assert plays_open_night(as_of=today) == 1

    play = Play.objects.get()
    assert (play.customer, play.playbook, play.trigger, play.alert) == (customer, rescue, Trigger.NEW_RED, alert)
    assert (play.owner, play.status, play.opened_on, play.opened_by) == (alice, Play.Status.OPEN, today, None)
    assert (play.title, play.countermeasure) == ("Rescue a newly red account", 7)
    assert (play.score_at_open, play.band_at_open) == (71.0, RiskBand.RED)
    # Due when its last step is due.
    assert play.due_on == today + timedelta(days=14)
    steps = [(s.title, s.due_on, s.role, s.assignee) for s in play.steps.order_by("position")]
    assert steps == [
        ("Call the GM", today + timedelta(days=2), StepRole.OWNER, alice),
        ("Check orders", today + timedelta(days=5), StepRole.BACKUP, bob),
        ("Exec call", today + timedelta(days=14), StepRole.EXECUTIVE, None),
    ]
    # Each of the customer's people hears about it once, in the centre and by e-mail, linked to the play.
    notes = Notification.objects.filter(kind=Notification.Kind.PLAY)
    assert sorted(n.recipient.username for n in notes) == ["alice", "bob"]
    assert {n.link for n in notes} == {f"/plays/{play.pk}/"}
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "bob@example.com"]
    assert all("Rescue a newly red account" in m.body and customer.name in m.body for m in mail.outbox)
    # The opening is audited like every other write: a history row for the play and each step.
    assert play.history.count() == 1 and play.history.get().history_type == "+"
    assert PlayStep.history.filter(play_id=play.pk).count() == 3


def test_without_a_backup_owner_the_backups_steps_go_to_the_owner(alice, rescue):
    customer = f.CustomerFactory(owner=alice, backup_owner=None)
    new_red(customer)
    plays_open_night(as_of=business_today())
    assert set(PlayStep.objects.values_list("role", "assignee__username")) == {
        (StepRole.OWNER, "alice"),
        (StepRole.BACKUP, "alice"),
        (StepRole.EXECUTIVE, None),
    }
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["alice"]


def test_rerunning_the_night_opens_nothing_new_and_tells_no_one_again(customer, rescue):
    today = business_today()
    new_red(customer)
    assert plays_open_night(as_of=today) == 1
    notes = Notification.objects.count()
    assert plays_open_night(as_of=today) == 0
    assert Play.objects.count() == 1 and PlayStep.objects.count() == 3
    assert Notification.objects.count() == notes


def test_rerunning_the_night_after_its_play_was_closed_opens_nothing_for_the_same_alert(customer, alice, rescue):
    today = business_today()
    new_red(customer)
    plays_open_night(as_of=today)
    Play.objects.update(status=Play.Status.DONE, closed_on=today, outcome="Called the GM")
    assert plays_open_night(as_of=today) == 0
    assert Play.objects.count() == 1


def test_no_second_play_while_one_is_open_but_a_new_one_once_it_is_closed(customer, rescue):
    today = business_today()
    first_alert = new_red(customer, as_of=today - timedelta(days=3))
    plays_open_night(as_of=today - timedelta(days=3))
    first = Play.objects.get()
    # The customer turns red again (a new alert) while the first play is still open: nothing new.
    first_alert.closed_at = timezone.now()
    first_alert.save()
    second_alert = new_red(customer, as_of=today - timedelta(days=1))
    assert plays_open_night(as_of=today - timedelta(days=1)) == 0
    # Closed, the next red opens a fresh play.
    Play.objects.filter(pk=first.pk).update(status=Play.Status.DONE, closed_on=today - timedelta(days=1), outcome="x")
    second_alert.closed_at = timezone.now()
    second_alert.save()
    third_alert = new_red(customer, as_of=today)
    assert plays_open_night(as_of=today) == 1
    assert Play.objects.open().get().alert == third_alert


def test_a_trip_wire_and_an_expiring_manual_band_each_open_their_playbooks_play(customer, alice):
    today = business_today()
    install_default_playbooks()
    f.AlertFactory(
        customer=customer, kind=AlertKind.TRIPWIRE, as_of=today, details={"tripwires": ["decision_maker_gone"]}
    )
    f.RiskOverrideFactory(customer=customer, starts_on=today - timedelta(days=20), expires_on=today + timedelta(days=3))
    assert plays_open_night(as_of=today) == 2
    plays = {p.trigger: p for p in Play.objects.select_related("playbook")}
    assert set(plays) == {Trigger.DECISION_MAKER_GONE, Trigger.OVERRIDE_EXPIRING}
    gone = plays[Trigger.DECISION_MAKER_GONE]
    assert gone.playbook.trigger == Trigger.DECISION_MAKER_GONE and gone.owner == alice
    assert gone.title == "Rebuild the relationship after a decision maker left"
    assert gone.steps.count() == 3 and gone.due_on == today + timedelta(days=30)
    expiring = plays[Trigger.OVERRIDE_EXPIRING]
    assert expiring.steps.get().due_on == today + timedelta(days=3)


def test_a_manual_band_expiring_later_than_a_week_opens_nothing(customer):
    today = business_today()
    install_default_playbooks()
    f.RiskOverrideFactory(
        customer=customer, starts_on=today - timedelta(days=20), expires_on=today + timedelta(days=30)
    )
    assert plays_open_night(as_of=today) == 0


def test_a_top_reason_of_a_key_account_opens_its_play_and_waits_a_cool_down_after_closing(alice):
    today = business_today()
    install_default_playbooks()
    key = f.CustomerFactory(owner=alice, tier=Tier.KEY)
    reasons = [{"code": "single_contact"}]
    f.RiskSnapshotFactory(customer=key, as_of=today, band=RiskBand.AMBER, computed_band=RiskBand.AMBER, reasons=reasons)
    assert plays_open_night(as_of=today) == 1
    play = Play.objects.get()
    assert (play.trigger, play.reason_code) == (Trigger.SINGLE_THREADED, "single_contact")
    # Closed yesterday, the same condition tonight does not reopen it...
    Play.objects.update(status=Play.Status.DONE, closed_on=today - timedelta(days=1), outcome="Met procurement")
    later = today + timedelta(days=1)
    f.RiskSnapshotFactory(customer=key, as_of=later, band=RiskBand.AMBER, computed_band=RiskBand.AMBER, reasons=reasons)
    assert plays_open_night(as_of=later) == 0
    # ...until the cool-down has passed.
    after = today + timedelta(days=CONDITION_COOL_DOWN_DAYS + 1)
    f.RiskSnapshotFactory(customer=key, as_of=after, band=RiskBand.AMBER, computed_band=RiskBand.AMBER, reasons=reasons)
    assert plays_open_night(as_of=after) == 1


def test_an_inactive_playbook_opens_nothing(customer, rescue):
    rescue.active = False
    rescue.save()
    new_red(customer)
    assert plays_open_night(as_of=business_today()) == 0
    assert not Play.objects.exists() and not Notification.objects.exists()


def test_a_sign_without_a_playbook_opens_nothing(customer):
    new_red(customer)
    assert plays_open_night(as_of=business_today()) == 0
    assert not Play.objects.exists()


def test_a_failure_half_way_leaves_no_plays_no_steps_and_no_notifications(customer, rescue, monkeypatch):
    new_red(customer)

    def broken(messages):
        raise RuntimeError("the notification table is locked")

    monkeypatch.setattr(opening, "notify_bulk", broken)
    with pytest.raises(RuntimeError):
        plays_open_night(as_of=business_today())
    assert not Play.objects.exists() and not PlayStep.objects.exists()
    assert not Play.history.exists() and not Notification.objects.exists()


def _night_with(customers: int, owner, backup):
    today = business_today()
    for n in range(customers):
        customer = f.CustomerFactory(owner=owner, backup_owner=backup)
        new_red(customer)
        f.RiskSnapshotFactory(customer=customer, as_of=today, score=70.0 + n % 10, band=RiskBand.RED)
    return today


# Alerts, snapshots, overrides; playbooks and their steps; taken and recently closed plays; the
# customers and their risk; the plays and their history, the steps and theirs; the notifications.
NIGHT_QUERIES = 15


# A larger book costs the same statements. SQLite caps a statement's parameters, so there a bulk
# insert of many rows splits into more statements: the larger book stays within one statement.
LARGE_NIGHT = 50 if connection.vendor == "postgresql" else 15


@pytest.mark.parametrize("customers", [5, LARGE_NIGHT])
def test_the_night_costs_the_same_queries_for_a_small_and_a_large_night(
    customers, alice, bob, rescue, django_assert_num_queries
):
    today = _night_with(customers, alice, bob)
    with django_assert_num_queries(NIGHT_QUERIES):
        assert plays_open_night(as_of=today) == customers
    assert PlayStep.objects.count() == 3 * customers
    # One notification per person, however many plays: "50 plays" to alice, not 50 messages.
    assert Notification.objects.filter(recipient=alice).count() == 1
    assert Notification.objects.get(recipient=alice).params["count"] == customers
