"""Batch writes: created, re-posted without change, updated and audited, refused whole; who may
write where; field-level 400s for input that must never reach the database."""

import json
from datetime import date, timedelta

import pytest
from django.test import Client

from accounts.models import DeliveryLine, Order
from complaints.models import Ticket
from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f
from relationships.models import Cadence, Interaction

pytestmark = pytest.mark.django_db


def interaction(customer, n=1, **changes):
    return {
        "external_id": f"CRM-{n}",
        "customer": customer.code,
        "occurred_on": "2026-01-15",
        "kind": "visit",
        "subject": f"Visit {n}",
        **changes,
    }


def orders(customer, count, **changes):
    return [
        {"number": f"SO-{n:05d}", "customer": customer.code, "ordered_on": "2026-01-02", "amount": "1200.50", **changes}
        for n in range(count)
    ]


def test_post_creates_then_the_same_batch_changes_nothing(api_client, alice, customer):
    client = api_client(alice)
    batch = [interaction(customer, n) for n in range(5)]
    first = client.post_json("/api/v1/interactions/", batch).json()
    assert (first["created"], first["updated"], first["unchanged"]) == (5, 0, 0)
    history = Interaction.history.count()
    again = client.post_json("/api/v1/interactions/", batch).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 5)
    assert Interaction.objects.count() == 5 and Interaction.history.count() == history
    stored = Interaction.objects.get(external_id="CRM-0")
    assert stored.logged_by == alice and stored.history.get().history_user == alice


def test_a_changed_item_updates_its_record_and_is_audited(api_client, alice, customer):
    client = api_client(alice)
    client.post_json("/api/v1/interactions/", [interaction(customer, 1), interaction(customer, 2)])
    answer = client.post_json(
        "/api/v1/interactions/", [interaction(customer, 1, subject="Renamed"), interaction(customer, 2)]
    )
    assert (answer.json()["updated"], answer.json()["unchanged"]) == (1, 1)
    record = Interaction.objects.get(external_id="CRM-1")
    assert record.subject == "Renamed"
    latest = record.history.order_by("-history_date", "-history_id").first()
    assert latest.history_type == "~" and latest.history_user == alice and latest.subject == "Renamed"


def test_a_single_object_is_a_batch_of_one(api_client, alice, customer):
    answer = api_client(alice).post_json("/api/v1/interactions/", interaction(customer))
    assert answer.status_code == 200 and answer.json()["created"] == 1


def test_one_bad_item_refuses_the_whole_batch_with_errors_by_index_and_field(api_client, alice, customer):
    batch = [interaction(customer, n) for n in range(3)]
    batch[1]["occurred_on"] = "9999-12-31"
    batch[2]["kind"] = "telepathy"
    answer = api_client(alice).post_json("/api/v1/interactions/", batch)
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert set(errors) == {"1", "2"} and "occurred_on" in errors["1"] and "kind" in errors["2"]
    assert not Interaction.objects.exists()


def test_an_interaction_before_the_customer_was_one_is_refused(api_client, alice, customer):
    answer = api_client(alice).post_json("/api/v1/interactions/", interaction(customer, occurred_on="2019-12-31"))
    assert answer.status_code == 400 and "occurred_on" in answer.json()["errors"]["0"]


def test_a_key_repeated_within_a_batch_is_refused(api_client, alice, customer):
    answer = api_client(alice).post_json("/api/v1/interactions/", [interaction(customer), interaction(customer)])
    assert answer.status_code == 400 and "external_id" in answer.json()["errors"]["1"]


def test_more_than_1000_items_are_refused(api_client, superuser, customer):
    answer = api_client(superuser).post_json("/api/v1/orders/", orders(customer, 1001))
    assert answer.status_code == 400 and "non_field_errors" in answer.json()
    assert not Order.objects.exists()


def test_a_manager_cannot_write_to_another_managers_customer(api_client, oscar, customer, alice):
    answer = api_client(oscar).post_json("/api/v1/interactions/", interaction(customer))
    assert answer.status_code == 400
    assert answer.json()["errors"]["0"]["customer"]  # the same answer as for a code that does not exist
    api_client(alice).post_json("/api/v1/interactions/", interaction(customer))
    f.CustomerFactory(owner=oscar, code="OSC-1")
    taken = api_client(oscar).post_json("/api/v1/interactions/", {**interaction(customer), "customer": "OSC-1"})
    assert taken.status_code == 400 and "external_id" in taken.json()["errors"]["0"]
    assert Interaction.objects.get().customer == customer


@pytest.mark.parametrize(
    ("username", "endpoint", "status"),
    [
        ("erin", "interactions", 403),
        ("erin", "tickets", 403),
        ("sam", "interactions", 403),
        ("alice", "orders", 403),
        ("sam", "deliveries", 403),
    ],
)
def test_who_may_not_write(api_client, username, endpoint, status, erin, sam, alice, customer, django_user_model):
    user = django_user_model.objects.get(username=username)
    assert api_client(user).post_json(f"/api/v1/{endpoint}/", {}).status_code == status


def test_tickets_open_through_the_ticket_service(api_client, sam, customer):
    body = {
        "external_id": "SD-1",
        "customer": customer.code,
        "kind": "complaint",
        "category": "product_quality",
        "severity": "high",
        "channel": "email",
        "subject": "Cracked  housings",
    }
    client = api_client(sam)
    assert client.post_json("/api/v1/tickets/", body).json()["created"] == 1
    ticket = Ticket.objects.get(external_id="SD-1")
    assert ticket.department == Ticket.Department.PRODUCTION  # routed as the UI routes it
    assert ticket.events.exists()
    assert client.post_json("/api/v1/tickets/", body).json()["unchanged"] == 1
    moved = client.post_json("/api/v1/tickets/", {**body, "severity": "low"})
    assert moved.status_code == 400 and "severity" in moved.json()["errors"]["0"]
    renamed = client.post_json("/api/v1/tickets/", {**body, "subject": "Cracked housings, lot 7"})
    assert renamed.json()["updated"] == 1
    assert ticket.history.order_by("-history_id").first().history_user == sam


