# ruff: noqa: F811 (the version fixture is imported from test_my_accounts)
"""My customers' count and filters at any size: the count (read without the list's joins) says
how many rows the filters keep, manual bands included, and a page costs the same number of
queries for 10 customers as for many."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import RiskBand, Tier
from accounts.tests.test_my_accounts import MANAGERS_UNFILTERED_SAVE, scored, version  # noqa: F401
from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f

HOME = reverse("home")
# Session, user, roles, latest scored day, owners for the filter, count, page rows, then tickets,
# interactions, cadences, earlier snapshots for the page's rows, and the newest alerts.
HOME_QUERIES = 12


def by_hand(customer, user, band, *, ended=False):
    today = business_today()
    return f.RiskOverrideFactory(
        customer=customer,
        band=band,
        set_by=user,
        starts_on=today - timedelta(days=5),
        expires_on=today + timedelta(days=10),
        ended_on=today if ended else None,
    )


@pytest.fixture
def banded(alice, version):
    """alice's customers whose shown band comes from the day's snapshot, a manual band in force,
    or neither."""
    made = {}
    for name in ("Red", "Green", "Amber", "Unscored", "Red by hand only", "Red made green by hand"):
        made[name] = f.CustomerFactory(name=name, owner=alice)
    made["Scored only yesterday"] = f.CustomerFactory(name="Scored only yesterday", owner=alice)
    made["Green, an ended red by hand"] = f.CustomerFactory(name="Green, an ended red by hand", owner=alice)
    scored(made["Red"], version, band=RiskBand.RED, score=80, score_change_7d=9, tier=Tier.KEY)
    scored(made["Red"], version, band=RiskBand.RED, days_ago=7, tier=Tier.REGULAR)
    scored(made["Green"], version, band=RiskBand.GREEN, score=10, score_change_7d=-6)
    scored(made["Amber"], version, band=RiskBand.AMBER, score=45)
    by_hand(made["Red by hand only"], alice, RiskBand.RED)
    scored(made["Red made green by hand"], version, band=RiskBand.RED, score=70)
    by_hand(made["Red made green by hand"], alice, RiskBand.GREEN)
    scored(made["Scored only yesterday"], version, band=RiskBand.RED, days_ago=1)
    scored(made["Green, an ended red by hand"], version, band=RiskBand.GREEN, score=5)
    by_hand(made["Green, an ended red by hand"], alice, RiskBand.RED, ended=True)
    return made


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"band": "red"}, ["Red", "Red by hand only"]),
        ({"band": "green"}, ["Green", "Green, an ended red by hand", "Red made green by hand"]),
        ({"band": "amber"}, ["Amber"]),
        ({"band": "at_risk"}, ["Amber", "Red", "Red by hand only"]),
        ({"band": "none"}, ["Scored only yesterday", "Unscored"]),
        (
            {"band": "scored"},
            ["Amber", "Green", "Green, an ended red by hand", "Red", "Red by hand only", "Red made green by hand"],
        ),
        ({"override": "1"}, ["Red by hand only", "Red made green by hand"]),
        ({"moved": "worsened"}, ["Red"]),
        ({"moved": "improved"}, ["Green"]),
        ({"tier_move": "entered"}, ["Red"]),
        ({"band": "red", "q": "hand"}, ["Red by hand only"]),
        ({}, None),
    ],
)
@pytest.mark.parametrize("who", ["alice", "erin"])  # a manager's book, and the whole book
def test_the_count_says_how_many_rows_the_filters_keep(client, banded, who, request, params, expected):
    client.force_login(request.getfixturevalue(who))
    response = client.get(HOME, params)
    listing = response.context["listing"]
    shown = sorted(row.customer.name for row in listing.rows)
    assert shown == (expected if expected is not None else sorted(banded))
    assert listing.page.paginator.count == len(shown)
    noun = "customer" if len(shown) == 1 else "customers"
    assert f"{len(shown)} {noun}" in response.text


def test_another_managers_customers_are_neither_shown_nor_counted(client, alice, banded, version):
    scored(f.CustomerFactory(name="Oscar's red", owner=f.account_manager("oscar")), version, band=RiskBand.RED)
    client.force_login(alice)
    listing = client.get(HOME, {"band": "red"}).context["listing"]
    assert listing.page.paginator.count == len(listing.rows) == 2


def test_the_shown_band_is_the_one_filtered_on(client, alice, banded):
    client.force_login(alice)
    rows = client.get(HOME, {"band": "green"}).context["listing"].rows
    assert {row.customer.name: row.band for row in rows}["Red made green by hand"] == RiskBand.GREEN


def test_unknown_filter_values_are_ignored_by_the_count_too(client, alice, banded):
    client.force_login(alice)
    listing = client.get(HOME, {"band": "purple", "tier": "key"}).context["listing"]
    assert listing.notices
    assert listing.page.paginator.count == len(listing.rows) == 0  # no customer is key: only the tier applies


def test_the_count_of_the_whole_book_pages_it(client, erin, version):
    owner = f.account_manager("owner")
    for n in range(30):
        scored(f.CustomerFactory(owner=owner, revenue_12m=Decimal(n)), version, band=RiskBand.RED, score=n)
    client.force_login(erin)
    first = client.get(HOME, {"band": "red", "sort": "-score"}).context["listing"]
    assert first.page.paginator.count == 30 and len(first.rows) == 25
    rest = client.get(HOME, {"band": "red", "sort": "-score", "page": 2}).context["listing"]
    assert [row.score for row in rest.rows] == [4, 3, 2, 1, 0]


def _book(owner, version, count):
    for n in range(count):
        c = f.CustomerFactory(owner=owner, revenue_12m=Decimal(1000 + n), tier=Tier.KEY if n % 3 else Tier.REGULAR)
        scored(c, version, band=RiskBand.RED if n % 2 else RiskBand.AMBER, score=n)
        if n % 5 == 0:
            by_hand(c, owner, RiskBand.RED)


@pytest.mark.parametrize("who", ["alice", "erin"])
@pytest.mark.parametrize("params", [{}, {"sort": "-score", "band": "red"}, {"band": "at_risk", "override": "1"}])
def test_query_count_is_the_same_for_10_and_60_customers(client, alice, version, who, request, params):
    client.force_login(request.getfixturevalue(who))
    _book(alice, version, 10)
    client.get(HOME)  # the session
    counts = []
    for more in (0, 50):
        _book(alice, version, more)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(HOME, params)
        assert response.status_code == 200
        counts.append(len(queries))
    expected = HOME_QUERIES - (MANAGERS_UNFILTERED_SAVE if who == "alice" and not params else 0)
    assert counts == [expected, expected]
