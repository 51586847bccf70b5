"""The quick "new complaint" form of the customer page, and the ticket_open service behind it."""

from datetime import date, datetime, timedelta
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import Tier
from complaints.models import Severity, SlaPolicy, Ticket, TicketEvent
from complaints.services import ticket_open
from keyaccounts.editing import INVALID
from keyaccounts.tests import factories as f

HTMX = {"HX-Request": "true"}
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def new_url(customer):
    return reverse("ticket_quick_open", args=[customer.pk])


@pytest.fixture
def policies(db):
    f.SlaPolicyFactory(tier=Tier.KEY, severity=Severity.HIGH, response_hours=4, resolution_hours=48)
    f.SlaPolicyFactory(tier=Tier.REGULAR, severity=Severity.HIGH, response_hours=24, resolution_hours=120)


@pytest.fixture
def key_customer(customer):
    customer.tier = Tier.KEY
    customer.save()
    return customer


@pytest.fixture
def buyer(customer):
    return f.ContactFactory(customer=customer, name="Wang Li", title="Purchasing manager")


def ticket_data(**overrides):
    data = {
        "subject": "Bearings arrived corroded",
        "kind": "complaint",
        "category": "delivery",
        "severity": "high",
        "channel": "hotline",
        "contact": "",
        "description": "Two pallets, batch 4471",
    }
    data.update(overrides)
    return data


# Who may record a complaint ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "bob", "tina", "sam"])
def test_the_account_team_and_the_service_desk_record_a_complaint(client, customer, policies, who, request):
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(new_url(customer), headers=HTMX).status_code == 200
    response = client.post(new_url(customer), ticket_data(), headers=HTMX)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == reverse("customer_detail", args=[customer.pk])
    ticket = Ticket.objects.get(customer=customer)
    assert ticket.status == Ticket.Status.NEW and ticket.history.first().history_user == user
    assert TicketEvent.objects.get(ticket=ticket, kind="created").by == user


def test_the_service_desk_records_complaints_for_any_customer(client, sam, oscars_customer):
    client.force_login(sam)
    response = client.post(new_url(oscars_customer), ticket_data())
    assert response.status_code == 302
    assert Ticket.objects.filter(customer=oscars_customer).count() == 1


def test_an_outsider_gets_a_404_and_nothing_is_written(client, oscar, customer):
    client.force_login(oscar)
    assert client.get(new_url(customer)).status_code == 404
    assert client.post(new_url(customer), ticket_data()).status_code == 404
    assert not Ticket.objects.exists()


def test_an_executive_gets_a_403_and_nothing_is_written(client, erin, customer):
    client.force_login(erin)
    assert client.get(new_url(customer)).status_code == 403
    assert client.post(new_url(customer), ticket_data()).status_code == 403
    assert not Ticket.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, customer):
    response = client.post(new_url(customer), ticket_data())
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert not Ticket.objects.exists()


def _button(user, customer) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return render_to_string("complaints/_quick_complaint_button.html", {"customer": customer}, request=request)


def test_the_button_shows_for_those_who_may_record_and_not_for_executives(alice, sam, erin, customer):
    assert new_url(customer) in _button(alice, customer)
    assert new_url(customer) in _button(sam, customer)
    assert _button(erin, customer).strip() == ""
    assert _button(AnonymousUser(), customer).strip() == ""


# What gets recorded ------------------------------------------------------------------------------


def test_sla_due_times_come_from_the_policy_of_the_customers_tier_and_severity(key_customer, alice, policies):
    with patch("django.utils.timezone.now", return_value=NOW):
        ticket = ticket_open(customer=key_customer, by=alice, **{**ticket_data(), "contact": None})
    assert ticket.opened_at == NOW
    assert ticket.response_due_at == NOW + timedelta(hours=4)
    assert ticket.resolution_due_at == NOW + timedelta(hours=48)


