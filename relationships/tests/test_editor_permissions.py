"""Who may open and send each editor of the relationship section.

Owner, backup owner and teammate edit; another account manager gets a 404 (the customer's ids do
not leak); executives and the service desk read the page but get a 403 from every editor;
anonymous users are sent to the login page. Refused requests write nothing, history included.
"""

from datetime import timedelta

import pytest
from django.urls import reverse

from keyaccounts.editing import edit_version
from keyaccounts.tests import factories as f
from relationships.models import InteractionKind
from relationships.services import interaction_version

from .conftest import EDITORS, HTMX, READ_ONLY, written

pytestmark = pytest.mark.django_db


def _endpoints(customer, gm, visit, cadence, alice, today):
    """(url name, url arguments, a valid post) for every editor."""
    contact = {
        "name": "Chen Jie",
        "title": "Quality manager",
        "department": "quality",
        "buying_role": "influencer",
        "influence": 3,
        "trust": 3,
        "internal_owner": alice.pk,
        "joined_on": today.isoformat(),
    }
    return {
        "contact_create": ([customer.pk], contact),
        "contact_update": ([customer.pk, gm.pk], {**contact, "name": "Wang Wei", "version": edit_version(gm)}),
        "contact_left": ([customer.pk, gm.pk], {"left_on": today.isoformat(), "version": edit_version(gm)}),
        "interaction_log": (
            [customer.pk],
            {
                "occurred_on": today.isoformat(),
                "kind": InteractionKind.VISIT,
                "contacts": [gm.pk],
                "our_people": [alice.pk],
            },
        ),
        "interaction_update": (
            [customer.pk, visit.pk],
            {
                "occurred_on": visit.occurred_on.isoformat(),
                "kind": InteractionKind.MEETING,
                "subject": "Line audit",
                "contacts": [gm.pk],
                "our_people": [alice.pk],
                "version": interaction_version(visit),
            },
        ),
        "cadence_create": (
            [customer.pk],
            {
                "name": "Monthly call",
                "interaction_kind": InteractionKind.CALL,
                "interval_days": 30,
                "starts_on": today.isoformat(),
                "owner": alice.pk,
            },
        ),
        "cadence_update": (
            [customer.pk, cadence.pk],
            {
                "name": "Half-yearly executive meeting",
                "interaction_kind": cadence.interaction_kind,
                "interval_days": 180,
                "starts_on": cadence.starts_on.isoformat(),
                "owner": alice.pk,
                "version": edit_version(cadence),
            },
        ),
        "cadence_end": ([customer.pk, cadence.pk], {"ends_on": today.isoformat(), "version": edit_version(cadence)}),
    }


ENDPOINTS = [
    "contact_create",
    "contact_update",
    "contact_left",
    "interaction_log",
    "interaction_update",
    "cadence_create",
    "cadence_update",
    "cadence_end",
]


@pytest.fixture
def endpoint(request, customer, gm, visit, cadence, alice, today):
    args, data = _endpoints(customer, gm, visit, cadence, alice, today)[request.param]
    return reverse(request.param, args=args), data


@pytest.mark.parametrize("endpoint", ENDPOINTS, indirect=True)
@pytest.mark.parametrize("who", EDITORS)
def test_owner_backup_and_teammate_open_the_editor(client, request, who, endpoint):
    client.force_login(request.getfixturevalue(who))
    url, _ = endpoint
    response = client.get(url, headers=HTMX)
    assert response.status_code == 200
    assert f'hx-post="{url}"' in response.text
    assert 'hx-target="#section-relationships"' in response.text


@pytest.mark.parametrize("endpoint", ENDPOINTS, indirect=True)
@pytest.mark.parametrize("who", EDITORS)
def test_owner_backup_and_teammate_save_and_get_the_section_back(client, request, who, endpoint):
    user = request.getfixturevalue(who)
    client.force_login(user)
    url, data = endpoint
    before = written()
    response = client.post(url, data, headers=HTMX)
    assert response.status_code == 200, response.text[:3000]
    assert response.text.lstrip().startswith('<section id="section-relationships"')
    assert 'data-testid="relationships-saved"' in response.text
    assert written() != before


@pytest.mark.parametrize("endpoint", ENDPOINTS, indirect=True)
def test_without_htmx_a_save_redirects_to_the_section_of_the_customer_page(client, alice, customer, endpoint):
    client.force_login(alice)
    url, data = endpoint
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("customer_detail", args=[customer.pk]) + "#section-relationships"
    page = client.get(response["Location"]).text
    assert "data-ka-toast" in page


@pytest.mark.parametrize("endpoint", ENDPOINTS, indirect=True)
def test_without_htmx_the_editor_is_a_page_of_its_own(client, alice, customer, endpoint):
    client.force_login(alice)
    url, _ = endpoint
    response = client.get(url)
    assert response.status_code == 200
    assert "<html" in response.text and f'action="{url}"' in response.text
    # There is no section on this page for htmx to swap: the form posts as a plain form.
    assert f'hx-post="{url}"' not in response.text
    assert customer.name in response.text


@pytest.mark.parametrize("endpoint", ENDPOINTS, indirect=True)
def test_another_account_manager_gets_a_404_and_writes_nothing(client, oscar, endpoint):
    client.force_login(oscar)
    url, data = endpoint
    before = written()
    assert client.get(url, headers=HTMX).status_code == 404
    assert client.post(url, data, headers=HTMX).status_code == 404
    assert written() == before


@pytest.mark.parametrize("endpoint", ENDPOINTS, indirect=True)
@pytest.mark.parametrize("who", READ_ONLY)
def test_executives_and_service_desk_get_a_403_and_write_nothing(client, request, who, endpoint):
    client.force_login(request.getfixturevalue(who))
    url, data = endpoint
    before = written()
    assert client.get(url, headers=HTMX).status_code == 403
    assert client.post(url, data, headers=HTMX).status_code == 403
    assert written() == before


@pytest.mark.parametrize("endpoint", ENDPOINTS, indirect=True)
def test_anonymous_users_are_sent_to_log_in_and_nothing_is_written(client, endpoint):
    url, data = endpoint
    before = written()
    for response in (client.get(url), client.post(url, data)):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert written() == before


@pytest.mark.parametrize("name", ["contact_update", "contact_left"])
def test_a_contact_of_another_customer_is_a_404_through_this_customer(client, alice, customer, strangers_contact, name):
    client.force_login(alice)
    before = written()
    url = reverse(name, args=[customer.pk, strangers_contact.pk])
    assert client.get(url, headers=HTMX).status_code == 404
    assert client.post(url, {"name": "Hijacked", "left_on": "2025-01-01"}, headers=HTMX).status_code == 404
    assert written() == before


def test_an_interaction_or_cadence_of_another_customer_is_a_404_through_this_customer(
    client, alice, customer, oscars_customer, today
):
    theirs = f.InteractionFactory(customer=oscars_customer)
    their_cadence = f.CadenceFactory(customer=oscars_customer)
    client.force_login(alice)
    before = written()
    for url in (
        reverse("interaction_update", args=[customer.pk, theirs.pk]),
        reverse("cadence_update", args=[customer.pk, their_cadence.pk]),
        reverse("cadence_end", args=[customer.pk, their_cadence.pk]),
    ):
        assert client.get(url, headers=HTMX).status_code == 404
        assert client.post(url, {"ends_on": (today + timedelta(days=1)).isoformat()}, headers=HTMX).status_code == 404
    assert written() == before
