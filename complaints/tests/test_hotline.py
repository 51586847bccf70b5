"""The hotline: finding the caller's customer and contact, and recording the ticket."""

import pytest
from django.urls import reverse

from accounts.models import RiskBand
from complaints.models import Ticket
from keyaccounts.editing import INVALID
from keyaccounts.tests import factories as f

HTMX = {"HX-Request": "true"}


@pytest.fixture
def caller(customer):
    return f.ContactFactory(customer=customer, name="Wang Li", title="Quality manager", phone="+86 138-0013-8000")


def record_url(customer, contact=None):
    url = reverse("hotline_record", args=[customer.pk])
    return f"{url}?contact={contact.pk}" if contact else url


def ticket_data(**overrides):
    data = {
        "subject": "Housing cracks after two weeks",
        "kind": "complaint",
        "category": "product_quality",
        "severity": "high",
        "channel": "hotline",
        "contact": "",
        "description": "",
    }
    return {**data, **overrides}


# Finding the caller -----------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["Shanghai Precision", "Wang", "13800138000", "138-0013"])
def test_the_desk_finds_the_caller_by_customer_contact_name_or_phone(client, sam, caller, typed):
    client.force_login(sam)
    response = client.get(reverse("hotline"), {"q": typed}, headers=HTMX)
    assert response.status_code == 200
    assert "Shanghai Precision Motors" in response.text


def test_a_contact_found_opens_the_form_with_the_contact_chosen(client, sam, customer, caller):
    client.force_login(sam)
    results = client.get(reverse("hotline"), {"q": "Wang"}, headers=HTMX).text
    assert record_url(customer, caller) in results
    form = client.get(record_url(customer, caller)).text
    assert f'<option value="{caller.pk}" selected>' in form


def test_a_contact_of_another_customer_is_not_preselected(client, sam, customer, oscars_customer):
    stranger = f.ContactFactory(customer=oscars_customer)
    client.force_login(sam)
    form = client.get(record_url(customer, stranger)).text
    assert f'value="{stranger.pk}"' not in form


def test_an_account_manager_finds_only_his_own_customers(client, oscar, caller):
    client.force_login(oscar)
    response = client.get(reverse("hotline"), {"q": "Wang"}, headers=HTMX)
    assert "Shanghai Precision Motors" not in response.text and "Nothing you can see matches" in response.text


def test_the_team_finds_its_customer(client, tina, caller):
    client.force_login(tina)
    assert "Shanghai Precision Motors" in client.get(reverse("hotline"), {"q": "Wang"}).text


def test_the_executive_may_not_use_the_hotline(client, erin, customer):
    client.force_login(erin)
    assert client.get(reverse("hotline")).status_code == 403
    assert client.get(record_url(customer)).status_code == 403
    assert client.post(record_url(customer), ticket_data()).status_code == 403
    assert not Ticket.objects.exists()


def test_an_outsider_gets_a_404_for_another_managers_customer(client, oscar, customer):
    client.force_login(oscar)
    assert client.get(record_url(customer)).status_code == 404
    assert client.post(record_url(customer), ticket_data()).status_code == 404
    assert not Ticket.objects.exists()


# Recording --------------------------------------------------------------------------------------


def test_the_form_shows_the_customers_tier_and_risk_band(client, sam, customer):
    customer.tier = "key"
    customer.save()
    f.RiskSnapshotFactory(customer=customer, band=RiskBand.RED, computed_band=RiskBand.RED)
    client.force_login(sam)
    page = client.get(record_url(customer)).text
    assert 'data-testid="tier"><span class="badge text-bg-primary">Key account' in page
    assert "band-red" in page and "high risk of leaving" in page


@pytest.mark.parametrize("who", ["alice", "bob", "tina", "sam"])
def test_recording_a_quality_complaint_opens_the_ticket_page_routed_to_production(
    client, customer, caller, who, request
):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = client.post(record_url(customer), ticket_data(contact=caller.pk), follow=True)
    ticket = Ticket.objects.get()
    assert response.redirect_chain == [(reverse("ticket_detail", args=[ticket.pk]), 302)]
    assert (ticket.department, ticket.contact, ticket.channel) == ("production", caller, "hotline")
    assert "recorded and sent to production" in response.text
    assert ticket.events.get(kind="created").by == user


def test_a_call_without_subject_or_category_is_refused_and_nothing_is_recorded(client, sam, customer):
    client.force_login(sam)
    response = client.post(record_url(customer), ticket_data(subject="  ", category=""))
    assert response.status_code == INVALID
    assert "This field is required." in response.text
    assert not Ticket.objects.exists()


def test_a_second_call_about_the_same_thing_is_flagged_as_a_recurrence(client, sam, customer):
    client.force_login(sam)
    client.post(record_url(customer), ticket_data())
    response = client.post(record_url(customer), ticket_data(subject="Cracks again"), follow=True)
    first, second = Ticket.objects.order_by("pk")
    assert second.recurrence_of == first
    assert "a recurrence" in response.text


# Query counts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 30])
def test_the_hotline_search_costs_the_same_number_of_queries_for_few_and_many_matches(
    client, sam, n, django_assert_num_queries
):
    for i in range(n):
        customer = f.CustomerFactory(name=f"Wang Industries {i}")
        f.ContactFactory(customer=customer, name=f"Wang Wei {i}")
    client.force_login(sam)
    # session, user, roles, customers, contacts with their customer
    with django_assert_num_queries(5):
        response = client.get(reverse("hotline"), {"q": "Wang"}, headers=HTMX)
    assert response.text.count('data-testid="record-for-contact"') == min(n, 8)


@pytest.mark.parametrize("contacts", [1, 30])
def test_the_recording_form_costs_the_same_number_of_queries_for_few_and_many_contacts(
    client, sam, customer, contacts, django_assert_num_queries
):
    people = [f.ContactFactory(customer=customer) for _ in range(contacts)]
    client.force_login(sam)
    # session, user, roles, customer with owners, contact check, manual band, latest band, contacts
    with django_assert_num_queries(8):
        assert client.get(record_url(customer, people[0])).status_code == 200
