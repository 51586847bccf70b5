"""Adding, editing and marking contacts as left from the customer page."""

from datetime import timedelta

import pytest
from django.urls import reverse

from keyaccounts.editing import STALE_EDIT_MESSAGE, edit_version
from keyaccounts.tests import factories as f
from relationships import services
from relationships.models import Contact

from .conftest import HTMX, written

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_contact(alice, today):
    return {
        "name": "Chen Jie",
        "title": "Head of quality",
        "department": "quality",
        "buying_role": "influencer",
        "influence": "4",
        "trust": "2",
        "internal_owner": str(alice.pk),
        "email": "chen.jie@example.com",
        "phone": "+86 21 5555 0101",
        "joined_on": (today - timedelta(days=3)).isoformat(),
    }


def edit_data(contact, **changes):
    data = {
        "name": contact.name,
        "title": contact.title,
        "department": contact.department,
        "buying_role": contact.buying_role,
        "influence": contact.influence,
        "trust": contact.trust,
        "internal_owner": contact.internal_owner_id or "",
        "email": contact.email,
        "phone": contact.phone,
        "joined_on": contact.joined_on.isoformat(),
        "version": edit_version(contact),
    }
    return {**data, **changes}


def test_adding_a_contact_stores_it_and_shows_it_in_its_department(client, alice, customer, new_contact, today):
    client.force_login(alice)
    response = client.post(reverse("contact_create", args=[customer.pk]), new_contact, headers=HTMX)
    assert response.status_code == 200
    contact = Contact.objects.get(customer=customer)
    assert (contact.name, contact.department, contact.influence, contact.trust) == ("Chen Jie", "quality", 4, 2)
    assert contact.internal_owner == alice and contact.joined_on == today - timedelta(days=3)
    assert "Contact Chen Jie added." in response.text
    assert f'data-testid="contact-{contact.pk}"' in response.text


def test_the_add_form_starts_from_today_and_middling_scores(client, alice, customer, today):
    client.force_login(alice)
    form = client.get(reverse("contact_create", args=[customer.pk]), headers=HTMX).context["form"]
    assert form["joined_on"].value() == today
    assert (form["influence"].value(), form["trust"].value()) == (3, 3)


def test_adding_a_contact_is_audited_with_who_did_it(client, tina, customer, new_contact):
    client.force_login(tina)
    client.post(reverse("contact_create", args=[customer.pk]), new_contact, headers=HTMX)
    record = Contact.history.get()
    assert record.history_type == "+" and record.history_user == tina


def test_editing_a_contact_changes_it_and_is_audited(client, bob, customer, gm):
    client.force_login(bob)
    data = edit_data(gm, title="Chairman", trust=5)
    response = client.post(reverse("contact_update", args=[customer.pk, gm.pk]), data, headers=HTMX)
    assert response.status_code == 200
    gm.refresh_from_db()
    assert (gm.title, gm.trust) == ("Chairman", 5)
    latest = gm.history.first()
    assert latest.history_type == "~" and latest.history_user == bob and latest.trust == 5


def test_the_edit_form_shows_the_stored_values(client, alice, customer, gm):
    client.force_login(alice)
    response = client.get(reverse("contact_update", args=[customer.pk, gm.pk]), headers=HTMX)
    assert 'value="Wang Wei"' in response.text
    assert f'name="version" value="{edit_version(gm)}"' in response.text


def test_marking_a_contact_as_left_moves_them_to_the_left_list(client, alice, customer, gm, buyer, today):
    client.force_login(alice)
    day = today - timedelta(days=2)
    response = client.post(
        reverse("contact_left", args=[customer.pk, buyer.pk]),
        {"left_on": day.isoformat(), "version": edit_version(buyer)},
        headers=HTMX,
    )
    assert response.status_code == 200
    buyer.refresh_from_db()
    assert buyer.left_on == day
    assert buyer.history.first().history_user == alice
    assert 'data-testid="left-contacts"' in response.text
    assert f'data-testid="contact-{buyer.pk}"' not in response.text


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"influence": "0"}, "influence", "greater than or equal to 1"),
        ({"influence": "6"}, "influence", "less than or equal to 5"),
        ({"trust": "6"}, "trust", "less than or equal to 5"),
        ({"joined_on": "tomorrow"}, "joined_on", "This date is in the future."),
        ({"joined_on": "31.02.2025"}, "joined_on", "Enter a valid date."),
        ({"name": "   "}, "name", "This field is required."),
        ({"department": "canteen"}, "department", "Select a valid choice."),
        ({"internal_owner": "erin"}, "internal_owner", "Select a valid choice."),
        ({"internal_owner": "999999"}, "internal_owner", "Select a valid choice."),
    ],
    ids=[
        "influence-0",
        "influence-6",
        "trust-6",
        "joined-in-future",
        "bad-date",
        "blank-name",
        "unknown-department",
        "executive-as-owner",
        "unknown-user",
    ],
)
def test_bad_contact_input_is_refused_with_a_message_and_nothing_written(
    client, alice, erin, customer, new_contact, today, changes, field, message
):
    client.force_login(alice)
    if changes.get("joined_on") == "tomorrow":
        changes = {"joined_on": (today + timedelta(days=1)).isoformat()}
    if changes.get("internal_owner") == "erin":
        changes = {"internal_owner": str(erin.pk)}
    before = written()
    response = client.post(reverse("contact_create", args=[customer.pk]), {**new_contact, **changes}, headers=HTMX)
    assert response.status_code == 422
    assert message in str(response.context["form"].errors[field])
    assert message.replace("'", "&#x27;") in response.text
    # What the user typed stays in the form.
    assert 'value="Head of quality"' in response.text
    assert response["HX-Retarget"] == "#relationships-editor"
    assert written() == before