def test_a_regular_customer_gets_the_regular_tiers_targets(client, alice, customer, policies):
    client.force_login(alice)
    client.post(new_url(customer), ticket_data())
    ticket = Ticket.objects.get()
    assert ticket.response_due_at - ticket.opened_at == timedelta(hours=24)
    assert ticket.resolution_due_at - ticket.opened_at == timedelta(hours=120)


def test_without_a_policy_the_ticket_has_no_due_times_and_the_message_says_so(client, alice, customer):
    # The migration seeds a policy per tier and severity; an admin may delete one.
    SlaPolicy.objects.filter(tier=customer.tier, severity="low").delete()
    client.force_login(alice)
    client.post(new_url(customer), ticket_data(severity="low"))
    ticket = Ticket.objects.get()
    assert ticket.response_due_at is None and ticket.resolution_due_at is None
    page = client.get(reverse("customer_detail", args=[customer.pk])).text
    assert f"Ticket #{ticket.pk}" in page and "no response deadline" in page


def test_the_customer_page_names_the_ticket_and_its_response_due_time(client, alice, key_customer, policies):
    client.force_login(alice)
    with patch("django.utils.timezone.now", return_value=NOW):
        response = client.post(new_url(key_customer), ticket_data(), follow=True)
    ticket = Ticket.objects.get()
    assert response.redirect_chain == [(reverse("customer_detail", args=[key_customer.pk]), 302)]
    assert f"Ticket #{ticket.pk} “Bearings arrived corroded” recorded. Response due by 2 Mar 2026 13:30" in (
        response.text
    )


def test_a_quality_complaint_goes_to_production_when_it_opens(alice, key_customer, policies):
    with patch("django.utils.timezone.now", return_value=NOW):
        ticket = ticket_open(
            customer=key_customer, by=alice, **{**ticket_data(category="product_quality"), "contact": None}
        )
    assert ticket.department == Ticket.Department.PRODUCTION
    assert ticket.escalated_at == NOW == ticket.opened_at
    assert list(ticket.events.values_list("kind", "by")) == [("created", alice.pk), ("escalation", alice.pk)]


def test_the_success_message_says_a_quality_complaint_went_to_production(client, alice, customer):
    client.force_login(alice)
    response = client.post(new_url(customer), ticket_data(category="product_quality"), follow=True)
    assert f"Ticket #{Ticket.objects.get().pk} “Bearings arrived corroded” recorded and sent to production." in (
        response.text
    )
    assert Ticket.objects.get().department == "production"


@pytest.mark.parametrize(
    ("kind", "category"),
    [("complaint", "delivery"), ("service_request", "product_quality")],
    ids=["delivery-complaint", "quality-service-request"],
)
def test_other_tickets_stay_with_the_service_desk(alice, customer, kind, category):
    ticket = ticket_open(customer=customer, by=alice, **{**ticket_data(kind=kind, category=category), "contact": None})
    assert ticket.department == Ticket.Department.SERVICE and ticket.escalated_at is None
    assert list(ticket.events.values_list("kind", flat=True)) == ["created"]


def test_the_customers_own_contact_is_recorded(client, alice, customer, buyer):
    client.force_login(alice)
    client.post(new_url(customer), ticket_data(contact=buyer.pk))
    assert Ticket.objects.get().contact == buyer


# Refused input -----------------------------------------------------------------------------------


def test_another_customers_contact_is_refused_and_nothing_is_written(client, alice, customer, oscars_customer):
    foreign = f.ContactFactory(customer=oscars_customer, name="Not yours")
    client.force_login(alice)
    response = client.post(new_url(customer), ticket_data(contact=foreign.pk), headers=HTMX)
    assert response.status_code == INVALID
    assert "Choose one of this customer&#x27;s current contacts." in response.text
    assert 'value="Bearings arrived corroded"' in response.text  # what was typed is kept
    assert not Ticket.objects.exists() and not TicketEvent.objects.exists()


