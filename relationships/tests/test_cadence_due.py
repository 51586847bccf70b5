"""The cadences' stored due dates (relationships.cadence_due) give the answers the rule gives,
worked out from the interactions, whatever the day asked about and however the data was written."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.models import DateField, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.test.utils import CaptureQueriesContext

from accounts.workspace.common import cadences_with_due, overdue_cadence_parts, overdue_cadences
from keyaccounts.clock import add_days, business_today
from keyaccounts.editing import edit_version
from keyaccounts.tests import factories as f
from relationships import services
from relationships.cadence_due import AddDays, refresh_cadence_due
from relationships.models import Cadence, Interaction, InteractionKind

pytestmark = pytest.mark.django_db

K = InteractionKind


def old_cadences_with_due(cadences, *, today):
    """The computation the pages made before the dates were stored: a correlated subquery a row."""
    last_matching = (
        Interaction.objects.filter(
            customer_id=OuterRef("customer_id"), kind=OuterRef("interaction_kind"), occurred_on__lte=today
        )
        .order_by("-occurred_on")
        .values("occurred_on")[:1]
    )
    return (
        cadences.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .alias(last_on=Subquery(last_matching, output_field=DateField()))
        .annotate(
            old_due=AddDays(
                Greatest(Coalesce(F("last_on"), F("starts_on")), F("starts_on"), output_field=DateField()),
                F("interval_days"),
            )
        )
    )


def expected(today):
    """The rule in Python: {pk: (running, due, overdue, last)} for every cadence."""
    interactions = list(Interaction.objects.values_list("customer_id", "kind", "occurred_on"))
    result = {}
    for c in Cadence.objects.all():
        dates = [d for cid, kind, d in interactions if cid == c.customer_id and kind == c.interaction_kind]
        last = max((d for d in dates if d <= today), default=None)
        due = add_days(max(last or c.starts_on, c.starts_on), c.interval_days)
        running = c.ends_on is None or c.ends_on >= today
        result[c.pk] = (running, due, running and c.starts_on < today and due < today, last)
    return result


def assert_overdue(day, expected_pks):
    """Both ways of finding the overdue cadences: for a few customers, and in two parts for a book."""
    overdue = set(overdue_cadences(Cadence.objects.all(), today=day).values_list("pk", flat=True))
    stored, worked_out = overdue_cadence_parts(Cadence.objects.all(), today=day)
    parts = set(stored.values_list("pk", flat=True)), set(worked_out.values_list("pk", flat=True))
    assert overdue == expected_pks == parts[0] | parts[1], day
    assert not parts[0] & parts[1], day


def days_to_check(today):
    return [today + timedelta(days=n) for n in (-400, -151, -100, -31, -30, -1, 0, 1, 5, 6, 20, 29, 30, 31, 60, 400)]


def assert_same_answers(today):
    """For days before, on and after today: the pages' reads equal the rule and the old query."""
    for day in days_to_check(today):
        rule = expected(day)
        running = {pk: v[1] for pk, v in rule.items() if v[0]}
        new = dict(cadences_with_due(Cadence.objects.all(), today=day).values_list("pk", "next_due_on"))
        old = dict(old_cadences_with_due(Cadence.objects.all(), today=day).values_list("pk", "old_due"))
        assert new == running == old, day
        assert_overdue(day, {pk for pk, v in rule.items() if v[2]})
    # What is stored is the rule's answer for the day of the refresh.
    rule = expected(today)
    for c in Cadence.objects.all():
        following = (
            Interaction.objects.filter(customer_id=c.customer_id, kind=c.interaction_kind, occurred_on__gt=today)
            .order_by("occurred_on")
            .values_list("occurred_on", flat=True)
            .first()
        )
        assert (c.last_met_on, c.next_met_on, c.due_on) == (rule[c.pk][3], following, rule[c.pk][1]), c.name


