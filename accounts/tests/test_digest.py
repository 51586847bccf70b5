"""The executives' weekly digest and the nightly refresh of the dashboard's summaries."""

from datetime import date, timedelta

import pytest
from django.core import mail

from accounts import nightly, tasks  # noqa: F401  (registers the tasks)
from accounts.models import DigestSend, PortfolioSummary, RiskSnapshot, SummaryGrain, Tier
from accounts.portfolio.digest import digest_send_weekly
from accounts.tests.test_dashboard import D, portfolio  # noqa: F401  (the hand-counted portfolio)
from accounts.tests.test_nightly import book  # noqa: F401
from accounts.tests.test_risk_factors import AS_OF
from keyaccounts.celery import app
from keyaccounts.tests import factories as f

MONDAY = date(2026, 11, 23)


@pytest.fixture
def executives(erin):
    return [erin, f.executive("ezra")]


def test_each_executive_gets_one_digest_a_week_even_when_the_task_runs_twice(portfolio, executives, settings):  # noqa: F811
    settings.LANGUAGE_CODE = "en"
    task = app.tasks["accounts.tasks.weekly_digest"]
    assert task.apply(kwargs={"today": MONDAY.isoformat()}).get() == {"sent": 2}
    assert task.apply(kwargs={"today": (MONDAY + timedelta(days=2)).isoformat()}).get() == {"sent": 0}
    assert sorted(m.to[0] for m in mail.outbox) == ["erin@example.com", "ezra@example.com"]
    assert set(DigestSend.objects.values_list("week", flat=True)) == {MONDAY}
    # The next week brings the next digest.
    assert task.apply(kwargs={"today": (MONDAY + timedelta(days=7)).isoformat()}).get() == {"sent": 2}
    assert len(mail.outbox) == 4


def test_the_digest_carries_the_dashboard_headlines(portfolio, executives, settings):  # noqa: F811
    settings.LANGUAGE_CODE = "en"
    digest_send_weekly(today=MONDAY)
    message = mail.outbox[0]
    assert message.subject == "Key accounts, week of 23 Nov 2026: 1 red, CN¥1,600 revenue at risk"
    assert "Key accounts: Green 1, Amber 1, Red 1, Insufficient data 0" in message.body
    assert "Anshan Steel: +12.0 → 70 (Purchase trend)" in message.body
    assert "/dashboard/" in message.body


def test_account_managers_and_service_desk_get_no_digest(portfolio, alice, sam):  # noqa: F811
    assert digest_send_weekly(today=MONDAY) == 1  # erin only
    assert [m.to for m in mail.outbox] == [["erin@example.com"]]


def test_no_digest_before_the_first_summary(erin):
    assert digest_send_weekly(today=MONDAY) == 0
    assert not mail.outbox and not DigestSend.objects.exists()


def test_a_failed_mail_is_not_recorded_so_the_next_run_sends_it(portfolio, erin, monkeypatch):  # noqa: F811
    def refuse(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr("accounts.portfolio.digest.send_mail", refuse)
    with pytest.raises(OSError):
        digest_send_weekly(today=MONDAY)
    assert not DigestSend.objects.exists()
    monkeypatch.undo()
    assert digest_send_weekly(today=MONDAY) == 1


def test_the_digest_is_on_the_beat_schedule_weekly():
    entry = app.conf.beat_schedule["weekly-executive-digest"]
    assert entry["task"] == "accounts.tasks.weekly_digest"
    assert entry["schedule"].day_of_week == {1}
    assert entry["options"]["expires"] < 7 * 24 * 3600


def test_the_nightly_job_refreshes_the_summaries_from_its_snapshots(book):  # noqa: F811
    nightly.nightly_jobs(as_of=AS_OF)
    snapshots = RiskSnapshot.objects.filter(as_of=AS_OF)
    whole = {s.tier: s for s in PortfolioSummary.objects.filter(as_of=AS_OF, grain=SummaryGrain.ALL)}
    assert whole[Tier.KEY].customers == snapshots.filter(tier=Tier.KEY).count() == 2
    assert whole[Tier.KEY].customers + whole[Tier.REGULAR].customers == 10
    assert whole[Tier.KEY].red == snapshots.filter(tier=Tier.KEY, band="red").count()
    # Run again: the date's rows are replaced, not added to.
    rows = PortfolioSummary.objects.filter(as_of=AS_OF).count()
    nightly.nightly_jobs(as_of=AS_OF)
    assert PortfolioSummary.objects.filter(as_of=AS_OF).count() == rows


@pytest.mark.needs_redis
@pytest.mark.django_db(transaction=True)
def test_the_digest_task_runs_through_a_real_worker_and_sends_once(real_worker, erin):
    f.PortfolioSummaryFactory(as_of=MONDAY, tier=Tier.KEY)
    f.PortfolioSummaryFactory(as_of=MONDAY, tier=Tier.REGULAR)
    task = app.tasks["accounts.tasks.weekly_digest"]
    first = task.delay(MONDAY.isoformat()).get(timeout=60)
    second = task.delay(MONDAY.isoformat()).get(timeout=60)
    assert (first, second) == ({"sent": 1}, {"sent": 0})
    assert [m.to for m in mail.outbox] == [["erin@example.com"]]
    assert DigestSend.objects.get().user == erin
