"""A leaving salesperson's book handed to successors: now, dated back (the history reads the
successor from the effective day), or pending until the nightly job; set-based."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from accounts.models import Customer, Handover, HandoverItem
from accounts.risk.as_of import records_as_of_sql
from accounts.services import handover_applied, handover_create, handovers_due
from accounts.tests.test_risk_factors import at as _at
from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f

TODAY = business_today()


def as_of(customer: Customer, day: date) -> dict:
    """The customer's owner, backup owner and team as the risk engine reads them on ``day``."""
    sql, params = records_as_of_sql(
        Customer,
        ["owner", "backup_owner"],
        as_of=day,
        columns=["id"],
        where_sql="c.id = %s",
        where_params=[customer.pk],
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT owner_id, backup_owner_id, history_id FROM ({sql}) x", params)
        owner_id, backup_id, history_id = cursor.fetchone()
        cursor.execute(
            f"SELECT user_id FROM {Customer.history.model._meta.db_table}_account_team WHERE history_id = %s",
            [history_id],
        )
        team = {row[0] for row in cursor.fetchall()}
    return {"owner": owner_id, "backup": backup_id, "team": team}


def recorded_on(customer: Customer, day: date) -> None:
    Customer.history.filter(id=customer.pk).update(history_date=_at(day))


@pytest.fixture
def paul(db):
    return f.account_manager("paul")


def test_a_handover_today_moves_every_place_of_the_leaver(alice, bob, tina, paul, erin, customer):
    backed = f.CustomerFactory(owner=tina, backup_owner=alice)
    on_team = f.CustomerFactory(owner=bob, team=[alice, tina])
    others = f.CustomerFactory(owner=bob)
    handover = handover_create(
        leaver=alice, effective_on=TODAY, successors={c.pk: paul for c in (customer, backed, on_team)}, by=erin
    )
    customer.refresh_from_db(), backed.refresh_from_db(), on_team.refresh_from_db(), others.refresh_from_db()
    assert handover.status == Handover.Status.APPLIED
    assert customer.owner == paul and customer.backup_owner == bob
    assert backed.backup_owner == paul
    assert set(on_team.account_team.all()) == {paul, tina}
    assert others.owner == bob
    assert handover_applied(handover) == sorted([customer.pk, backed.pk, on_team.pk])
    # Audited: a history row per customer, by the executive, saying which handover.
    row = Customer.history.get(id=customer.pk, history_change_reason=f"handover #{handover.pk}")
    assert row.owner_id == paul.pk and row.history_user == erin
    assert {m.user_id for m in row.account_team.all()} == {tina.pk}
    # Rows recorded earlier today (the customer's creation) read the successor too.
    assert set(Customer.history.filter(id=customer.pk).values_list("owner_id", flat=True)) == {paul.pk}


def test_the_successor_who_was_backup_owner_becomes_owner_without_backup(alice, bob, erin, customer):
    handover_create(leaver=alice, effective_on=TODAY, successors={customer.pk: bob}, by=erin)
    customer.refresh_from_db()
    assert customer.owner == bob and customer.backup_owner is None


def test_a_backdated_handover_is_read_as_of_its_effective_day(alice, bob, tina, paul, erin, customer):
    long_ago, effective = TODAY - timedelta(days=100), TODAY - timedelta(days=30)
    recorded_on(customer, long_ago)
    # An edit between the effective day and now: its history row still names alice until corrected.
    customer.peak_months = [7, 8]
    customer.save()
    Customer.history.filter(id=customer.pk, history_date__gt=_at(long_ago)).update(
        history_date=_at(TODAY - timedelta(days=10))
    )

    handover_create(leaver=alice, effective_on=effective, successors={customer.pk: paul}, by=erin)

    before = as_of(customer, effective - timedelta(days=1))
    assert before["owner"] == alice.pk
    assert as_of(customer, effective)["owner"] == paul.pk
    later = as_of(customer, TODAY - timedelta(days=5))
    assert later["owner"] == paul.pk and later["backup"] == bob.pk
    # The backdated row copies the row in force before the day (no peak months yet).
    start_row = Customer.history.filter(id=customer.pk, history_change_reason__startswith="handover").get()
    assert start_row.peak_months == [] and start_row.owner_id == paul.pk


def test_a_handover_dated_ahead_waits_for_the_nightly_job(alice, paul, erin, customer):
    ahead = TODAY + timedelta(days=7)
    handover = handover_create(leaver=alice, effective_on=ahead, successors={customer.pk: paul}, by=erin)
    customer.refresh_from_db()
    assert handover.status == Handover.Status.PENDING and customer.owner == alice
    assert handovers_due(as_of=TODAY) == 0
    assert handovers_due(as_of=ahead) == 1
    customer.refresh_from_db()
    handover.refresh_from_db()
    assert customer.owner == paul and handover.status == Handover.Status.APPLIED
    assert as_of(customer, ahead)["owner"] == paul.pk


@pytest.mark.parametrize(
    "problem",
    ["nobody", "leaver_as_successor", "executive_successor", "not_in_book"],
)
def test_a_bad_handover_is_refused_and_changes_nothing(alice, paul, erin, customer, oscars_customer, problem):
    successors = {
        "nobody": {},
        "leaver_as_successor": {customer.pk: alice},
        "executive_successor": {customer.pk: erin},
        "not_in_book": {customer.pk: paul, oscars_customer.pk: paul},
    }[problem]
    history = Customer.history.count()
    with pytest.raises(ValidationError):
        handover_create(leaver=alice, effective_on=TODAY, successors=successors, by=erin)
    customer.refresh_from_db()
    assert customer.owner == alice
    assert Handover.objects.count() == 0 and Customer.history.count() == history


def _book(alice, bob, n: int) -> dict:
    customers = [f.CustomerFactory(owner=alice, backup_owner=bob, team=[bob]) for _ in range(n)]
    return {c.pk: bob for c in customers}


@pytest.mark.parametrize("n", [3, 30])
def test_a_handover_costs_the_same_queries_for_3_and_30_customers(alice, bob, paul, erin, n, django_assert_num_queries):
    successors = {pk: paul for pk in _book(alice, bob, n)}
    with django_assert_num_queries(HANDOVER_QUERIES):
        handover_create(leaver=alice, effective_on=TODAY - timedelta(days=3), successors=successors, by=erin)
    assert HandoverItem.objects.count() == n
    assert Customer.objects.filter(owner=paul).count() == n


# 22 for the handover itself, 6 for the plays that follow it (plays.action_plays: four statements
# moving the leaver's open plays and steps, the items, the playbooks; no playbook here opens none).
HANDOVER_QUERIES = 28


# The page ------------------------------------------------------------------------------------------


def test_an_executive_hands_over_on_the_page(client, alice, bob, paul, erin, customer):
    client.force_login(erin)
    page = client.get(reverse("handover_new"), {"leaver": alice.pk})
    assert page.status_code == 200 and customer.name in page.content.decode()
    response = client.post(
        reverse("handover_new") + f"?leaver={alice.pk}",
        {"leaver": alice.pk, "effective_on": TODAY.isoformat(), "successor": paul.pk, "customers": [customer.pk]},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    customer.refresh_from_db()
    assert customer.owner == paul
    listing = client.get(reverse("handover_list"))
    assert "Shanghai Precision Motors" in listing.content.decode() or listing.status_code == 200


def test_the_whole_book_at_once_with_one_customer_to_another_successor(client, alice, bob, tina, paul, erin, customer):
    second = f.CustomerFactory(owner=alice)
    client.force_login(erin)
    response = client.post(
        reverse("handover_new") + f"?leaver={alice.pk}",
        {
            "leaver": alice.pk,
            "effective_on": TODAY.isoformat(),
            "successor": paul.pk,
            "whole_book": "on",
            f"to_{second.pk}": tina.username,
        },
    )
    assert response.status_code == 302
    customer.refresh_from_db(), second.refresh_from_db()
    assert customer.owner == paul and second.owner == tina


@pytest.mark.parametrize("who", ["alice", "bob", "sam"])
def test_only_admins_and_executives_hand_over(client, request, customer, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("handover_new")).status_code == 403
    assert client.get(reverse("handover_list")).status_code == 403


def test_a_bad_handover_on_the_page_is_refused_with_its_reason(client, alice, erin, customer):
    client.force_login(erin)
    response = client.post(
        reverse("handover_new") + f"?leaver={alice.pk}",
        {"leaver": alice.pk, "effective_on": TODAY.isoformat(), "successor": erin.pk, "customers": [customer.pk]},
    )
    assert response.status_code == 422
    customer.refresh_from_db()
    assert customer.owner == alice


def test_the_nightly_job_applies_the_handovers_due_before_scoring(alice, paul, erin, customer):
    from accounts import nightly
    from accounts.models import RiskRun, RiskSnapshot

    # Recorded days ago for today: pending until tonight's run.
    handover = f.HandoverFactory(leaver=alice, effective_on=TODAY, created_by=erin)
    f.HandoverItemFactory(handover=handover, customer=customer, successor=paul)
    assert nightly.risk_nightly(as_of=TODAY - timedelta(days=1)).outcome == RiskRun.Outcome.SUCCEEDED
    handover.refresh_from_db()
    assert handover.status == Handover.Status.PENDING
    assert nightly.risk_nightly(as_of=TODAY).outcome == RiskRun.Outcome.SUCCEEDED
    handover.refresh_from_db()
    customer.refresh_from_db()
    assert handover.status == Handover.Status.APPLIED and customer.owner == paul
    assert RiskSnapshot.objects.filter(customer=customer, as_of=TODAY).exists()
    assert as_of(customer, TODAY)["owner"] == paul.pk


def test_the_list_shows_who_left_to_whom_and_how_many(client, alice, paul, tina, erin, customer):
    second = f.CustomerFactory(owner=alice)
    handover_create(leaver=alice, effective_on=TODAY, successors={customer.pk: paul, second.pk: tina}, by=erin)
    client.force_login(erin)
    html = client.get(reverse("handover_list")).content.decode()
    assert "paul, tina" in html and ">2<" in html


def test_a_deactivated_leaver_can_still_be_picked(client, alice, paul, erin, customer):
    alice.is_active = False
    alice.save()
    client.force_login(erin)
    page = client.get(reverse("handover_new"), {"leaver": alice.pk}).content.decode()
    assert f'<option value="{alice.pk}" selected>' in page and customer.name in page
    response = client.post(
        reverse("handover_new") + f"?leaver={alice.pk}",
        {"leaver": alice.pk, "effective_on": TODAY.isoformat(), "successor": paul.pk, "whole_book": "on"},
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.owner == paul


def test_a_handover_is_applied_once(alice, paul, erin, customer):
    from accounts.services import handover_apply

    handover = handover_create(leaver=alice, effective_on=TODAY, successors={customer.pk: paul}, by=erin)
    rows = Customer.history.count()
    assert handover_apply(handover) == []
    assert Customer.history.count() == rows


def test_a_successor_typed_for_one_customer_must_be_able_to_hold_it(client, alice, paul, erin, customer):
    client.force_login(erin)
    response = client.post(
        reverse("handover_new") + f"?leaver={alice.pk}",
        {
            "leaver": alice.pk,
            "effective_on": TODAY.isoformat(),
            "successor": paul.pk,
            "customers": [customer.pk],
            f"to_{customer.pk}": "erin",
        },
    )
    assert response.status_code == 422
    assert "Not someone who may hold a customer: erin" in response.content.decode()
    customer.refresh_from_db()
    assert customer.owner == alice


@pytest.mark.parametrize("n", [3, 30])
def test_the_handover_page_costs_the_same_queries_for_3_and_30_customers(
    client, alice, bob, erin, n, django_assert_num_queries
):
    _book(alice, bob, n)
    client.force_login(erin)
    client.get(reverse("handover_new"), {"leaver": alice.pk})
    with django_assert_num_queries(HANDOVER_PAGE_QUERIES):
        response = client.get(reverse("handover_new"), {"leaver": alice.pk})
    assert response.content.decode().count('name="customers"') == n


HANDOVER_PAGE_QUERIES = 7
