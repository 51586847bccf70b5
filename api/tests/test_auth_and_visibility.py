"""Token authentication, and each read endpoint's visibility for the cast (conftest.py at the
root): owner alice, backup bob, teammate tina, outsider oscar, executive erin, desk sam, admin adam."""

from datetime import date

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from keyaccounts.tests import factories as f

pytestmark = pytest.mark.django_db


def test_no_token_is_401_and_says_how_to_sign_in(customer):
    response = Client().get("/api/v1/customers/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_bad_token_is_401(customer):
    response = Client().get("/api/v1/customers/", HTTP_AUTHORIZATION="Token not-a-real-key")
    assert response.status_code == 401


def test_a_revoked_token_no_longer_signs_in(api_client, alice, customer):
    client = api_client(alice)
    assert client.get("/api/v1/customers/").status_code == 200
    Token.objects.filter(user=alice).delete()
    assert client.get("/api/v1/customers/").status_code == 401


def test_an_inactive_users_token_is_refused(api_client, alice, customer):
    client = api_client(alice)
    alice.is_active = False
    alice.save()
    assert client.get("/api/v1/customers/").status_code == 401


@pytest.fixture
def world(customer, oscars_customer, alice, bob, tina, oscar, erin, sam, adam):
    """One record of each kind on alice's customer and on oscar's."""
    version = f.RiskModelVersionFactory()
    records = {}
    for name, each in (("alice", customer), ("oscar", oscars_customer)):
        contact = f.ContactFactory(customer=each)
        interaction = f.InteractionFactory(customer=each)
        snapshot = f.RiskSnapshotFactory(customer=each, model_version=version, as_of=date(2026, 1, 31))
        ticket = f.TicketFactory(customer=each)
        order = f.OrderFactory(customer=each)
        line = f.DeliveryLineFactory(order=order)
        alert = f.AlertFactory(customer=each)
        alert.recipients.set([each.owner])
        records[name] = {
            "customers": each,
            "contacts": contact,
            "interactions": interaction,
            "risk-snapshots": snapshot,
            "tickets": ticket,
            "orders": order,
            "deliveries": line,
            "alerts": alert,
        }
    return records


ENDPOINTS = ("customers", "contacts", "interactions", "risk-snapshots", "tickets", "orders", "deliveries", "alerts")
# Who reads alice's records (and oscar's) through the API: the UI's rules.
SEES_ALICES = {"alice": True, "bob": True, "tina": True, "oscar": False, "erin": True, "sam": True, "adam": True}
SEES_OSCARS = {"alice": False, "bob": False, "tina": False, "oscar": True, "erin": True, "sam": True, "adam": True}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("username", sorted(SEES_ALICES))
def test_each_endpoint_shows_what_the_ui_shows(api_client, world, endpoint, username, django_user_model):
    user = django_user_model.objects.get(username=username)
    client = api_client(user)
    listed = {row["id"] for row in client.get(f"/api/v1/{endpoint}/").json()["results"]}
    alices, oscars = world["alice"][endpoint], world["oscar"][endpoint]
    sees_alices, sees_oscars = SEES_ALICES[username], SEES_OSCARS[username]
    if endpoint == "alerts" and username in ("bob", "tina", "sam"):
        # Alerts as on the Today page: those addressed to the user (here the owner) — executives
        # and admins see every visible one.
        sees_alices = sees_oscars = False
    assert (alices.pk in listed) is sees_alices
    assert (oscars.pk in listed) is sees_oscars
    detail = client.get(f"/api/v1/{endpoint}/{alices.pk}/")
    assert detail.status_code == (200 if sees_alices else 404)


def test_another_managers_customer_reads_as_404(api_client, world, oscar, customer):
    client = api_client(oscar)
    assert client.get(f"/api/v1/customers/{customer.pk}/").status_code == 404
    assert client.get(f"/api/v1/customers/?code={customer.code}").json()["results"] == []
    assert client.get(f"/api/v1/contacts/?customer={customer.pk}").json()["results"] == []


def test_snapshots_carry_factors_and_reasons(api_client, alice, customer):
    f.RiskSnapshotFactory(
        customer=customer,
        factors={"price": {"risk": 80, "weight": 15, "signals": {}}},
        reasons=[{"factor": "price", "code": "price_above_market"}],
        tripwires=["key_contact_left"],
    )
    row = api_client(alice).get("/api/v1/risk-snapshots/").json()["results"][0]
    assert row["factors"]["price"]["risk"] == 80
    assert row["reasons"] == [{"factor": "price", "code": "price_above_market"}]
    assert row["tripwires"] == ["key_contact_left"]


def test_the_customer_list_shows_the_ui_band_and_filters_by_it(api_client, alice, customer):
    other = f.CustomerFactory(owner=alice)
    f.RiskSnapshotFactory(customer=customer, band="amber", score=55.0, as_of=date(2026, 1, 31))
    f.RiskSnapshotFactory(customer=other, band="green", score=10.0, as_of=date(2026, 1, 31))
    f.RiskOverrideFactory(customer=other, band="red", set_by=alice)
    client = api_client(alice)
    rows = {row["id"]: row for row in client.get("/api/v1/customers/").json()["results"]}
    assert rows[customer.pk]["band"] == "amber" and rows[customer.pk]["score"] == 55.0
    assert rows[other.pk]["band"] == "red"  # the manual band wins, as in the UI
    assert rows[other.pk]["computed_band"] == "green"
    assert [r["id"] for r in client.get("/api/v1/customers/?band=red").json()["results"]] == [other.pk]
    assert client.get("/api/v1/customers/?owner=alice&tier=regular").json()["results"]


def test_cursor_pagination_walks_every_row_once(api_client, alice):
    f.CustomerFactory.create_batch(7, owner=alice)
    client = api_client(alice)
    seen, url = [], "/api/v1/customers/?page_size=3"
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 7
