"""Agreeing, changing and ending communication cadences from the customer page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import formats, translation

from keyaccounts.editing import STALE_EDIT_MESSAGE, edit_version
from keyaccounts.tests import factories as f
from relationships import services
from relationships.models import Cadence, InteractionKind

from .conftest import HTMX, written

pytestmark = pytest.mark.django_db

DUPLICATE = "This customer already has a cadence of this kind starting on that day"


@pytest.fixture
def monthly_call(alice, today):
    return {
        "name": "Monthly call with purchasing",
        "interaction_kind": InteractionKind.CALL,
        "interval_days": "30",
        "starts_on": today.isoformat(),
        "ends_on": "",
        "owner": str(alice.pk),
    }


def edit_data(cadence, **changes):
    data = {
        "name": cadence.name,
        "interaction_kind": cadence.interaction_kind,
        "interval_days": cadence.interval_days,
        "starts_on": cadence.starts_on.isoformat(),
        "ends_on": cadence.ends_on.isoformat() if cadence.ends_on else "",
        "owner": cadence.owner_id or "",
        "version": edit_version(cadence),
    }
    return {**data, **changes}


def test_adding_a_cadence_stores_it_and_lists_it_with_its_next_due_date(client, tina, customer, monthly_call, today):
    client.force_login(tina)
    response = client.post(reverse("cadence_create", args=[customer.pk]), monthly_call, headers=HTMX)
    assert response.status_code == 200
    cadence = Cadence.objects.get(customer=customer)
    assert (cadence.interaction_kind, cadence.interval_days, cadence.starts_on) == ("call", 30, today)
    assert cadence.history.get().history_user == tina
    assert "Cadence Monthly call with purchasing added." in response.text
    with translation.override("en"):
        assert formats.date_format(today + timedelta(days=30)) in response.text  # 27 Nov 2026


def test_the_add_form_suggests_a_quarterly_executive_meeting_from_today_owned_by_me(client, bob, customer, today):
    client.force_login(bob)
    form = client.get(reverse("cadence_create", args=[customer.pk]), headers=HTMX).context["form"]
    assert form["interaction_kind"].value() == InteractionKind.EXECUTIVE_MEETING
    assert form["interval_days"].value() == 90
    assert form["starts_on"].value() == today
    assert form["owner"].value() == bob.pk


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"interval_days": "0"}, "interval_days", "greater than or equal to 1"),
        ({"interval_days": "367"}, "interval_days", "less than or equal to 366"),
        ({"ends_on": "yesterday"}, "ends_on", "A cadence cannot end before it starts."),
        ({"name": " "}, "name", "This field is required."),
        ({"owner": "sam"}, "owner", "Select a valid choice."),
        ({"starts_on": "9999-12-31"}, "starts_on", "Give a date between 1900-01-01 and"),
        ({"starts_on": "1899-12-31"}, "starts_on", "Give a date between 1900-01-01 and"),
        ({"ends_on": "9999-12-31"}, "ends_on", "Give a date between 1900-01-01 and"),
    ],
    ids=[
        "every-0-days",
        "every-367-days",
        "ends-before-start",
        "no-name",
        "service-desk-owner",
        "starts-9999",
        "starts-1899",
        "ends-9999",
    ],
)
def test_bad_cadence_input_is_refused_with_a_message_and_nothing_written(
    client, alice, sam, customer, monthly_call, today, changes, field, message
):
    if changes.get("ends_on") == "yesterday":
        changes = {"ends_on": (today - timedelta(days=1)).isoformat()}
    if changes.get("owner") == "sam":
        changes = {"owner": sam.pk}
    client.force_login(alice)
    before = written()
    response = client.post(reverse("cadence_create", args=[customer.pk]), {**monthly_call, **changes}, headers=HTMX)
    assert response.status_code == 422
    assert message in str(response.context["form"].errors[field])
    assert response["HX-Retarget"] == "#relationships-editor"
    assert written() == before


def test_a_second_cadence_of_the_same_kind_from_the_same_day_is_a_form_error(
    client, alice, customer, monthly_call, today
):
    f.CadenceFactory(customer=customer, name="Existing", interaction_kind=InteractionKind.CALL, starts_on=today)
    client.force_login(alice)
    before = written()
    response = client.post(reverse("cadence_create", args=[customer.pk]), monthly_call, headers=HTMX)
    assert response.status_code == 422
    assert DUPLICATE in response.text
    assert 'value="Monthly call with purchasing"' in response.text
    assert written() == before


def test_the_same_kind_and_day_at_another_customer_is_no_clash(
    client, alice, customer, oscars_customer, monthly_call, today
):
    f.CadenceFactory(customer=oscars_customer, interaction_kind=InteractionKind.CALL, starts_on=today)
    client.force_login(alice)
    assert client.post(reverse("cadence_create", args=[customer.pk]), monthly_call, headers=HTMX).status_code == 200


def test_a_clash_the_form_could_not_see_is_still_a_form_error(
    client, alice, customer, monthly_call, today, monkeypatch
):
    """Two people saving the same cadence at once: the database's unique constraint decides."""
    from relationships import forms

    f.CadenceFactory(
        customer=customer, name="Saved a moment ago", interaction_kind=InteractionKind.CALL, starts_on=today
    )
    monkeypatch.setattr(forms.CadenceForm, "clean", lambda self: self.cleaned_data)
    client.force_login(alice)
    before = written()
    response = client.post(reverse("cadence_create", args=[customer.pk]), monthly_call, headers=HTMX)
    assert response.status_code == 422
    assert DUPLICATE in response.text
    assert written() == before