def test_a_refused_form_without_htmx_comes_back_as_a_page_with_status_422(client, alice, customer, new_contact):
    client.force_login(alice)
    response = client.post(reverse("contact_create", args=[customer.pk]), {**new_contact, "influence": "9"})
    assert response.status_code == 422
    assert "<html" in response.text and "less than or equal to 5" in response.text
    assert not Contact.objects.exists()


def test_joined_after_having_left_is_refused(client, alice, customer, buyer, today):
    buyer.left_on = today - timedelta(days=30)
    buyer.save()
    client.force_login(alice)
    before = written()
    data = edit_data(buyer, joined_on=(today - timedelta(days=10)).isoformat())
    response = client.post(reverse("contact_update", args=[customer.pk, buyer.pk]), data, headers=HTMX)
    assert response.status_code == 422
    assert "they cannot have joined after that" in response.text
    assert written() == before


@pytest.mark.parametrize(
    ("days", "message"),
    [(1, "This date is in the future."), (-10_000, "they cannot have left before that.")],
    ids=["in-the-future", "before-joining"],
)
def test_a_left_date_in_the_future_or_before_joining_is_refused(client, alice, customer, gm, today, days, message):
    client.force_login(alice)
    before = written()
    response = client.post(
        reverse("contact_left", args=[customer.pk, gm.pk]),
        {"left_on": (today + timedelta(days=days)).isoformat(), "version": edit_version(gm)},
        headers=HTMX,
    )
    assert response.status_code == 422
    assert message in response.text
    assert written() == before


def test_an_edit_made_on_a_stale_copy_is_refused_and_shows_the_other_change(client, alice, bob, customer, gm):
    client.force_login(alice)
    opened = client.get(reverse("contact_update", args=[customer.pk, gm.pk]), headers=HTMX).context["form"]
    old_version = opened["version"].value()
    # Meanwhile bob raises the trust.
    services.contact_update(contact=gm, version=edit_version(gm), trust=5)
    before = written()
    data = edit_data(gm, trust=1, title="Retired", version=old_version)
    response = client.post(reverse("contact_update", args=[customer.pk, gm.pk]), data, headers=HTMX)
    assert response.status_code == 422
    assert str(STALE_EDIT_MESSAGE) in response.text.replace("&#x27;", "'")
    form = response.context["form"]
    assert form["trust"].value() == 5 and form["title"].value() == "General manager"
    assert form["version"].value() == edit_version(Contact.objects.get(pk=gm.pk))
    assert written() == before


def test_marking_left_on_a_stale_copy_is_refused(client, alice, customer, gm, today):
    client.force_login(alice)
    old_version = edit_version(gm)
    services.contact_update(contact=gm, version=old_version, title="Chairman")
    before = written()
    response = client.post(
        reverse("contact_left", args=[customer.pk, gm.pk]),
        {"left_on": today.isoformat(), "version": old_version},
        headers=HTMX,
    )
    assert response.status_code == 422
    assert "Someone else changed this record" in response.text
    assert written() == before


def test_an_inactive_colleague_cannot_be_made_owner(client, alice, customer, new_contact):
    gone = f.account_manager("gone", is_active=False)
    client.force_login(alice)
    response = client.post(
        reverse("contact_create", args=[customer.pk]), {**new_contact, "internal_owner": gone.pk}, headers=HTMX
    )
    assert response.status_code == 422
    assert not Contact.objects.exists()


def test_another_account_manager_may_own_a_contact(client, alice, oscar, customer, new_contact):
    """Colleagues of other teams may know people at the customer: that spreads the relationship."""
    client.force_login(alice)
    client.post(
        reverse("contact_create", args=[customer.pk]), {**new_contact, "internal_owner": oscar.pk}, headers=HTMX
    )
    assert Contact.objects.get().internal_owner == oscar
