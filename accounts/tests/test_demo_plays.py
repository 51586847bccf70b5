"""The demo book has plays like a working sales team's: done and cancelled ones with outcomes in the
company's language, open ones (some overdue, steps partly done), and the risk after the done ones,
so the dashboard's "Which countermeasures work" shows figures."""

import re
from datetime import date

import pytest
from django.core.management import call_command

from accounts.models import Customer
from plays.effect_summary import play_effect_summary
from plays.models import Play, PlayStep, Trigger

TODAY = date(2026, 3, 1)
CJK = re.compile(r"[\u4e00-\u9fff]")

pytestmark = pytest.mark.django_db


@pytest.fixture
def book():
    call_command("seed_demo", "--customers", "200", "--seed", "7", "--today", TODAY.isoformat(), verbosity=0)


def test_the_demo_has_plays_in_every_state(book):
    plays = Play.objects.all()
    statuses = set(plays.values_list("status", flat=True))
    assert statuses == {Play.Status.OPEN, Play.Status.IN_PROGRESS, Play.Status.DONE, Play.Status.CANCELLED}
    assert plays.filter(trigger=Trigger.MANUAL, opened_by__isnull=False).exists()  # opened by hand
    assert plays.open().filter(due_on__lt=TODAY).exists()  # overdue
    # Open plays with some steps done and some still to do.
    partly = [
        p
        for p in plays.open().prefetch_related("steps")
        if any(s.done_on for s in p.steps.all()) and any(s.done_on is None for s in p.steps.all())
    ]
    assert partly
    assert not PlayStep.objects.filter(play__status=Play.Status.DONE, done_on__isnull=True).exists()
    assert Play.history.count() == plays.count()


def test_outcomes_are_in_the_companys_language(book):
    chinese = {pk: bool(CJK.search(name)) for pk, name in Customer.objects.values_list("pk", "name")}
    closed = Play.objects.filter(status__in=[Play.Status.DONE, Play.Status.CANCELLED])
    assert closed.exclude(outcome="").count() == closed.count() > 0
    languages = {
        bool(CJK.search(outcome)) == chinese[pk] for pk, outcome in closed.values_list("customer_id", "outcome")
    }
    assert languages == {True}
    assert {chinese[pk] for pk in closed.values_list("customer_id", flat=True)} == {True, False}


def test_the_effect_table_has_figures_on_the_demo(book):
    rows = play_effect_summary(today=TODAY)
    assert (
        rows
        and sum(r.done for r in rows)
        == Play.objects.filter(status=Play.Status.DONE, closed_on__gt=date(2025, 3, 1)).count()
    )
    measured = [r for r in rows if r.measured]
    assert measured and any(r.improved for r in measured) and any(r.improved < r.measured for r in measured)
    assert any(r.measured_90 for r in rows)
    assert any(r.mean_score_change is not None and r.mean_score_change < 0 for r in measured)


def test_the_same_seed_gives_the_same_plays(book):
    first = list(Play.objects.order_by("pk").values_list("customer_id", "trigger", "status", "opened_on", "outcome"))
    call_command("seed_demo", "--customers", "200", "--seed", "7", "--today", TODAY.isoformat(), "--flush", verbosity=0)
    again = list(Play.objects.order_by("pk").values_list("customer_id", "trigger", "status", "opened_on", "outcome"))
    offset = again[0][0] - first[0][0]
    assert [(c + offset, *rest) for c, *rest in first] == again
