"""Today a page at a time at any size: the pages together hold every customer needing attention
once, in order; the count is the same on every page; a page costs the same number of queries for
10 customers as for many."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import RiskBand
from accounts.workspace.today import TODAY_PAGE_SIZE
from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f
from relationships.models import BuyingRole

TODAY_URL = reverse("today")
HTMX = {"HX-Request": "true"}
# Session, user, roles, the latest scoring day, the ranking (the page's customers and how many
# need attention), the page's customers, then one query a kind of item: tickets, alerts,
# cadences, decision makers, overrides, needs.
TODAY_QUERIES = 12
BANDS = [RiskBand.GREEN, RiskBand.AMBER, RiskBand.RED]


def busy_book(owner, count, *, start=0):
    """``count`` of owner's customers with something to do, of every band and score, some with a
    late ticket; and one with nothing to do."""
    today, now = business_today(), timezone.now()
    for n in range(start, start + count):
        c = f.CustomerFactory(name=f"Customer {n:03}", owner=owner)
        f.RiskSnapshotFactory(customer=c, as_of=today, band=BANDS[n % 3], computed_band=BANDS[n % 3], score=n)
        if n % 4 == 0:
            f.TicketFactory(customer=c, response_due_at=now - timedelta(hours=1))
        elif n % 4 == 1:
            f.ContactFactory(customer=c, buying_role=BuyingRole.DECISION_MAKER)
        else:
            f.ProductNeedFactory(customer=c)
    f.CustomerFactory(name="Nothing to do", owner=owner)


def expected_order(count) -> list[str]:
    """Red before amber before green, a late ticket first, then the higher score."""

    def key(n):
        return (-BANDS.index(BANDS[n % 3]), n % 4 != 0, -n)

    return [f"Customer {n:03}" for n in sorted(range(count), key=key)]


def shown(response) -> list[str]:
    return [card.customer.name for card in response.context["listing"].customers]


def test_the_pages_together_hold_every_customer_once_in_order(client, alice):
    busy_book(alice, 25)
    client.force_login(alice)
    pages = [client.get(TODAY_URL, {"page": n}, headers=HTMX if n > 1 else {}) for n in (1, 2, 3)]
    assert sum((shown(page) for page in pages), []) == expected_order(25)
    assert [page.context["listing"].total for page in pages] == [25, 25, 25]
    assert "Show the rest (15 more customers)" in pages[0].text
    assert "Show the rest" not in pages[2].text


def test_a_page_past_the_end_shows_nobody_but_keeps_the_count(client, alice):
    busy_book(alice, 3)
    client.force_login(alice)
    response = client.get(TODAY_URL, {"page": 9})
    assert shown(response) == []
    assert response.context["listing"].total == 3
    assert "3 customers need attention" in response.text and "Show the rest" not in response.text


def test_the_executive_sees_every_managers_customers_counted_once(client, alice, oscar, erin):
    busy_book(alice, 6)
    busy_book(oscar, 6, start=6)
    client.force_login(erin)
    listing = client.get(TODAY_URL).context["listing"]
    assert listing.total == 12 and len(listing.customers) == TODAY_PAGE_SIZE
    client.force_login(alice)
    assert client.get(TODAY_URL).context["listing"].total == 6


@pytest.mark.parametrize("who", ["alice", "erin"])
def test_query_count_is_the_same_for_10_and_60_customers(client, alice, who, request):
    client.force_login(request.getfixturevalue(who))
    busy_book(alice, 10)
    client.get(TODAY_URL)  # the session
    counts, totals = [], []
    for start, more in ((10, 0), (10, 50)):
        busy_book(alice, more, start=start)
        for page in (1, 2):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(TODAY_URL, {"page": page}, headers=HTMX if page > 1 else {})
            assert response.status_code == 200
            counts.append(len(queries))
        totals.append(response.context["listing"].total)
    assert totals == [10, 60]
    # The second page of ten customers is past the end: no customers, so no items to read, and
    # the count alone instead of the ranking.
    assert counts == [TODAY_QUERIES, 6, TODAY_QUERIES, TODAY_QUERIES]
