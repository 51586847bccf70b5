"""The one door for permissions: who sees which customers, and their contacts, interactions and tickets.

The standing cast: alice owns `customer`, bob backs it up, tina is on its account team, oscar owns
`oscars_customer` only, erin is an executive, sam works the service desk.
"""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Alert, AlertKind, Customer
from complaints.models import Ticket
from keyaccounts.tests import factories as f
from relationships.models import Contact, Interaction

BOTH = {"customer", "oscars_customer"}

# Who sees which of the two standing customers.
CAST_SEES = [
    pytest.param("alice", {"customer"}, id="owner"),
    pytest.param("bob", {"customer"}, id="backup_owner"),
    pytest.param("tina", {"customer"}, id="teammate"),
    pytest.param("oscar", {"oscars_customer"}, id="outsider_sees_only_his_own"),
    pytest.param("erin", BOTH, id="executive"),
    pytest.param("sam", BOTH, id="service_desk"),
    pytest.param("superuser", BOTH, id="superuser"),
]


def make_alert(customer):
    return Alert.objects.create(customer=customer, kind=AlertKind.NEW_RED, as_of=date(2026, 1, 1))


# Child records reached through their customer: (model, how to make one for a customer).
CHILDREN = [
    pytest.param(Contact, lambda customer: f.ContactFactory(customer=customer), id="contact"),
    pytest.param(Interaction, lambda customer: f.InteractionFactory(customer=customer), id="interaction"),
    pytest.param(Ticket, lambda customer: f.TicketFactory(customer=customer), id="ticket"),
    pytest.param(Alert, make_alert, id="alert"),
]


@pytest.fixture
def both_customers(customer, oscars_customer):
    return {"customer": customer, "oscars_customer": oscars_customer}


# Customers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "sees"), CAST_SEES)
def test_customers_visible_to_each_member_of_the_cast(who, sees, both_customers, request):
    user = request.getfixturevalue(who)
    visible = Customer.objects.visible_to(user)
    assert set(visible) == {both_customers[name] for name in sees}


def test_inactive_user_sees_no_customers(alice, both_customers):
    alice.is_active = False
    alice.save()
    assert list(Customer.objects.visible_to(alice)) == []


def test_anonymous_visitor_sees_no_customers(both_customers):
    assert list(Customer.objects.visible_to(AnonymousUser())) == []


def test_user_who_is_backup_and_on_the_team_sees_the_customer_once(alice, bob):
    shared = f.CustomerFactory(owner=alice, backup_owner=bob, team=[bob])
    assert list(Customer.objects.visible_to(bob)) == [shared]


def test_owner_also_on_the_team_among_others_sees_the_customer_once(alice, bob, tina):
    shared = f.CustomerFactory(owner=alice, team=[alice, bob, tina])
    assert list(Customer.objects.visible_to(alice)) == [shared]


def test_teammate_of_several_customers_sees_each_once(alice, tina):
    first = f.CustomerFactory(name="A first", owner=alice, team=[tina])
    second = f.CustomerFactory(name="B second", owner=alice, backup_owner=tina, team=[tina])
    assert list(Customer.objects.visible_to(tina)) == [first, second]


def test_account_manager_removed_from_the_team_loses_sight_of_the_customer(customer, tina):
    customer.account_team.remove(tina)
    assert list(Customer.objects.visible_to(tina)) == []


# Contacts, interactions, tickets, alerts --------------------------------------------------------


@pytest.mark.parametrize(("who", "sees"), CAST_SEES)
@pytest.mark.parametrize(("model", "make"), CHILDREN)
def test_child_records_visible_through_their_customer(model, make, who, sees, both_customers, request):
    for each in both_customers.values():
        make(each)
    user = request.getfixturevalue(who)
    visible = model.objects.visible_to(user)
    assert {record.customer for record in visible} == {both_customers[name] for name in sees}
    assert visible.count() == len(sees)


@pytest.mark.parametrize(("model", "make"), CHILDREN)
def test_inactive_user_sees_no_child_records(model, make, alice, both_customers):
    for each in both_customers.values():
        make(each)
    alice.is_active = False
    alice.save()
    assert list(model.objects.visible_to(alice)) == []


@pytest.mark.parametrize(("model", "make"), CHILDREN)
def test_anonymous_visitor_sees_no_child_records(model, make, both_customers):
    for each in both_customers.values():
        make(each)
    assert list(model.objects.visible_to(AnonymousUser())) == []


@pytest.mark.parametrize(("model", "make"), CHILDREN)
def test_child_record_appears_once_for_a_backup_on_the_team(model, make, alice, bob):
    record = make(f.CustomerFactory(owner=alice, backup_owner=bob, team=[bob]))
    assert list(model.objects.visible_to(bob)) == [record]


# Query counts -----------------------------------------------------------------------------------


def queries_to_list(queryset_for) -> int:
    """Queries spent listing what alice sees, with her roles not yet cached (as on a new request)."""
    fresh_alice = get_user_model().objects.get(username="alice")
    with CaptureQueriesContext(connection) as queries:
        listed = list(queryset_for(fresh_alice))
    assert listed, "nothing listed: the count would prove nothing"
    return len(queries)


@pytest.mark.parametrize(
    ("model", "make"),
    [pytest.param(Customer, lambda customer: customer, id="customer"), *CHILDREN],
)
def test_listing_visible_records_costs_the_same_queries_for_many_customers(model, make, alice, tina):
    make(f.CustomerFactory(owner=alice, team=[tina]))
    with_one = queries_to_list(model.objects.visible_to)

    for _ in range(15):
        make(f.CustomerFactory(owner=alice, team=[tina]))
        make(f.CustomerFactory(owner=f.account_manager("someone_else"), backup_owner=alice))
    with_thirty_one = queries_to_list(model.objects.visible_to)

    assert with_thirty_one == with_one
