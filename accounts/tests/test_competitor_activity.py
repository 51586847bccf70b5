"""The executive dashboard's "Competitor activity this month": entries per competitor and kind,
for executives only, in a fixed number of queries."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import CompetitorIntel
from accounts.portfolio.intel import COMPETITORS_SHOWN, competitor_activity
from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f

pytestmark = pytest.mark.django_db

URL = reverse("portfolio_dashboard")
TODAY = business_today()
FIRST = TODAY.replace(day=1)
Kind = CompetitorIntel.Kind


@pytest.fixture
def activity(customer, oscars_customer):
    """Two competitors active this month at two customers; entries of last month and of the
    future do not count."""
    acme = f.CompetitorFactory(name="Acme Bearings")
    nippon = f.CompetitorFactory(name="Nippon Bearing Works")
    for kind in (Kind.PRICE_MOVE, Kind.PRICE_MOVE, Kind.KICKBACK):
        f.CompetitorIntelFactory(customer=customer, competitor=nippon, kind=kind, noted_on=FIRST)
    f.CompetitorIntelFactory(customer=oscars_customer, competitor=nippon, kind=Kind.NEW_PRODUCT, noted_on=TODAY)
    f.CompetitorIntelFactory(customer=oscars_customer, competitor=acme, kind=Kind.QUALITY_CLAIM, noted_on=TODAY)
    f.CompetitorIntelFactory(customer=customer, competitor=acme, noted_on=FIRST - timedelta(days=1))
    f.CompetitorIntelFactory(customer=customer, competitor=acme, noted_on=TODAY + timedelta(days=1))
    return {"acme": acme, "nippon": nippon}


def row_text(page: str, testid: str) -> str:
    match = re.search(rf'<tr data-testid="{testid}">(.*?)</tr>', page, re.S)
    assert match, testid
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_the_read_counts_this_months_entries_per_competitor_and_kind(activity):
    read = competitor_activity(today=TODAY)
    assert [(row.name, row.total) for row in read["rows"]] == [("Nippon Bearing Works", 4), ("Acme Bearings", 1)]
    nippon = read["rows"][0]
    assert nippon.by_kind == {"price_move": 2, "kickback": 1, "new_product": 1}
    assert read["totals"].total == 5 and read["others"] is None


def test_the_dashboard_shows_the_table_to_an_executive(client, erin, activity):
    client.force_login(erin)
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").text
    assert "Competitor activity this month" in page
    # Price move, new product, approach, quality claim, kickback, other, total
    assert row_text(page, f"competitor-{activity['nippon'].pk}") == "Nippon Bearing Works 2 1 · · 1 · 4"
    assert row_text(page, f"competitor-{activity['acme'].pk}") == "Acme Bearings · · · 1 · · 1"


def test_beyond_the_most_active_the_rest_are_summed(customer):
    for i in range(COMPETITORS_SHOWN + 2):
        f.CompetitorIntelFactory(
            customer=customer, competitor=f.CompetitorFactory(name=f"Rival {i:02d}"), noted_on=TODAY
        )
    read = competitor_activity(today=TODAY)
    assert len(read["rows"]) == COMPETITORS_SHOWN
    assert read["others_count"] == 2 and read["others"].total == 2


def test_without_entries_the_section_says_so(client, erin):
    client.force_login(erin)
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").text
    assert 'data-testid="competitor-activity-none"' in page


@pytest.mark.parametrize("who", ["alice", "oscar", "sam"])
def test_only_executives_and_admins_see_the_dashboard(client, who, activity, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403


@pytest.mark.parametrize("n", [3, 30])
def test_the_activity_is_one_query_whatever_the_number_of_entries(customer, n, django_assert_num_queries):
    rivals = f.CompetitorFactory.create_batch(4)
    for i in range(n):
        f.CompetitorIntelFactory(
            customer=customer, competitor=rivals[i % 4], kind=Kind.values[i % len(Kind.values)], noted_on=TODAY
        )
    with django_assert_num_queries(1):
        read = competitor_activity(today=TODAY)
    assert read["totals"].total == n
