"""The API's permission matrix equals the UI's, and the customer list costs the same number of
queries whatever its length."""

from datetime import date, timedelta
from itertools import count

import pytest
from django.test import Client
from django.urls import reverse

from keyaccounts.tests import factories as f

pytestmark = pytest.mark.django_db

CAST = ("alice", "bob", "tina", "oscar", "erin", "sam", "adam", "root")


@pytest.fixture
def book(customer, oscars_customer, alice, bob, tina, oscar, erin, sam, adam, superuser):
    """Three customers (alice's with bob and tina, oscar's, and one tina owns with oscar on its
    team), each with two contacts and a ticket."""
    third = f.CustomerFactory(name="Tianjin Valves", owner=tina, team=[oscar])
    customers = [customer, oscars_customer, third]
    for each in customers:
        for n in range(2):
            f.ContactFactory(customer=each, name=f"Contact {each.pk}-{n} Zq")
        f.TicketFactory(customer=each)
    return customers


def _api_ids(client, endpoint):
    ids, url = set(), f"/api/v1/{endpoint}/?page_size=1000"
    while url:
        page = client.get(url).json()
        ids |= {row["id"] for row in page["results"]}
        url = page["next"]
    return ids


@pytest.mark.parametrize("username", CAST)
def test_the_api_reaches_exactly_what_the_ui_reaches(api_client, book, username, django_user_model):
    from complaints.models import Ticket
    from relationships.models import Contact

    user = django_user_model.objects.get(username=username)
    ui = Client()
    ui.force_login(user)
    api = api_client(user)

    ui_customers, ui_contacts = set(), set()
    for customer in book:
        page = ui.get(reverse("customer_detail", args=[customer.pk]))
        assert page.status_code in (200, 404)
        if page.status_code == 200:
            ui_customers.add(customer.pk)
            # The contacts are in the relationship section, which the page loads from its own URL.
            html = ui.get(reverse("relationship_section", args=[customer.pk])).content.decode()
            ui_contacts |= {c.pk for c in Contact.objects.filter(customer=customer) if c.name in html}
    ui_tickets = {
        t.pk for t in Ticket.objects.all() if ui.get(reverse("ticket_detail", args=[t.pk])).status_code == 200
    }

    assert _api_ids(api, "customers") == ui_customers
    assert _api_ids(api, "contacts") == ui_contacts
    assert _api_ids(api, "tickets") == ui_tickets
    assert ui_customers, "everyone in the cast sees some customer"


def _customer_list_queries(client, django_assert_num_queries, expected):
    with django_assert_num_queries(expected) as captured:
        response = client.get("/api/v1/customers/?page_size=1000")
    assert response.status_code == 200
    return captured, response.json()["results"]


# Token + user, the user's roles, the newest scoring day, the page itself.
CUSTOMER_LIST_QUERIES = 4


@pytest.mark.parametrize("who", ["alice", "erin"])
def test_the_customer_list_costs_the_same_queries_for_10_and_300_rows(
    api_client, alice, erin, who, django_assert_num_queries
):
    version = f.RiskModelVersionFactory()
    oscar = f.account_manager("oscar")

    def add(count):
        for _ in range(count):
            customer = f.CustomerFactory(owner=alice, backup_owner=oscar)
            f.RiskSnapshotFactory(customer=customer, model_version=version)

    user = alice if who == "alice" else erin
    client = api_client(user)
    add(10)
    _captured, rows = _customer_list_queries(client, django_assert_num_queries, CUSTOMER_LIST_QUERIES)
    assert len(rows) == 10 and all(row["band"] == "amber" and row["backup_owner"] == "oscar" for row in rows)
    add(290)
    _captured, rows = _customer_list_queries(client, django_assert_num_queries, CUSTOMER_LIST_QUERIES)
    assert len(rows) == 300


def test_every_list_costs_the_same_queries_for_few_and_many_rows(api_client, superuser, django_assert_max_num_queries):
    customer = f.CustomerFactory(owner=f.account_manager("alice"))
    client = api_client(superuser)
    days = count()
    endpoints = ("contacts", "interactions", "risk-snapshots", "alerts", "tickets", "orders", "deliveries")

    def add():
        contact = f.ContactFactory(customer=customer)
        interaction = f.InteractionFactory(customer=customer)
        interaction.contacts.add(contact)
        f.RiskSnapshotFactory(customer=customer, as_of=date(2026, 1, 1) + timedelta(days=next(days)))
        f.AlertFactory(customer=customer, kind="tripwire", closed_at="2026-01-01T00:00:00Z")
        f.TicketFactory(customer=customer)
        f.DeliveryLineFactory(order=f.OrderFactory(customer=customer))

    add()
    few = {}
    for endpoint in endpoints:
        with django_assert_max_num_queries(10) as captured:
            assert client.get(f"/api/v1/{endpoint}/").status_code == 200
        few[endpoint] = len(captured)
    for _ in range(20):
        add()
    for endpoint in endpoints:
        with django_assert_max_num_queries(few[endpoint]):
            rows = client.get(f"/api/v1/{endpoint}/").json()["results"]
        assert len(rows) >= 20, endpoint
