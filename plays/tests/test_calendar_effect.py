"""Each person's calendar feed of plays, steps and cadences; and what closed plays did to the risk
30 and 90 days on, per playbook ("which countermeasures work")."""

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import ChurnReason, CustomerStatus, RiskBand
from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f
from plays.effect import closed_plays_with_effect
from plays.effect_summary import play_effect_summary
from plays.models import Play, Trigger
from plays.views import calendar_token

pytestmark = pytest.mark.django_db

CHURN_REASON = ChurnReason.COMPETITOR_PRICE


def days(n: int):
    return business_today() + timedelta(days=n)


def feed_url(user, token=None) -> str:
    return reverse("plays_calendar", args=[token or calendar_token(user)])


def unfolded(text: str) -> str:
    """The feed with its folded lines joined again (RFC 5545 3.1)."""
    return text.replace("\r\n ", "")


# --- the calendar feed ------------------------------------------------------------------------------


def test_the_feed_gives_the_persons_open_plays_steps_and_cadences_due(client, customer, alice, oscar, oscars_customer):
    play = f.PlayFactory(customer=customer, owner=alice, title="Win back the gearbox line", due_on=days(10))
    step = f.PlayStepFactory(play=play, title="Call the buyer", assignee=alice, due_on=days(2))
    f.PlayStepFactory(play=play, title="Already done", assignee=alice, due_on=days(1), done_on=days(0))
    closed = f.PlayFactory(customer=customer, owner=alice, title="Closed play", due_on=days(5))
    Play.objects.filter(pk=closed.pk).update(status="done", closed_on=days(0), outcome="ok")
    cadence = f.CadenceFactory(customer=customer, owner=alice, name="Quarterly review")
    type(cadence).objects.filter(pk=cadence.pk).update(due_on=days(7))
    f.PlayFactory(customer=oscars_customer, owner=oscar, title="Oscar's play", due_on=days(3))

    response = client.get(feed_url(alice))
    assert response.status_code == 200 and response["Content-Type"] == "text/calendar; charset=utf-8"
    text = unfolded(response.text)
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert f"UID:play-{play.pk}@keyaccounts" in text and f"UID:step-{step.pk}@keyaccounts" in text
    assert f"UID:cadence-{cadence.pk}@keyaccounts" in text
    assert (
        f"SUMMARY:Shanghai Precision Motors: Win back the gearbox line\r\nURL:http://testserver/plays/{play.pk}/"
        in text
    )
    assert f"DTSTART;VALUE=DATE:{days(2):%Y%m%d}" in text
    assert "Already done" not in text and "Closed play" not in text and "Oscar" not in text
    assert text.count("BEGIN:VEVENT") == 3


def test_another_persons_plays_never_appear_in_a_feed(client, customer, alice, bob, oscar):
    play = f.PlayFactory(customer=customer, owner=alice, title="Alice's play", due_on=days(10))
    f.PlayStepFactory(play=play, title="Bob's step", assignee=bob, due_on=days(2))
    # bob's feed: his step, not alice's play.
    bobs = unfolded(client.get(feed_url(bob)).text)
    assert "Bob's step" in bobs and "SUMMARY:Shanghai Precision Motors: Alice's play" not in bobs
    # A play left to alice on a customer she no longer sees stays out of her feed.
    moved = f.CustomerFactory(name="Moved Away Ltd", owner=oscar)
    f.PlayFactory(customer=moved, owner=alice, title="Orphan play", due_on=days(4))
    alices = unfolded(client.get(feed_url(alice)).text)
    assert "Alice's play" in alices and "Orphan play" not in alices and "Bob's step" not in alices


def test_a_wrong_token_is_not_found(client, alice, oscar, customer):
    f.PlayFactory(customer=customer, owner=alice, due_on=days(3))
    good = calendar_token(alice)
    user_id, _sep, signature = good.partition("-")
    forged = [
        f"{user_id}-{signature[:-2]}xx",  # a tampered signature
        f"{oscar.pk}-{signature}",  # alice's signature on oscar's id
        "nonsense",
        f"{user_id}-",
    ]
    for token in forged:
        assert client.get(feed_url(alice, token)).status_code == 404, token
    alice.is_active = False
    alice.save()
    assert client.get(feed_url(alice, good)).status_code == 404


