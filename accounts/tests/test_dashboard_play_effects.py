"""The executive dashboard's "Which countermeasures work": per playbook, what the plays done in the
last 12 months did to the risk 30 and 90 days after, in one query; figures worked out by hand."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import ChurnReason, CustomerStatus, RiskBand
from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f
from plays.effect_summary import play_effect_summary
from plays.models import Play, Trigger

TODAY = business_today()
URL = reverse("dashboard_play_effects")


def done(customer, *, days_ago, band, score, playbook=None, **extra):
    closed = TODAY - timedelta(days=days_ago)
    return f.PlayFactory(
        customer=customer,
        playbook=playbook,
        trigger=playbook.trigger if playbook else Trigger.MANUAL,
        status=Play.Status.DONE,
        opened_on=closed - timedelta(days=20),
        due_on=closed,
        closed_on=closed,
        band_at_open=band,
        score_at_open=score,
        outcome="Met the buyer",
        **extra,
    )


def snapshot(customer, play, *, days_after, band, score, version):
    f.RiskSnapshotFactory(
        customer=customer,
        as_of=play.closed_on + timedelta(days=days_after),
        band=band,
        computed_band=band,
        score=score,
        model_version=version,
    )


@pytest.fixture
def effects(alice):
    """The newly-red playbook: three plays done in the window, one long ago; one hand-opened play.

    - p1 red 80 → amber 60 at +20 days (improved, −20), green at +80 (still improved at 90 days)
    - p2 amber 50 → amber 55 at +10 (not improved, +5), red at +60 (not improved at 90)
    - p3 red 90, closed 10 days ago: no snapshot since (not measured); its customer churned since
    - p4 closed 400 days ago: outside the 12 months
    - hand-opened, no playbook: green 20 → green 20 at +30 (measured, not improved, 0), which is
      also its latest within 90 days (measured, not improved)
    So newly red: 3 done, 1 of 2 improved (50%), mean change −7.5, 1 of 2 still improved at 90 days
    (50%), 1 of 3 churned (33%); hand-opened: 1 done, 0 of 1 improved (0%), change 0.0, 0 of 1 at
    90 days (0%), none churned.
    """
    version = f.RiskModelVersionFactory()
    playbook = f.PlaybookFactory(trigger=Trigger.NEW_RED, name="Rescue a newly red account", name_zh="挽救新转红的客户")
    c1, c2, c4, c5 = (f.CustomerFactory(owner=alice) for _ in range(4))
    c3 = f.CustomerFactory(
        owner=alice,
        status=CustomerStatus.CHURNED,
        churned_on=TODAY - timedelta(days=3),
        churn_reason=ChurnReason.COMPETITOR_PRICE,
    )
    p1 = done(c1, days_ago=120, band=RiskBand.RED, score=80, playbook=playbook)
    snapshot(c1, p1, days_after=0, band=RiskBand.RED, score=85, version=version)  # on the closing day: not after
    snapshot(c1, p1, days_after=20, band=RiskBand.AMBER, score=60, version=version)
    snapshot(c1, p1, days_after=80, band=RiskBand.GREEN, score=30, version=version)
    snapshot(c1, p1, days_after=100, band=RiskBand.RED, score=90, version=version)  # past 90 days: not read
    p2 = done(c2, days_ago=120, band=RiskBand.AMBER, score=50, playbook=playbook)
    snapshot(c2, p2, days_after=10, band=RiskBand.AMBER, score=55, version=version)
    snapshot(c2, p2, days_after=60, band=RiskBand.RED, score=70, version=version)
    done(c3, days_ago=10, band=RiskBand.RED, score=90, playbook=playbook)
    done(c4, days_ago=400, band=RiskBand.RED, score=90, playbook=playbook)
    p5 = done(c5, days_ago=100, band=RiskBand.GREEN, score=20)
    snapshot(c5, p5, days_after=30, band=RiskBand.GREEN, score=20, version=version)
    # Neither an open nor a cancelled play counts.
    f.PlayFactory(customer=c1, playbook=playbook, trigger=Trigger.NEW_RED)
    f.PlayFactory(customer=c2, playbook=playbook, status=Play.Status.CANCELLED, closed_on=TODAY - timedelta(days=50))
    return playbook


def test_the_figures_per_playbook(effects, django_assert_num_queries):
    # A connection's first JSON expression asks SQLite once whether it has JSON functions.
    assert connection.features.supports_json_field
    with django_assert_num_queries(1):
        rows = play_effect_summary(today=TODAY)
    red, manual = rows
    assert (red.playbook_id, red.done, red.measured, red.improved) == (effects.pk, 3, 2, 1)
    assert red.improved_pct == 50 and red.mean_score_change == pytest.approx(-7.5)
    assert (red.measured_90, red.improved_90, red.improved_90_pct) == (2, 1, 50)
    assert red.churned == 1 and red.churn_pct == 33
    assert manual.playbook_id is None and (manual.done, manual.measured, manual.improved) == (1, 1, 0)
    assert manual.mean_score_change == pytest.approx(0.0) and manual.improved_90_pct == 0
    assert manual.churned == 0


def test_a_horizon_not_yet_passed_is_not_measured_even_with_a_snapshot_since(alice):
    """Closed 15 days ago with a snapshot 5 days on: not the risk 30 days on. Closed 60 days ago:
    measured at 30 days, not yet at 90."""
    version = f.RiskModelVersionFactory()
    playbook = f.PlaybookFactory(trigger=Trigger.SCORE_JUMP, name="Answer a sudden rise in risk")
    recent_customer, older_customer = f.CustomerFactory(owner=alice), f.CustomerFactory(owner=alice)
    recent = done(recent_customer, days_ago=15, band=RiskBand.RED, score=80, playbook=playbook)
    snapshot(recent_customer, recent, days_after=5, band=RiskBand.GREEN, score=20, version=version)
    older = done(older_customer, days_ago=60, band=RiskBand.RED, score=80, playbook=playbook)
    snapshot(older_customer, older, days_after=25, band=RiskBand.AMBER, score=50, version=version)
    snapshot(older_customer, older, days_after=55, band=RiskBand.GREEN, score=20, version=version)
    (row,) = play_effect_summary(today=TODAY)
    assert (row.done, row.measured, row.improved, row.mean_score_change) == (2, 1, 1, pytest.approx(-30))
    assert row.measured_90 == 0 and row.improved_90_pct is None


def row_text(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}"')
    return html[start : html.index("</tr>", start)]


def test_the_section_shows_the_table_to_an_executive(client, erin, effects):
    client.force_login(erin)
    response = client.get(URL, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    red = row_text(html, f"effect-{effects.pk}")
    assert "Rescue a newly red account" in red
    assert ">3<" in red and "50%" in red and "of 2 measured" in red and "-7.5" in red
    assert "33%" in red and "text-danger" in red
    manual = row_text(html, "effect-manual")
    assert "Opened by hand, no playbook" in manual and "0%" in manual and "of 1 measured" in manual
    assert "not yet measured" not in manual


def test_the_section_speaks_chinese(client, erin, effects):
    client.force_login(erin)
    html = client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "挽救新转红的客户" in html


def test_a_score_change_shows_its_direction_in_words_not_only_colour(client, erin, effects):
    client.force_login(erin)
    red = row_text(client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode(), f"effect-{effects.pk}")
    assert "bi-arrow-down" in red and "less risk" in red


def test_without_plays_done_the_section_says_what_to_do(client, erin):
    client.force_login(erin)
    html = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="play-effects-none"' in html
    assert "Close plays with their outcome" in html and reverse("my_plays") in html


@pytest.mark.parametrize("who", ["alice", "sam"])
def test_only_executives_and_admins_see_it(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403


def test_the_dashboard_loads_the_section(client, erin):
    client.force_login(erin)
    html = client.get(reverse("portfolio_dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'hx-get="{URL}"' in html


@pytest.mark.parametrize("extra", [0, 20])
def test_the_section_costs_the_same_queries_however_many_plays(
    client, erin, alice, effects, extra, django_assert_num_queries
):
    for _ in range(extra):
        done(f.CustomerFactory(owner=alice), days_ago=30, band=RiskBand.RED, score=70, playbook=effects)
    client.force_login(erin)
    with django_assert_num_queries(SECTION_QUERIES):
        assert client.get(URL).status_code == 200


# Three for the signed-in request (session, user, roles), one for the table.
SECTION_QUERIES = 4
