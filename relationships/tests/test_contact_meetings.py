"""The contacts' stored last meetings (relationships.contact_meetings) give the answers the
interactions give, whatever the day asked about and however the interactions and their
participants were written; Today's decision makers not met lately are found from them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.workspace.today import DECISION_MAKER_DAYS, _decision_maker_parts, _decision_makers, today_page
from keyaccounts.tests import factories as f
from relationships import services
from relationships.contact_meetings import current_last_met, refresh_contact_meetings
from relationships.models import BuyingRole, Contact, Interaction

pytestmark = pytest.mark.django_db


def expected_last_met(day) -> dict[int, object]:
    """Each contact's last interaction on or before ``day``, worked out in Python."""
    last: dict[int, object] = {pk: None for pk in Contact.objects.values_list("pk", flat=True)}
    for interaction in Interaction.objects.prefetch_related("contacts"):
        if interaction.occurred_on > day:
            continue
        for contact in interaction.contacts.all():
            if last[contact.pk] is None or interaction.occurred_on > last[contact.pk]:
                last[contact.pk] = interaction.occurred_on
    return last


def stored(contact: Contact) -> tuple:
    contact.refresh_from_db(fields=["last_met_on", "next_met_on"])
    return contact.last_met_on, contact.next_met_on


def assert_same_answers(today) -> None:
    """For days before, on and after ``today``: the read of the last meeting equals the rule, and
    the decision makers not met lately (both parts, which never overlap) are those the rule gives."""
    for day in [today + timedelta(days=n) for n in (-400, -91, -90, -30, -1, 0, 1, 10, 89, 90, 91, 400)]:
        rule = expected_last_met(day)
        read = dict(Contact.objects.annotate(met=current_last_met(day)).values_list("pk", "met"))
        assert read == rule, day
        since = day - timedelta(days=DECISION_MAKER_DAYS)
        current = Contact.objects.filter(buying_role=BuyingRole.DECISION_MAKER, left_on__isnull=True)
        unmet = {c.pk for c in current if rule[c.pk] is None or rule[c.pk] < since}
        as_stored, worked_out = (set(part.values_list("pk", flat=True)) for part in _decision_maker_parts(day))
        assert as_stored | worked_out == unmet == set(_decision_makers(day).values_list("pk", flat=True)), day
        assert not as_stored & worked_out, day


@pytest.fixture
def book(today):
    """Two customers' contacts: met recently, long ago, only in the future, never; one left."""
    customer, other = f.CustomerFactory(), f.CustomerFactory()
    people = {
        "recent": f.ContactFactory(customer=customer, buying_role=BuyingRole.DECISION_MAKER),
        "long_ago": f.ContactFactory(customer=customer, buying_role=BuyingRole.DECISION_MAKER),
        "ahead": f.ContactFactory(customer=customer, buying_role=BuyingRole.DECISION_MAKER),
        "never": f.ContactFactory(customer=customer, buying_role=BuyingRole.DECISION_MAKER),
        "user": f.ContactFactory(customer=customer, buying_role=BuyingRole.USER),
        "left": f.ContactFactory(
            customer=other,
            buying_role=BuyingRole.DECISION_MAKER,
            joined_on=today - timedelta(days=900),
            left_on=today - timedelta(days=10),
        ),
    }
    for days, names in ((-20, ["recent", "user"]), (-200, ["long_ago", "recent"]), (15, ["ahead"]), (-150, ["left"])):
        interaction = f.InteractionFactory(customer=people[names[0]].customer, occurred_on=today + timedelta(days=days))
        interaction.contacts.set([people[name] for name in names])
    return people


def test_stored_meetings_answer_like_the_interactions_for_every_day(book, today):
    assert stored(book["recent"]) == (today - timedelta(days=20), None)
    assert stored(book["long_ago"]) == (today - timedelta(days=200), None)
    assert stored(book["ahead"]) == (None, today + timedelta(days=15))
    assert stored(book["never"]) == (None, None)
    assert_same_answers(today)


def test_a_meeting_that_comes_into_force_is_worked_out_until_the_night_refreshes_it(book, today):
    later = today + timedelta(days=20)
    # Twenty days on, the meeting dated ahead has taken place: the stored row is stale, read from
    # the interactions, and no longer listed as not met.
    assert book["ahead"].pk not in set(_decision_makers(later).values_list("pk", flat=True))
    assert refresh_contact_meetings(stale_only=True, today=later) == 1
    assert stored(book["ahead"]) == (today + timedelta(days=15), None)
    assert_same_answers(later)


def test_every_way_of_changing_a_meeting_keeps_the_stored_dates(book, today, alice):
    customer = book["recent"].customer
    # Logged through the service, as the page does: participants added after the insert.
    logged = services.interaction_log(
        customer=customer,
        occurred_on=today - timedelta(days=2),
        kind="visit",
        subject="Quarterly review",
        by=alice,
        contacts=[book["never"], book["long_ago"]],
        our_people=[alice],
    )
    assert stored(book["never"])[0] == today - timedelta(days=2)
    assert_same_answers(today)
    # Moved back in time: the last meeting follows the date.
    logged.occurred_on = today - timedelta(days=300)
    logged.save()
    assert stored(book["never"])[0] == today - timedelta(days=300)
    assert stored(book["long_ago"])[0] == today - timedelta(days=200)
    # A participant taken off, then everyone cleared, then the interaction deleted.
    logged.contacts.remove(book["long_ago"])
    logged.contacts.clear()
    assert stored(book["never"]) == (None, None)
    recent = Interaction.objects.get(occurred_on=today - timedelta(days=20))
    recent.delete()
    assert stored(book["recent"])[0] == today - timedelta(days=200)
    assert stored(book["user"]) == (None, None)
    assert_same_answers(today)


def test_today_lists_a_decision_maker_until_someone_meets_them(book, today, alice):
    customer = book["recent"].customer
    customer.owner = alice
    customer.save()

    def not_met() -> set[str]:
        return {
            item.text.split(" (")[0]
            for card in today_page(user=alice).customers
            for item in card.items
            if item.kind == "decision_makers"
        }

    names = {key: book[key].name for key in ("long_ago", "ahead", "never")}
    assert not_met() == set(names.values())
    meeting = f.InteractionFactory(customer=customer, occurred_on=today)
    meeting.contacts.set([book["long_ago"]])
    assert not_met() == {names["ahead"], names["never"]}


def test_a_whole_refresh_is_one_update_and_leaves_the_history_alone(book, today, django_assert_num_queries):
    Contact.objects.update(last_met_on=None, next_met_on=None)
    histories = Contact.history.count()
    with django_assert_num_queries(1):
        refresh_contact_meetings()
    assert Contact.history.count() == histories
    assert_same_answers(today)
    # Dates left on a contact no interaction names any more are emptied; a second run finds
    # nothing to change.
    Contact.objects.filter(pk=book["never"].pk).update(last_met_on=today, next_met_on=today)
    assert refresh_contact_meetings() == 1
    assert stored(book["never"]) == (None, None)
    assert refresh_contact_meetings() == 0
    assert_same_answers(today)