def test_a_new_password_gives_a_new_address_and_stops_the_old_one(client, alice, customer):
    f.PlayFactory(customer=customer, owner=alice, due_on=days(3))
    old = calendar_token(alice)
    assert client.get(feed_url(alice, old)).status_code == 200
    alice.set_password("a-new-secret-for-alice")
    alice.save()
    assert client.get(feed_url(alice, old)).status_code == 404
    new = calendar_token(alice)
    assert new != old and client.get(feed_url(alice, new)).status_code == 200


def test_a_long_chinese_name_is_folded_at_75_octets_and_special_characters_escaped(client, alice):
    name = "上海精密电机股份有限公司，华东区；重点客户" * 3
    customer = f.CustomerFactory(name=name, owner=alice)
    f.PlayFactory(customer=customer, owner=alice, title="Line one\nline two, with \\ backslash", due_on=days(3))
    raw = client.get(feed_url(alice)).content
    lines = raw.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    # Continuation lines start with a space; a character is never split across lines.
    raw.decode("utf-8")
    for line in lines:
        line.decode("utf-8")
    assert any(line.startswith(b" ") for line in lines)
    summary = next(line for line in unfolded(raw.decode()).split("\r\n") if line.startswith("SUMMARY:"))
    # Full-width punctuation is text; the title's ASCII newline, comma and backslash are escaped.
    assert summary == f"SUMMARY:{name}: Line one\\nline two\\, with \\\\ backslash"


def test_ascii_commas_and_semicolons_in_a_name_are_escaped(client, alice):
    customer = f.CustomerFactory(name="Acme; Sons, Ltd", owner=alice)
    f.PlayFactory(customer=customer, owner=alice, title="Renew", due_on=days(3))
    assert "SUMMARY:Acme\\; Sons\\, Ltd: Renew\r\n" in unfolded(client.get(feed_url(alice)).text)


# The user; their roles; their plays; their steps; their cadences.
CALENDAR_QUERIES = 5


@pytest.mark.parametrize("n", [3, 30])
def test_the_feed_costs_the_same_queries_for_3_and_30_plays(client, alice, n, django_assert_num_queries):
    customers = [f.CustomerFactory(owner=alice) for _ in range(3)]
    for i in range(n):
        play = f.PlayFactory(customer=customers[i % 3], owner=alice, due_on=days(5 + i))
        f.PlayStepFactory(play=play, assignee=alice, due_on=days(1))
        cadence = f.CadenceFactory(customer=customers[i % 3], owner=alice, starts_on=days(-400 - i))
        type(cadence).objects.filter(pk=cadence.pk).update(due_on=days(2))
    url = feed_url(alice)
    client.get(url)
    with django_assert_num_queries(CALENDAR_QUERIES):
        response = client.get(url)
    assert response.text.count("BEGIN:VEVENT") == 3 * n


# --- the effect of closed plays -----------------------------------------------------------------------


def closed_play(customer, *, closed_days_ago: int, playbook=None, band="red", score=80.0, status="done"):
    closed_on = days(-closed_days_ago)
    play = f.PlayFactory(
        customer=customer,
        playbook=playbook,
        trigger=playbook.trigger if playbook else Trigger.MANUAL,
        opened_on=closed_on - timedelta(days=20),
        due_on=closed_on,
        band_at_open=band,
        score_at_open=score,
    )
    Play.objects.filter(pk=play.pk).update(status=status, closed_on=closed_on, outcome="Done")
    return Play.objects.get(pk=play.pk)


def snapshot(customer, on, band, score):
    return f.RiskSnapshotFactory(customer=customer, as_of=on, band=band, computed_band=band, score=score)


def test_a_plays_risk_30_and_90_days_after_closing(customer):
    play = closed_play(customer, closed_days_ago=100)
    snapshot(customer, play.closed_on - timedelta(days=1), RiskBand.RED, 85.0)  # before: not "after"
    snapshot(customer, play.closed_on + timedelta(days=20), RiskBand.AMBER, 60.0)
    snapshot(customer, play.closed_on + timedelta(days=28), RiskBand.AMBER, 55.0)
    snapshot(customer, play.closed_on + timedelta(days=85), RiskBand.GREEN, 30.0)
    snapshot(customer, play.closed_on + timedelta(days=95), RiskBand.RED, 90.0)  # beyond 90 days
    measured = closed_plays_with_effect().get(pk=play.pk)
    assert (measured.score_30, measured.band_30) == (55.0, RiskBand.AMBER)
    assert (measured.score_90, measured.band_90) == (30.0, RiskBand.GREEN)