@pytest.fixture
def book(alice):
    """Two customers with cadences of every shape and interactions before, inside and after them."""
    today = business_today()
    since = date(2000, 1, 1)
    a = f.CustomerFactory(owner=alice, customer_since=since)
    b = f.CustomerFactory(owner=alice, customer_since=since)
    day = lambda n: today + timedelta(days=n)  # noqa: E731
    cadences = {
        "exec": f.CadenceFactory(
            customer=a, interaction_kind=K.EXECUTIVE_MEETING, interval_days=90, starts_on=day(-400)
        ),
        "future start": f.CadenceFactory(customer=a, interaction_kind=K.CALL, interval_days=30, starts_on=day(10)),
        "ended": f.CadenceFactory(
            customer=a, interaction_kind=K.VISIT, interval_days=14, starts_on=day(-300), ends_on=day(-30)
        ),
        "never met": f.CadenceFactory(customer=a, interaction_kind=K.MEETING, interval_days=7, starts_on=day(-20)),
        "met before start": f.CadenceFactory(
            customer=b, interaction_kind=K.VISIT, interval_days=60, starts_on=day(-100)
        ),
        "yearly": f.CadenceFactory(
            customer=b, interaction_kind=K.BUSINESS_REVIEW, interval_days=366, starts_on=day(-900)
        ),
        "weekly calls": f.CadenceFactory(customer=b, interaction_kind=K.CALL, interval_days=7, starts_on=day(-60)),
    }
    for customer, kind, n in [
        (a, K.EXECUTIVE_MEETING, -200),
        (a, K.EXECUTIVE_MEETING, -50),
        (a, K.EXECUTIVE_MEETING, 20),  # dated ahead: not in force before then
        (a, K.VISIT, -5),  # another kind
        (a, K.CALL, -3),  # before the call cadence starts
        (a, K.VISIT, -100),  # during the ended cadence
        (b, K.VISIT, -150),  # before the start
        (b, K.VISIT, 5),
        (b, K.VISIT, 30),  # two ahead: both come into force by day 30
        (b, K.BUSINESS_REVIEW, -400),
        (b, K.CALL, -1),
        (b, K.CALL, 0),
    ]:
        f.InteractionFactory(customer=customer, kind=kind, occurred_on=day(n))
    return today, a, b, cadences


def test_stored_due_dates_answer_like_the_rule_for_every_day(book):
    today, *_ = book
    assert_same_answers(today)


def test_the_rule_is_worked_out_where_the_stored_dates_do_not_answer(book):
    today, _a, _b, cadences = book
    # Stored as if refreshed a year ago, or never refreshed: the answers are the same.
    refresh_cadence_due(today=today - timedelta(days=365))
    assert_same_answers_for_days(today)
    Cadence.objects.filter(pk=cadences["exec"].pk).update(last_met_on=None, next_met_on=None, due_on=None)
    assert_same_answers_for_days(today)


def assert_same_answers_for_days(today):
    for day in days_to_check(today):
        rule = expected(day)
        new = dict(cadences_with_due(Cadence.objects.all(), today=day).values_list("pk", "next_due_on"))
        assert new == {pk: v[1] for pk, v in rule.items() if v[0]}, day
        assert_overdue(day, {pk for pk, v in rule.items() if v[2]})


