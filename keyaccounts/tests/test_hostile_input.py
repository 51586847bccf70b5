"""Hostile query parameters get a clear answer, never a server error (and write nothing)."""

import pytest
from django.urls import reverse

from complaints.models import Ticket
from keyaccounts.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_in(client):
    alice = f.account_manager("alice")
    client.force_login(alice)
    return alice


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("search", {"q": "Li\x00"}),
        ("search_live", {"q": "\x00x"}),
        ("hotline", {"q": "Ningbo\x00"}),
        ("home", {"q": "a\x00b"}),
    ],
)
def test_a_nul_character_in_a_query_is_refused_with_400(client, alice_in, name, params):
    response = client.get(reverse(name), params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


def test_a_nul_character_in_a_posted_form_is_refused_and_nothing_is_written(client, alice_in):
    customer = f.CustomerFactory(owner=alice_in)
    url = reverse("hotline_record", args=[customer.pk])
    data = {"subject": "Broken\x00seal", "kind": "complaint"}
    # A url-encoded form is refused before the view; a multipart one by its form.
    encoded = client.post(url, "subject=Broken%00seal&kind=complaint", content_type="application/x-www-form-urlencoded")
    assert encoded.status_code == 400
    multipart = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert multipart.status_code == 422
    assert "Null characters are not allowed" in multipart.content.decode()
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("contact", ["²", "١٢", "9" * 40, "-1", "1e3"])
def test_an_odd_contact_in_the_hotline_record_link_is_ignored(client, alice_in, contact):
    customer = f.CustomerFactory(owner=alice_in)
    response = client.get(reverse("hotline_record", args=[customer.pk]), {"contact": contact})
    assert response.status_code == 200


@pytest.mark.parametrize("value", ["²", "٣"])
def test_odd_digits_in_the_model_quality_comparison_are_a_message(client, value):
    client.force_login(f.executive("erin"))
    response = client.get(reverse("risk_quality_compare"), {"a": value, "b": "1"})
    assert response.status_code == 400