def test_a_play_closed_too_recently_is_not_measured_for_that_horizon(customer, oscars_customer):
    # Closed 40 days ago: its 30 days are over, its 90 are not — the snapshot of 35 days on is not "90 days on".
    play = closed_play(customer, closed_days_ago=40)
    snapshot(customer, play.closed_on + timedelta(days=25), RiskBand.AMBER, 50.0)
    snapshot(customer, play.closed_on + timedelta(days=35), RiskBand.GREEN, 20.0)
    recent = closed_play(oscars_customer, closed_days_ago=10)
    snapshot(oscars_customer, recent.closed_on + timedelta(days=5), RiskBand.GREEN, 20.0)
    rows = {p.pk: p for p in closed_plays_with_effect()}
    assert (rows[play.pk].score_30, rows[play.pk].score_90, rows[play.pk].band_90) == (50.0, None, None)
    assert (rows[recent.pk].score_30, rows[recent.pk].band_30, rows[recent.pk].score_90) == (None, None, None)


def test_the_effect_per_playbook_improved_share_mean_score_change_and_churn_after(customer, alice, oscars_customer):
    rescue = f.PlaybookFactory(trigger=Trigger.NEW_RED)
    price = f.PlaybookFactory(trigger=Trigger.PRICE_GAP, name="Answer a price gap")
    # Rescue: one account improved red→amber (80→50), one stayed red (80→90) and churned afterwards.
    improved = closed_play(customer, closed_days_ago=60, playbook=rescue)
    snapshot(customer, improved.closed_on + timedelta(days=30), RiskBand.AMBER, 50.0)
    churner = f.CustomerFactory(owner=alice)
    stayed = closed_play(churner, closed_days_ago=60, playbook=rescue)
    snapshot(churner, stayed.closed_on + timedelta(days=10), RiskBand.RED, 90.0)
    type(churner).objects.filter(pk=churner.pk).update(
        status=CustomerStatus.CHURNED, churned_on=stayed.closed_on + timedelta(days=40), churn_reason=CHURN_REASON
    )
    # A rescue closed last week counts as closed but is not measured yet; a cancelled one not at all.
    fresh = f.CustomerFactory(owner=alice)
    closed_play(fresh, closed_days_ago=7, playbook=rescue)
    snapshot(fresh, days(-1), RiskBand.GREEN, 10.0)
    closed_play(f.CustomerFactory(owner=alice), closed_days_ago=60, playbook=rescue, status="cancelled")
    # Price gap: one amber account, green 30 days on (60→20).
    priced = closed_play(oscars_customer, closed_days_ago=45, playbook=price, band="amber", score=60.0)
    snapshot(oscars_customer, priced.closed_on + timedelta(days=15), RiskBand.GREEN, 20.0)

    effects = {e.playbook_id: e for e in play_effect_summary(today=days(0))}
    r, p = effects[rescue.pk], effects[price.pk]
    assert (r.done, r.measured, r.improved, r.churned) == (3, 2, 1, 1)
    assert r.improved_share == 0.5 and r.mean_score_change == pytest.approx((-30 + 10) / 2)
    assert r.churn_rate == pytest.approx(1 / 3)
    assert (p.done, p.measured, p.improved_share, p.mean_score_change, p.churn_rate) == (1, 1, 1.0, -40.0, 0.0)
    # Only the plays given (e.g. those a person may see) are counted.
    mine = play_effect_summary(today=days(0), plays=Play.objects.filter(customer__owner=alice))
    assert [e.playbook_id for e in mine] == [rescue.pk]


def test_a_customer_who_churned_before_the_play_closed_is_not_churn_after_it(customer):
    play = closed_play(customer, closed_days_ago=60)
    type(customer).objects.filter(pk=customer.pk).update(
        status=CustomerStatus.CHURNED, churned_on=play.closed_on - timedelta(days=5), churn_reason=CHURN_REASON
    )
    (effect,) = play_effect_summary(today=days(0))
    assert (effect.playbook_id, effect.done, effect.churned, effect.churn_rate) == (None, 1, 0, 0.0)
    assert (effect.measured, effect.improved_share) == (0, None)