# A batch of 1,000 costs a few dozen queries at most, not thousands: one per kind of lookup, and
# the bulk inserts and updates (split in chunks by the database's limit on query parameters).
BATCH_QUERIES = 40


def test_orders_and_deliveries_in_batches_of_1000_with_bounded_queries(
    api_client, superuser, customer, django_assert_max_num_queries
):
    client = api_client(superuser)
    product = f.ProductFactory(sku="P-1")
    batch = orders(customer, 1000)
    with django_assert_max_num_queries(BATCH_QUERIES):
        assert client.post_json("/api/v1/orders/", batch).json()["created"] == 1000
    assert Order.history.filter(history_user=superuser).count() == 1000
    batch[7]["amount"] = "99.00"
    with django_assert_max_num_queries(BATCH_QUERIES):
        answer = client.post_json("/api/v1/orders/", batch).json()
    assert (answer["created"], answer["updated"], answer["unchanged"]) == (0, 1, 999)
    lines = [
        {
            "order": f"SO-{n:05d}",
            "line_no": 1,
            "product": product.sku,
            "quantity_ordered": "5",
            "promised_on": "2026-02-01",
        }
        for n in range(1000)
    ]
    with django_assert_max_num_queries(BATCH_QUERIES):
        assert client.post_json("/api/v1/deliveries/", lines).json()["created"] == 1000
    lines[3].update(quantity_delivered="5", delivered_on="2026-01-30")
    answer = client.post_json("/api/v1/deliveries/", lines).json()
    assert (answer["updated"], answer["unchanged"]) == (1, 999)
    assert DeliveryLine.objects.get(order__number="SO-00003").on_time_in_full


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        json.dumps("a string"),
        json.dumps([]),
        json.dumps([1, 2]),
        json.dumps({"number": "A\u0000B", "customer": "C", "ordered_on": "2026-01-01", "amount": "1"}),
        json.dumps({"number": "\ud800", "customer": "C", "ordered_on": "2026-01-01", "amount": "1"}),
        json.dumps({"number": "N", "customer": "C", "ordered_on": "2026-01-01", "amount": 1e300}),
        json.dumps({"number": "N", "customer": "C", "ordered_on": "2026-01-01", "amount": "NaN"}),
        json.dumps({"number": "N", "customer": "C", "ordered_on": "0001-01-01", "amount": "1"}),
        json.dumps({"number": "N", "customer": "C", "ordered_on": "99999-01-01", "amount": "1"}),
        json.dumps({"number": ["N"], "customer": {"a": 1}, "ordered_on": 5, "amount": True}),
        json.dumps(
            {"order": "N", "line_no": 10**30, "product": "P", "quantity_ordered": "1", "promised_on": "2026-01-01"}
        ),
    ],
)
def test_bad_input_is_a_400_never_a_500(api_client, superuser, customer, body):
    client = api_client(superuser)
    for endpoint in ("orders", "deliveries"):
        answer = client.post(f"/api/v1/{endpoint}/", data=body, content_type="application/json")
        assert answer.status_code == 400, answer.content
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        "updated_since=9999-12-31",
        "updated_since=0000-00-00",
        "customer=99999999999999999999999",
        "band=purple",
        "code=%00",
    ],
)
def test_bad_filters_are_400(api_client, alice, customer, query):
    assert api_client(alice).get(f"/api/v1/customers/?{query}").status_code in (200, 400)
    answer = api_client(alice).get(f"/api/v1/contacts/?{query}")
    assert answer.status_code in (200, 400)


def test_bad_filter_values_name_the_parameter(api_client, alice, customer):
    answer = api_client(alice).get("/api/v1/customers/?updated_since=9999-12-31&band=purple")
    assert answer.status_code == 400 and {"updated_since", "band"} <= set(answer.json())
    answer = api_client(alice).get("/api/v1/contacts/?customer=99999999999999999999999")
    assert answer.status_code == 400 and "customer" in answer.json()


def test_session_writes_need_the_csrf_token(alice, customer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    answer = client.post(
        "/api/v1/interactions/", data=json.dumps(interaction(customer)), content_type="application/json"
    )
    assert answer.status_code == 403


def test_interaction_batches_keep_the_cadences_due_dates(api_client, alice, customer):
    today = business_today()
    cadence = f.CadenceFactory(
        customer=customer, interaction_kind="visit", interval_days=30, starts_on=date(2025, 1, 1)
    )
    client = api_client(alice)
    client.post_json("/api/v1/interactions/", [interaction(customer, 1, occurred_on="2026-01-15")])
    cadence = Cadence.objects.get(pk=cadence.pk)
    assert (cadence.last_met_on, cadence.due_on) == (date(2026, 1, 15), date(2026, 2, 14))
    # An update in a batch, and a meeting dated ahead (stored as the next one).
    ahead = (today + timedelta(days=3)).isoformat()
    client.post_json(
        "/api/v1/interactions/",
        [interaction(customer, 1, occurred_on="2026-01-20"), interaction(customer, 2, occurred_on=ahead)],
    )
    cadence = Cadence.objects.get(pk=cadence.pk)
    assert (cadence.last_met_on, cadence.next_met_on, cadence.due_on) == (
        date(2026, 1, 20),
        today + timedelta(days=3),
        date(2026, 2, 19),
    )
