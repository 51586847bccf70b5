"""The play page tells the risk when the play opened, and for a done play the risk 30 and 90 days
after it closed, in the reader's language."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f
from plays.models import Play


@pytest.mark.parametrize(("language", "shown"), [("zh-hans", "当时风险 46（红色）"), ("en", "risk then 46 (Red)")])
def test_the_band_when_opened_is_named_in_the_readers_language(client, alice, language, shown):
    play = f.PlayFactory(customer=f.CustomerFactory(owner=alice), score_at_open=46.2, band_at_open="red")
    client.force_login(alice)
    html = client.get(reverse("play_detail", args=[play.pk]), HTTP_ACCEPT_LANGUAGE=language).text
    assert shown in html


TODAY = business_today()


def done_play(owner, *, closed_days_ago: int, score_at_open=60.0, status=Play.Status.DONE):
    closed_on = TODAY - timedelta(days=closed_days_ago)
    return f.PlayFactory(
        customer=f.CustomerFactory(owner=owner),
        opened_on=closed_on - timedelta(days=20),
        due_on=closed_on,
        status=status,
        closed_on=closed_on,
        closed_by=owner,
        outcome="Met the general manager",
        score_at_open=score_at_open,
        band_at_open="red",
    )


def snapshot(play, days_after: int, score: float, band: str, version):
    f.RiskSnapshotFactory(
        customer=play.customer,
        model_version=version,
        as_of=play.closed_on + timedelta(days=days_after),
        score=score,
        band=band,
        computed_band=band,
    )


def risk_after_text(client, play, language="en") -> str:
    html = client.get(reverse("play_detail", args=[play.pk]), HTTP_ACCEPT_LANGUAGE=language).text
    found = re.search(r'data-testid="play-risk-after">(.*?)</dd>', html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split()) if found else ""


def test_a_done_play_shows_the_risk_30_and_90_days_after_it_closed(client, alice):
    play = done_play(alice, closed_days_ago=120)
    version = f.RiskModelVersionFactory()
    snapshot(play, 7, 55, "red", version)
    snapshot(play, 28, 40, "amber", version)  # the latest within 30 days
    snapshot(play, 35, 33, "amber", version)
    snapshot(play, 84, 25, "green", version)  # the latest within 90 days
    snapshot(play, 100, 70, "red", version)  # later than 90 days: not read
    client.force_login(alice)
    text = risk_after_text(client, play)
    assert "30 days later: 40 (Amber) · -20 points since it opened" in text
    assert "90 days later: 25 (Green) · -35 points since it opened" in text
    zh = risk_after_text(client, play, "zh-hans")
    assert "黄色" in zh and "绿色" in zh


def test_a_play_closed_lately_says_when_its_risk_afterwards_is_read(client, alice):
    play = done_play(alice, closed_days_ago=10)
    snapshot(play, 5, 50, "red", f.RiskModelVersionFactory())
    client.force_login(alice)
    text = risk_after_text(client, play)
    assert f"30 days later: read on {(play.closed_on + timedelta(days=30)).strftime('%-d %b %Y')}" in text
    assert "(Red)" not in text  # the snapshot five days on is not the risk 30 days on
    assert f"90 days later: read on {(play.closed_on + timedelta(days=90)).strftime('%-d %b %Y')}" in text


def test_a_horizon_past_without_a_score_says_so(client, alice):
    play = done_play(alice, closed_days_ago=200)
    client.force_login(alice)
    text = risk_after_text(client, play)
    assert "30 days later: no score then" in text and "90 days later: no score then" in text


def test_a_cancelled_or_open_play_shows_no_risk_afterwards(client, alice):
    cancelled = done_play(alice, closed_days_ago=120, status=Play.Status.CANCELLED)
    snapshot(cancelled, 20, 40, "amber", f.RiskModelVersionFactory())
    client.force_login(alice)
    assert risk_after_text(client, cancelled) == ""
    assert risk_after_text(client, f.PlayFactory(customer=f.CustomerFactory(owner=alice))) == ""
