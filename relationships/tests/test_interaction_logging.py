"""Logging a visit in seconds, and correcting it later."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from keyaccounts.editing import STALE_EDIT_MESSAGE
from keyaccounts.tests import factories as f
from relationships import services
from relationships.models import Department, Interaction, InteractionKind

from .conftest import HTMX, written

pytestmark = pytest.mark.django_db


def log_url(customer):
    return reverse("interaction_log", args=[customer.pk])


def test_the_form_starts_as_a_visit_today_by_me(client, tina, customer, today):
    client.force_login(tina)
    form = client.get(log_url(customer), headers=HTMX).context["form"]
    assert form["occurred_on"].value() == today
    assert form["kind"].value() == InteractionKind.VISIT
    assert form["our_people"].value() == [tina.pk]


def test_participants_to_choose_are_this_customers_active_contacts(
    client, alice, customer, gm, buyer, strangers_contact, today
):
    buyer.left_on = today - timedelta(days=1)
    buyer.save()
    client.force_login(alice)
    response = client.get(log_url(customer), headers=HTMX)
    assert list(response.context["form"].fields["contacts"].queryset) == [gm]
    assert f'name="contacts" value="{gm.pk}"' in response.text
    assert "Zhao Lei" not in response.text


def test_our_participants_to_choose_are_active_account_managers_and_admins(client, alice, bob, erin, sam, customer):
    f.account_manager("retired", is_active=False)
    client.force_login(alice)
    choices = client.get(log_url(customer), headers=HTMX).context["form"].fields["our_people"].queryset
    assert {u.username for u in choices} == {"alice", "bob", "tina"}


def test_an_executive_meeting_with_the_general_manager_is_logged_in_one_post(client, alice, customer, gm, buyer, today):
    """The journey of the browser test: pick the kind, tick the GM, save."""
    client.force_login(alice)
    page = client.get(reverse("relationship_section", args=[customer.pk]), headers=HTMX).text
    assert "gap-no_executive" in page
    form = client.get(log_url(customer), headers=HTMX).context["form"]
    data = {
        "occurred_on": form["occurred_on"].value().isoformat(),
        "kind": InteractionKind.EXECUTIVE_MEETING,
        "subject": "",
        "contacts": [gm.pk],
        "our_people": form["our_people"].value(),
        "notes": "",
    }
    response = client.post(log_url(customer), data, headers=HTMX)
    assert response.status_code == 200
    interaction = Interaction.objects.get(customer=customer)
    assert (interaction.kind, interaction.subject, interaction.occurred_on) == (
        "executive_meeting",
        "Executive meeting",
        today,
    )
    assert list(interaction.contacts.all()) == [gm]
    assert list(interaction.our_people.all()) == [alice]
    assert interaction.logged_by == alice
    assert "Logged: Executive meeting." in response.text
    assert "gap-no_executive" not in response.text
    assert f'data-testid="interaction-{interaction.pk}"' in response.text


def test_logging_is_audited_with_the_participants(client, bob, customer, gm, alice, today):
    client.force_login(bob)
    client.post(
        log_url(customer),
        {
            "occurred_on": today.isoformat(),
            "kind": "call",
            "subject": "Price call",
            "contacts": [gm.pk],
            "our_people": [alice.pk, bob.pk],
        },
        headers=HTMX,
    )
    records = Interaction.history.all()
    assert {r.history_user for r in records} == {bob}
    latest = records.first()
    assert [row.contact_id for row in latest.contacts.all()] == [gm.pk]
    assert sorted(row.user_id for row in latest.our_people.all()) == sorted([alice.pk, bob.pk])


@pytest.mark.parametrize(
    ("case", "field", "message"),
    [
        ("future", "occurred_on", "This date is in the future."),
        ("strangers_contact", "contacts", "Select a valid choice."),
        ("left_contact", "contacts", "Select a valid choice."),
        ("executive_as_ours", "our_people", "Select a valid choice."),
        ("unknown_user", "our_people", "Select a valid choice."),
        ("telepathy", "kind", "Select a valid choice."),
        ("year_9999", "occurred_on", "Give a date between 1900-01-01 and"),
        ("year_1899", "occurred_on", "Give a date between 1900-01-01 and"),
        ("before_customer", "occurred_on", "has been a customer since 2020-01-01"),
        ("novel", "notes", "Ensure this value has at most 10000 characters"),
    ],
)
def test_bad_interaction_input_is_refused_with_a_message_and_nothing_written(
    client, alice, erin, customer, gm, buyer, strangers_contact, today, case, field, message
):
    buyer.left_on = today - timedelta(days=5)
    buyer.save()
    data = {
        "occurred_on": today.isoformat(),
        "kind": "visit",
        "subject": "Plant tour",
        "contacts": [gm.pk],
        "our_people": [alice.pk],
        "notes": "Met the new plant manager",
    }
    data.update(
        {
            "future": {"occurred_on": (today + timedelta(days=1)).isoformat()},
            "strangers_contact": {"contacts": [gm.pk, strangers_contact.pk]},
            "left_contact": {"contacts": [buyer.pk]},
            "executive_as_ours": {"our_people": [alice.pk, erin.pk]},
            "unknown_user": {"our_people": [999999]},
            "telepathy": {"kind": "telepathy"},
            "year_9999": {"occurred_on": "9999-12-31"},
            "year_1899": {"occurred_on": "1899-12-31"},
            "before_customer": {"occurred_on": "2019-12-31"},
            "novel": {"notes": "Met the new plant manager " + "and then " * 25_000},
        }[case]
    )
    client.force_login(alice)
    before = written()
    response = client.post(log_url(customer), data, headers=HTMX)
    assert response.status_code == 422
    assert message in str(response.context["form"].errors[field])
    assert "Met the new plant manager" in response.text
    assert response["HX-Retarget"] == "#relationships-editor"
    assert written() == before


def test_the_service_refuses_participants_of_another_customer(alice, customer, strangers_contact, today):
    with pytest.raises(ValidationError):
        services.interaction_log(
            customer=customer, occurred_on=today, kind="visit", subject="x", by=alice, contacts=[strangers_contact]
        )
    assert not Interaction.objects.exists()


def edit_data(interaction, **changes):
    data = {
        "occurred_on": interaction.occurred_on.isoformat(),
        "kind": interaction.kind,
        "subject": interaction.subject,
        "contacts": [c.pk for c in interaction.contacts.all()],
        "our_people": [u.pk for u in interaction.our_people.all()],
        "notes": interaction.notes,
        "version": services.interaction_version(interaction),
    }
    return {**data, **changes}


def test_editing_an_interaction_changes_it_and_its_participants(client, tina, alice, customer, visit, gm, buyer):
    client.force_login(tina)
    data = edit_data(visit, kind="meeting", contacts=[gm.pk, buyer.pk], our_people=[alice.pk, tina.pk])
    response = client.post(reverse("interaction_update", args=[customer.pk, visit.pk]), data, headers=HTMX)
    assert response.status_code == 200
    visit.refresh_from_db()
    assert visit.kind == "meeting"
    assert set(visit.contacts.all()) == {gm, buyer}
    assert set(visit.our_people.all()) == {alice, tina}
    latest = visit.history.first()
    assert latest.history_user == tina
    assert {row.contact_id for row in latest.contacts.all()} == {gm.pk, buyer.pk}


def test_a_participant_who_left_since_stays_choosable_on_the_old_interaction(
    client, alice, customer, visit, buyer, today
):
    buyer.left_on = today - timedelta(days=1)
    buyer.save()
    client.force_login(alice)
    response = client.post(
        reverse("interaction_update", args=[customer.pk, visit.pk]), edit_data(visit, notes="Added later"), headers=HTMX
    )
    assert response.status_code == 200
    assert list(visit.contacts.all()) == [buyer]


def test_an_interaction_edit_on_a_stale_copy_is_refused(client, alice, bob, customer, visit):
    client.force_login(alice)
    stale = edit_data(visit, subject="Alice's subject")
    services.interaction_update(
        interaction=visit,
        version=services.interaction_version(visit),
        occurred_on=visit.occurred_on,
        kind=visit.kind,
        subject="Bob's subject",
        contacts=list(visit.contacts.all()),
        our_people=list(visit.our_people.all()),
    )
    before = written()
    response = client.post(reverse("interaction_update", args=[customer.pk, visit.pk]), stale, headers=HTMX)
    assert response.status_code == 422
    assert str(STALE_EDIT_MESSAGE).replace("'", "&#x27;") in response.text
    assert response.context["form"]["subject"].value() == "Bob's subject"
    assert written() == before
    assert Interaction.objects.get().subject == "Bob's subject"


@pytest.mark.parametrize("size", [3, 30])
def test_opening_the_log_form_takes_the_same_queries_for_3_or_30_contacts(
    client, alice, customer, size, django_assert_num_queries
):
    for n in range(size):
        f.ContactFactory(customer=customer, department=list(Department.values)[n % 7])
    for n in range(size):
        f.account_manager(f"colleague{n}")
    client.force_login(alice)
    # Session, user, roles, customer, the contacts and our people to choose from.
    with django_assert_num_queries(6):
        response = client.get(log_url(customer), headers=HTMX)
    assert response.text.count('name="contacts"') == size


@pytest.mark.parametrize("size", [3, 30])
def test_saving_re_renders_the_section_in_the_same_queries_for_3_or_30(
    client, alice, customer, size, today, django_assert_num_queries
):
    contacts = [f.ContactFactory(customer=customer) for _ in range(size)]
    for n in range(size):
        old = f.InteractionFactory(customer=customer, occurred_on=today - timedelta(days=n + 1))
        old.contacts.set(contacts[n : n + 2])
        old.our_people.set([alice])
    client.force_login(alice)
    data = {
        "occurred_on": today.isoformat(),
        "kind": "call",
        "contacts": [c.pk for c in contacts[:2]],
        "our_people": [alice.pk],
    }
    # Session, user, roles, customer, the two lists of choices; the insert with a history row for
    # the interaction and one for each set of participants; the refresh of the customer's cadence
    # due dates and of the participants' last meetings (one UPDATE each); the section's five reads.
    with django_assert_num_queries(37):
        response = client.post(log_url(customer), data, headers=HTMX)
    assert response.status_code == 200


def test_participants_changed_meanwhile_make_the_edit_stale(client, alice, customer, visit, gm, buyer):
    client.force_login(alice)
    stale = edit_data(visit, notes="Alice's notes")
    # Bob adds the general manager; the interaction's own row stays as it was.
    services.interaction_update(
        interaction=visit,
        version=services.interaction_version(visit),
        occurred_on=visit.occurred_on,
        kind=visit.kind,
        subject=visit.subject,
        contacts=[buyer, gm],
        our_people=list(visit.our_people.all()),
    )
    before = written()
    response = client.post(reverse("interaction_update", args=[customer.pk, visit.pk]), stale, headers=HTMX)
    assert response.status_code == 422
    assert "Someone else changed this record" in response.text
    assert sorted(int(pk) for pk in response.context["form"]["contacts"].value()) == sorted([buyer.pk, gm.pk])
    assert written() == before