def test_a_contact_who_has_left_is_refused(client, alice, customer):
    gone = f.ContactFactory(customer=customer, name="Gone", joined_on=date(2020, 1, 1), left_on=date(2021, 1, 1))
    client.force_login(alice)
    response = client.post(new_url(customer), ticket_data(contact=gone.pk), headers=HTMX)
    assert response.status_code == INVALID and not Ticket.objects.exists()


def test_the_form_offers_only_the_customers_current_contacts(client, alice, customer, buyer, oscars_customer):
    f.ContactFactory(customer=oscars_customer, name="Outsider contact")
    f.ContactFactory(customer=customer, name="Former buyer", left_on=date(2021, 1, 1))
    client.force_login(alice)
    page = client.get(new_url(customer), headers=HTMX).text
    assert "Wang Li · Purchasing manager" in page
    assert "Outsider contact" not in page and "Former buyer" not in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"subject": "   "}, "subject", "required"),
        ({"severity": "apocalyptic"}, "severity", "valid choice"),
        ({"kind": "praise"}, "kind", "valid choice"),
        ({"category": ""}, "category", "required"),
        ({"channel": "fax"}, "channel", "valid choice"),
    ],
    ids=["blank-subject", "bad-severity", "bad-kind", "no-category", "bad-channel"],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_written(client, alice, customer, overrides, field, message):
    client.force_login(alice)
    response = client.post(new_url(customer), ticket_data(**overrides), headers=HTMX)
    assert response.status_code == INVALID
    assert message in " ".join(response.context["form"].errors[field])
    assert not Ticket.objects.exists()


def test_a_full_page_request_with_bad_input_gets_the_page_back_with_a_422(client, sam, customer):
    client.force_login(sam)
    response = client.post(new_url(customer), ticket_data(subject=""))
    assert response.status_code == INVALID and "<html" in response.text
    assert not Ticket.objects.exists()


def test_the_service_refuses_another_customers_contact(alice, customer, oscars_customer):
    foreign = f.ContactFactory(customer=oscars_customer)
    with pytest.raises(ValidationError):
        ticket_open(customer=customer, by=alice, **{**ticket_data(), "contact": foreign})
    assert not Ticket.objects.exists()


# The form shows what matters while recording -----------------------------------------------------


def test_the_form_shows_the_customers_tier_and_current_risk_band(client, sam, key_customer):
    f.RiskSnapshotFactory(customer=key_customer, as_of=date(2026, 1, 1), band="green", computed_band="green")
    f.RiskSnapshotFactory(customer=key_customer, as_of=date(2026, 2, 1), band="red", computed_band="red")
    client.force_login(sam)
    status = client.get(new_url(key_customer), headers=HTMX).text.split('data-testid="ticket-customer-status"')[1]
    status = status.split("</div>")[0]
    assert "Key account" in status and "band-red" in status and "band-green" not in status


def test_a_manual_band_in_force_is_the_band_shown(client, alice, customer):
    f.RiskSnapshotFactory(customer=customer, band="red", computed_band="red")
    f.RiskOverrideFactory(customer=customer, band="amber", set_by=alice)
    client.force_login(alice)
    assert "band-amber" in client.get(new_url(customer), headers=HTMX).text


# session, user, roles (visibility and permission), customer, contacts, manual band, latest snapshot
FORM_QUERIES = 7


@pytest.mark.parametrize("n", [3, 30])
def test_the_form_takes_the_same_queries_for_3_and_30_contacts(client, alice, customer, n, django_assert_num_queries):
    f.ContactFactory.create_batch(n, customer=customer)
    client.force_login(alice)
    with django_assert_num_queries(FORM_QUERIES):
        response = client.get(new_url(customer), headers=HTMX)
    choices = len(Ticket.Kind.choices) + 1 + len(Ticket.Category.choices) + len(Severity.choices)
    assert response.text.count("<option") == n + 1 + choices + len(Ticket.Channel.choices)