def test_edits_and_deletes_of_interactions_and_cadences_keep_them(book, alice):
    today, a, b, cadences = book
    meeting = Interaction.objects.get(customer=a, kind=K.EXECUTIVE_MEETING, occurred_on=today - timedelta(days=50))
    services.interaction_update(
        interaction=meeting,
        version=services.interaction_version(meeting),
        occurred_on=today - timedelta(days=10),
        kind=K.EXECUTIVE_MEETING,
        subject="Moved",
    )
    assert_same_answers(today)
    services.interaction_update(
        interaction=meeting,
        version=services.interaction_version(Interaction.objects.get(pk=meeting.pk)),
        occurred_on=today - timedelta(days=10),
        kind=K.MEETING,
        subject="Not executive after all",
    )
    assert_same_answers(today)
    services.interaction_log(customer=b, occurred_on=today - timedelta(days=2), kind=K.VISIT, subject="Hi", by=alice)
    assert_same_answers(today)
    Interaction.objects.get(customer=b, kind=K.CALL, occurred_on=today).delete()
    assert_same_answers(today)
    # Moved to the other customer (the admin allows it): both customers' cadences follow.
    moved = Interaction.objects.get(customer=a, kind=K.CALL)
    moved.customer = b
    moved.save()
    assert_same_answers(today)
    Interaction.objects.filter(customer=b, kind=K.VISIT, occurred_on__gt=today).delete()
    assert_same_answers(today)

    weekly = cadences["weekly calls"]
    services.cadence_update(cadence=weekly, version=edit_version(weekly), interaction_kind=K.VISIT, interval_days=45)
    assert_same_answers(today)
    services.cadence_create(
        customer=a,
        name="Monthly visit",
        interaction_kind=K.VISIT,
        interval_days=30,
        starts_on=today - timedelta(days=9),
    )
    assert_same_answers(today)
    ended = cadences["never met"]
    services.cadence_end(cadence=ended, version=edit_version(ended), ends_on=today - timedelta(days=1))
    assert_same_answers(today)


def test_a_refresh_of_everything_is_one_update(book, django_assert_num_queries):
    today, a, b, _ = book
    Cadence.objects.update(last_met_on=None, next_met_on=None, due_on=None)
    with django_assert_num_queries(1):
        assert refresh_cadence_due() == 7
    with django_assert_num_queries(1):
        assert refresh_cadence_due({a.pk}) == 4
    with django_assert_num_queries(0):
        assert refresh_cadence_due(set()) == 0
    assert_same_answers(today)


def test_the_nights_refresh_writes_only_the_cadences_whose_dates_changed(book, django_assert_num_queries):
    today, _a, _b, _ = book
    refresh_cadence_due()
    stored = list(Cadence.objects.order_by("pk").values_list("pk", "last_met_on", "next_met_on", "due_on"))
    assert refresh_cadence_due(only_changed=True) == 0  # nothing changed: nothing written
    # Stored dates gone wrong in every way: a date lost, two lost, one that is not the rule's.
    first, second, third, *_ = (pk for pk, *_dates in stored)
    Cadence.objects.filter(pk=first).update(last_met_on=None)
    Cadence.objects.filter(pk=second).update(due_on=None, next_met_on=None)
    Cadence.objects.filter(pk=third).update(due_on=date(2001, 1, 1))
    with django_assert_num_queries(1):
        assert refresh_cadence_due(only_changed=True) == 3
    assert list(Cadence.objects.order_by("pk").values_list("pk", "last_met_on", "next_met_on", "due_on")) == stored
    assert_same_answers(today)


def test_the_kept_dates_are_no_ones_edit(book, alice):
    """A refresh (someone logging a meeting, the nightly job) neither makes an open cadence form
    stale nor writes the cadence's history."""
    today, a, _b, cadences = book
    cadence = cadences["exec"]
    version = edit_version(cadence)
    history = cadence.history.count()
    services.interaction_log(
        customer=a, occurred_on=today, kind=K.EXECUTIVE_MEETING, subject="Quarterly meeting", by=alice
    )
    refresh_cadence_due()
    assert Cadence.objects.get(pk=cadence.pk).due_on == today + timedelta(days=90)
    assert cadence.history.count() == history
    services.cadence_update(cadence=cadence, version=version, name="Quarterly board meeting")
    assert cadence.history.count() == history + 1


def test_deleting_a_customer_refreshes_nothing_row_by_row(book):
    today, a, _b, _ = book
    pk = a.pk
    with CaptureQueriesContext(connection) as queries:
        a.delete()
    assert not [q for q in queries if q["sql"].startswith('UPDATE "relationships_cadence"')]
    assert not Cadence.objects.filter(customer_id=pk).exists()
    assert_same_answers(today)
