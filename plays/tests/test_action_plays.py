"""Plays that follow an action: a handover moves the leaver's open plays and opens a handover play
per customer for the successor; a churn for a reason we could have acted on opens a win-back play."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import ChurnReason, Customer
from accounts.services import churn_record, churn_recover, handover_apply, handover_create, handovers_due
from complaints.models import Notification
from keyaccounts.clock import business_today
from keyaccounts.editing import edit_version
from keyaccounts.tests import factories as f
from plays.models import Play, Playbook, PlayStep, StepRole, Trigger
from plays.triggers import install_default_playbooks

TODAY = business_today()


@pytest.fixture(autouse=True)
def playbooks(db):
    install_default_playbooks()


@pytest.fixture
def paul(db):
    return f.account_manager("paul")


def handover_plays():
    return Play.objects.filter(trigger=Trigger.HANDOVER)


# Handover ---------------------------------------------------------------------------------------


def test_a_handover_opens_one_handover_play_per_customer_for_its_successor(alice, bob, tina, paul, erin, customer):
    backed = f.CustomerFactory(owner=tina, backup_owner=alice)
    handover_create(leaver=alice, effective_on=TODAY, successors={customer.pk: paul, backed.pk: bob}, by=erin)
    plays = {p.customer_id: p for p in handover_plays()}
    assert set(plays) == {customer.pk, backed.pk}
    assert plays[customer.pk].owner == paul and plays[backed.pk].owner == bob
    play = plays[customer.pk]
    assert play.title == "Hand the account over to its new owner" and play.opened_by == erin
    steps = list(play.steps.order_by("position"))
    assert [s.title for s in steps] == [
        "Introduce the new owner to every active decision maker",
        "Hand over the open tickets and plays",
        "Check in with the customer after the handover",
    ]
    # The successor's own steps are theirs, even where the customer's owner is someone else.
    assert {s.assignee_id for s in steps if s.role == StepRole.OWNER} == {paul.pk}
    assert {s.assignee_id for s in plays[backed.pk].steps.all() if s.role == StepRole.OWNER} == {bob.pk}
    # The successor hears of it; the executive who made the handover does not.
    assert Notification.objects.filter(recipient=paul, kind=Notification.Kind.PLAY).exists()
    assert not Notification.objects.filter(recipient=erin).exists()


def test_the_leavers_open_plays_and_steps_move_to_the_successor_with_history(alice, bob, paul, erin, customer):
    open_play = f.PlayFactory(customer=customer, owner=alice)
    open_step = f.PlayStepFactory(play=open_play, assignee=alice)
    done_step = f.PlayStepFactory(play=open_play, assignee=alice, done_on=TODAY, done_by=alice)
    bobs_step = f.PlayStepFactory(play=open_play, assignee=bob)
    # bob's play with a step for alice: the step moves, the play stays bob's.
    bobs_play = f.PlayFactory(customer=customer, owner=bob)
    alices_step_in_bobs_play = f.PlayStepFactory(play=bobs_play, assignee=alice)
    closed = f.PlayFactory(
        customer=customer, owner=alice, status=Play.Status.DONE, closed_on=TODAY, outcome="Met the buyer"
    )
    closed_step = f.PlayStepFactory(play=closed, assignee=alice)
    elsewhere = f.PlayFactory(customer=f.CustomerFactory(owner=alice), owner=alice)
    handover = handover_create(leaver=alice, effective_on=TODAY, successors={customer.pk: paul}, by=erin)

    def owner(obj):
        obj.refresh_from_db()
        return getattr(obj, "owner_id", None) or obj.assignee_id

    assert owner(open_play) == paul.pk and owner(bobs_play) == bob.pk
    assert owner(open_step) == paul.pk and owner(alices_step_in_bobs_play) == paul.pk
    assert owner(done_step) == alice.pk and owner(bobs_step) == bob.pk
    assert owner(closed) == alice.pk and owner(closed_step) == alice.pk
    assert owner(elsewhere) == alice.pk
    reason = f"handover #{handover.pk}"
    row = Play.history.get(id=open_play.pk, history_change_reason=reason)
    assert row.owner_id == paul.pk and row.history_user == erin and row.title == open_play.title
    assert set(PlayStep.history.filter(history_change_reason=reason).values_list("id", "assignee_id")) == {
        (open_step.pk, paul.pk),
        (alices_step_in_bobs_play.pk, paul.pk),
    }
    assert not Play.history.filter(id__in=[closed.pk, elsewhere.pk, bobs_play.pk], history_change_reason=reason)


def test_applying_twice_or_handing_over_again_opens_no_second_play(alice, bob, paul, erin, customer):
    handover = handover_create(leaver=alice, effective_on=TODAY, successors={customer.pk: paul}, by=erin)
    assert handover_apply(handover) == []
    assert handover_plays().count() == 1
    # paul leaves too while the handover play is open: it moves to bob, no second one opens.
    handover_create(leaver=paul, effective_on=TODAY, successors={customer.pk: bob}, by=erin)
    assert list(handover_plays().values_list("owner_id", flat=True)) == [bob.pk]
    # Once that one is done, the next handover opens a new one.
    handover_plays().update(status=Play.Status.DONE, closed_on=TODAY)
    handover_create(leaver=bob, effective_on=TODAY, successors={customer.pk: paul}, by=erin)
    assert handover_plays().open().get().owner == paul


def test_a_pending_handover_opens_its_plays_when_the_nightly_job_applies_it(alice, paul, erin, customer):
    handover_create(leaver=alice, effective_on=TODAY + timedelta(days=5), successors={customer.pk: paul}, by=erin)
    play = f.PlayFactory(customer=customer, owner=alice)
    assert not handover_plays().exists()
    assert handovers_due(as_of=TODAY + timedelta(days=5)) == 1
    assert handover_plays().get().owner == paul
    play.refresh_from_db()
    assert play.owner == paul
    assert handovers_due(as_of=TODAY + timedelta(days=5)) == 0
    assert handover_plays().count() == 1


def test_an_inactive_handover_playbook_opens_none_but_the_open_plays_still_move(alice, paul, erin, customer):
    Playbook.objects.filter(trigger=Trigger.HANDOVER).update(active=False)
    play = f.PlayFactory(customer=customer, owner=alice)
    handover_create(leaver=alice, effective_on=TODAY, successors={customer.pk: paul}, by=erin)
    assert not handover_plays().exists()
    play.refresh_from_db()
    assert play.owner == paul


def _book(alice, bob, n: int) -> dict:
    customers = [f.CustomerFactory(owner=alice, backup_owner=bob) for _ in range(n)]
    for c in customers:
        f.PlayStepFactory(play=f.PlayFactory(customer=c, owner=alice), assignee=alice)
    return {c.pk: bob for c in customers}


# A larger book costs the same statements. SQLite caps a statement's parameters, so there a bulk
# insert of many rows splits into more statements: the larger book stays within one statement.
LARGE_BOOK = 30 if connection.vendor == "postgresql" else 10


@pytest.mark.parametrize("n", [3, LARGE_BOOK])
def test_a_handover_with_plays_costs_the_same_queries_for_a_small_and_a_large_book(
    alice, bob, paul, erin, n, django_assert_num_queries
):
    successors = {pk: paul for pk in _book(alice, bob, n)}
    Customer.objects.filter(pk__in=successors).update(backup_owner=None)
    with django_assert_num_queries(HANDOVER_WITH_PLAYS_QUERIES):
        handover_create(leaver=alice, effective_on=TODAY, successors=successors, by=erin)
    assert handover_plays().filter(owner=paul).count() == n
    assert Play.objects.filter(trigger=Trigger.MANUAL, owner=paul).count() == n
    assert PlayStep.objects.filter(play__trigger=Trigger.MANUAL, assignee=paul).count() == n


HANDOVER_WITH_PLAYS_QUERIES = 39


# Churn --------------------------------------------------------------------------------------------


def churn(customer, reason, by, day=TODAY):
    customer.refresh_from_db()
    return churn_record(customer=customer, version=edit_version(customer), churned_on=day, reason=reason, by=by)


def win_back_plays():
    return Play.objects.filter(trigger=Trigger.WIN_BACK)


@pytest.mark.parametrize("reason", sorted(ChurnReason.controllable()))
def test_a_controllable_churn_opens_a_win_back_play_for_the_owner(alice, erin, customer, reason):
    churn(customer, reason, erin)
    play = win_back_plays().get()
    assert play.customer == customer and play.owner == alice and play.is_open
    assert play.title == "Win back a lost customer" and play.steps.count() == 3
    assert Notification.objects.filter(recipient=alice, kind=Notification.Kind.PLAY).exists()


@pytest.mark.parametrize("reason", sorted(ChurnReason.uncontrollable()))
def test_an_uncontrollable_churn_opens_no_play(alice, customer, reason):
    churn(customer, reason, alice)
    assert not Play.objects.exists()


def test_churned_again_while_the_win_back_play_is_open_opens_no_second_one(alice, customer):
    churn(customer, ChurnReason.COMPETITOR_PRICE, alice, day=TODAY - timedelta(days=10))
    customer.refresh_from_db()
    churn_recover(customer=customer, version=edit_version(customer), recovered_on=TODAY - timedelta(days=5), by=alice)
    churn(customer, ChurnReason.COMPETITOR_SERVICE, alice)
    assert win_back_plays().count() == 1
    # Closed, the next churn opens a new one.
    win_back_plays().update(status=Play.Status.DONE, closed_on=TODAY, outcome="Regained")
    customer.refresh_from_db()
    churn_recover(customer=customer, version=edit_version(customer), recovered_on=TODAY, by=alice)
    churn(customer, ChurnReason.NEEDS_NOT_MET, alice)
    assert win_back_plays().count() == 2 and win_back_plays().open().count() == 1


def test_a_churn_recorded_on_the_page_opens_the_win_back_play(client, alice, customer):
    customer.refresh_from_db()
    client.force_login(alice)
    response = client.post(
        reverse("account_churn", args=[customer.pk]),
        {
            "version": edit_version(customer),
            "churned_on": TODAY.isoformat(),
            "reason": ChurnReason.COMPLAINTS_UNRESOLVED,
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert win_back_plays().get().owner == alice