def test_changing_a_cadence_into_another_ones_kind_and_start_is_refused(client, alice, customer, cadence):
    other = f.CadenceFactory(
        customer=customer, name="Calls", interaction_kind=InteractionKind.CALL, starts_on=cadence.starts_on
    )
    client.force_login(alice)
    before = written()
    response = client.post(
        reverse("cadence_update", args=[customer.pk, other.pk]),
        edit_data(other, interaction_kind=cadence.interaction_kind),
        headers=HTMX,
    )
    assert response.status_code == 422
    assert DUPLICATE in response.text
    assert written() == before


def test_editing_a_cadence_changes_it_and_is_audited(client, bob, customer, cadence):
    client.force_login(bob)
    response = client.post(
        reverse("cadence_update", args=[customer.pk, cadence.pk]), edit_data(cadence, interval_days=60), headers=HTMX
    )
    assert response.status_code == 200
    cadence.refresh_from_db()
    assert cadence.interval_days == 60
    assert cadence.history.first().history_user == bob


def test_saving_a_cadence_unchanged_keeps_its_own_start_without_clashing_with_itself(client, alice, customer, cadence):
    client.force_login(alice)
    response = client.post(reverse("cadence_update", args=[customer.pk, cadence.pk]), edit_data(cadence), headers=HTMX)
    assert response.status_code == 200


def test_a_cadence_edit_on_a_stale_copy_is_refused(client, alice, customer, cadence):
    client.force_login(alice)
    stale = edit_data(cadence, interval_days=30)
    services.cadence_update(cadence=cadence, version=edit_version(cadence), interval_days=120)
    before = written()
    response = client.post(reverse("cadence_update", args=[customer.pk, cadence.pk]), stale, headers=HTMX)
    assert response.status_code == 422
    assert str(STALE_EDIT_MESSAGE).replace("'", "&#x27;") in response.text
    assert response.context["form"]["interval_days"].value() == 120
    assert written() == before


def test_ending_a_cadence_moves_it_to_the_ended_list(client, alice, customer, cadence, today):
    client.force_login(alice)
    day = today - timedelta(days=1)
    response = client.post(
        reverse("cadence_end", args=[customer.pk, cadence.pk]),
        {"ends_on": day.isoformat(), "version": edit_version(cadence)},
        headers=HTMX,
    )
    assert response.status_code == 200
    cadence.refresh_from_db()
    assert cadence.ends_on == day
    assert cadence.history.first().history_user == alice
    assert 'data-testid="ended-cadences"' in response.text
    assert f'data-testid="cadence-{cadence.pk}"' not in response.text


def test_a_cadence_cannot_end_before_it_starts(client, alice, customer, cadence):
    client.force_login(alice)
    before = written()
    response = client.post(
        reverse("cadence_end", args=[customer.pk, cadence.pk]),
        {"ends_on": (cadence.starts_on - timedelta(days=1)).isoformat(), "version": edit_version(cadence)},
        headers=HTMX,
    )
    assert response.status_code == 422
    assert "it cannot end before that" in response.text
    assert written() == before


def test_ending_a_stale_copy_is_refused(client, alice, customer, cadence, today):
    client.force_login(alice)
    old_version = edit_version(cadence)
    services.cadence_update(cadence=cadence, version=old_version, name="Renamed meanwhile")
    before = written()
    response = client.post(
        reverse("cadence_end", args=[customer.pk, cadence.pk]),
        {"ends_on": today.isoformat(), "version": old_version},
        headers=HTMX,
    )
    assert response.status_code == 422
    assert "Someone else changed this record" in response.text
    assert written() == before
