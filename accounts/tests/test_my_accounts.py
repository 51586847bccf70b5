"""My accounts, the home page: who sees which customers, the columns, filters, sorting, paging and
the htmx table fragment."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Industry, Region, RelationshipLevel, Tier
from accounts.workspace.filters import MAX_PER_PAGE
from complaints.models import Ticket
from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f
from keyaccounts.tests.browser import chromium
from relationships.models import InteractionKind

HOME = reverse("home")
HTMX = {"HX-Request": "true"}
# Session, user, roles, latest scored day, owners for the filter, count, page rows, then tickets,
# interactions, cadences, earlier snapshots for the page's rows, and the newest alerts.
HOME_QUERIES = 12
# The fragment does not list the alerts.
FRAGMENT_QUERIES = 11
# A manager's unfiltered list reads the latest scored day with the ids of their customers, whose
# number is the count: one query fewer.
MANAGERS_UNFILTERED_SAVE = 1


@pytest.fixture
def version(db):
    return f.RiskModelVersionFactory()


def scored(customer, version, *, band="amber", score=40.0, days_ago=0, **fields):
    return f.RiskSnapshotFactory(
        customer=customer,
        as_of=business_today() - timedelta(days=days_ago),
        model_version=version,
        band=band,
        computed_band=band,
        score=score,
        **fields,
    )


def listing(client, user, **params):
    client.force_login(user)
    response = client.get(HOME, params)
    assert response.status_code == 200
    return response


def names(response) -> list[str]:
    return [row.customer.name for row in response.context["listing"].rows]


# --- who sees what -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "bob", "tina"])
def test_owner_backup_and_teammate_see_the_customer(client, customer, oscars_customer, who, request):
    page = listing(client, request.getfixturevalue(who)).text
    assert customer.name in page
    assert oscars_customer.name not in page


def test_outsider_manager_sees_only_his_own_customers(client, oscar, customer, oscars_customer):
    page = listing(client, oscar).text
    assert oscars_customer.name in page
    assert customer.name not in page


def test_outsider_cannot_find_another_managers_customer_by_its_code(client, oscar, customer):
    response = listing(client, oscar, q=customer.code)
    assert names(response) == []
    assert "No customer matches these filters." in response.text


@pytest.mark.parametrize("who", ["erin", "sam", "superuser"])
def test_executive_service_desk_and_admin_see_every_customer(client, customer, oscars_customer, who, request):
    page = listing(client, request.getfixturevalue(who)).text
    assert customer.name in page and oscars_customer.name in page


def test_anonymous_visitor_is_sent_to_login(client, customer):
    for headers in ({}, HTMX):
        response = client.get(HOME, headers=headers)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_executive_gets_an_owner_filter_and_a_manager_with_one_owner_does_not(client, erin, alice, customer):
    assert 'name="owner"' in listing(client, erin).text
    assert 'name="owner"' not in listing(client, alice).text


def test_teammate_sees_the_owner_filter_when_the_book_has_several_owners(client, tina, customer):
    f.CustomerFactory(owner=tina)
    assert 'name="owner"' in listing(client, tina).text


@pytest.mark.parametrize("limit", [5000, 2])
def test_a_managers_book_reads_the_same_as_an_id_list_or_a_subquery(client, alice, oscar, limit, monkeypatch):
    from accounts import permissions

    monkeypatch.setattr(permissions, "CUSTOMER_ID_LIST_LIMIT", limit)
    owned = f.CustomerFactory(owner=alice, name="A owned", tier=Tier.KEY)
    backed = f.CustomerFactory(owner=oscar, backup_owner=alice, name="B backed")
    team = f.CustomerFactory(owner=oscar, name="C on the team")
    team.account_team.add(alice)
    f.CustomerFactory(owner=oscar, name="D not hers")
    response = listing(client, alice, sort="name")
    assert names(response) == [owned.name, backed.name, team.name]
    assert response.context["listing"].page.paginator.count == 3
    assert names(listing(client, alice, sort="name", tier=Tier.KEY)) == [owned.name]
    assert names(listing(client, alice, sort="name", per_page=1, page=3)) == [team.name]


def test_a_managers_owner_filter_offers_the_owners_of_their_book_and_no_one_else(client, alice, oscar):
    backer, teammate, stranger = (f.account_manager(name) for name in ("bea", "tom", "sam"))
    f.CustomerFactory(owner=alice)
    f.CustomerFactory(owner=oscar, backup_owner=alice)
    f.CustomerFactory(owner=teammate).account_team.add(alice)
    f.CustomerFactory(owner=stranger)
    f.CustomerFactory(owner=backer, backup_owner=oscar)
    client.force_login(alice)
    response = client.get(reverse("home"))
    offered = {int(pk) for pk, _name in response.context["listing"].owners}
    assert offered == {alice.pk, oscar.pk, teammate.pk}


def test_owner_filter_narrows_the_list_to_that_owners_customers(client, erin, alice, oscar, customer, oscars_customer):
    assert names(listing(client, erin, owner=oscar.pk)) == [oscars_customer.name]


def test_owner_filter_cannot_be_used_to_reach_customers_outside_the_book(client, oscar, alice, customer):
    response = listing(client, oscar, owner=alice.pk)
    assert customer.name not in names(response)
    assert "Ignored the unknown value" in response.text


# --- the htmx fragment ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "bob", "tina", "erin", "sam"])
def test_htmx_request_gets_only_the_table_fragment(client, customer, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get(HOME, {"q": "Shanghai"}, headers=HTMX)
    assert response.status_code == 200
    assert customer.name in response.text
    assert "<html" not in response.text and 'id="account-filters"' not in response.text
    # The filter form's hidden sort and page size follow the links clicked in the table.
    assert 'id="filter-sort"' in response.text and 'hx-swap-oob="true"' in response.text
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_htmx_fragment_for_an_outsider_leaves_the_customer_out(client, oscar, customer):
    client.force_login(oscar)
    response = client.get(HOME, headers=HTMX)
    assert customer.name not in response.text


def test_htmx_history_restore_gets_the_whole_page(client, alice, customer):
    client.force_login(alice)
    response = client.get(HOME, headers={**HTMX, "HX-History-Restore-Request": "true"})
    assert "<html" in response.text


# --- columns -------------------------------------------------------------------------------------


def test_band_comes_from_the_latest_scored_day(client, alice, customer, version):
    scored(customer, version, band="green", score=10, days_ago=3)
    scored(customer, version, band="red", score=70, days_ago=0)
    page = listing(client, alice).text
    assert "band-red" in page and "band-green" not in page


def test_a_customer_not_scored_on_the_latest_day_shows_as_not_scored(client, alice, customer, version):
    other = f.CustomerFactory(owner=alice)
    scored(customer, version, band="red", days_ago=5)
    scored(other, version, band="green", days_ago=0)
    rows = {row.customer.name: row for row in listing(client, alice).context["listing"].rows}
    assert rows[customer.name].band is None
    assert rows[other.name].band == "green"


@pytest.mark.parametrize(("change", "arrow"), [(12.0, "up"), (-9.0, "down"), (1.0, "flat")])
def test_score_trend_arrow_follows_the_seven_day_change(client, alice, customer, version, change, arrow):
    scored(customer, version, score_change_7d=change)
    assert f'data-trend="{arrow}"' in listing(client, alice).text


def test_open_override_shows_its_band_and_a_marker(client, alice, customer, version):
    scored(customer, version, band="green", score=10)
    f.RiskOverrideFactory(
        customer=customer,
        band="red",
        set_by=alice,
        starts_on=business_today(),
        expires_on=business_today() + timedelta(days=30),
    )
    page = listing(client, alice).text
    assert 'data-testid="override-marker"' in page and "band-red" in page


def test_ended_override_leaves_no_marker(client, alice, customer, version):
    scored(customer, version, band="green", score=10)
    f.RiskOverrideFactory(customer=customer, band="red", set_by=alice, ended_on=business_today())
    page = listing(client, alice).text
    assert 'data-testid="override-marker"' not in page and "band-green" in page


def test_top_reason_is_the_first_reason_in_the_readers_language(client, alice, customer, version):
    scored(
        customer,
        version,
        reasons=[
            {
                "factor": "price",
                "code": "price_above_market",
                "params": {"pct": 18, "worst_product": "Bearing X", "worst_pct": 25},
            },
            {"factor": "relationship", "code": "single_owner", "params": {}},
        ],
    )
    assert "Our price is 18% above the market average (Bearing X: 25%)" in listing(client, alice).text


def test_revenue_trend_compares_with_the_snapshot_about_ninety_days_earlier(client, alice, customer, version):
    customer.revenue_12m = Decimal("1200000")
    customer.save()
    scored(customer, version, days_ago=0, revenue_12m=Decimal("1200000"))
    scored(customer, version, days_ago=92, revenue_12m=Decimal("1000000"))
    response = listing(client, alice)
    assert response.context["listing"].rows[0].revenue_trend_percent == 20.0
    assert "▲ 20.0%" in response.text


def test_revenue_trend_takes_the_closest_snapshot_to_ninety_days_and_the_earlier_on_a_tie(
    client, alice, customer, version
):
    customer.revenue_12m = Decimal("1200000")
    customer.save()
    scored(customer, version, days_ago=0, revenue_12m=Decimal("1200000"))
    scored(customer, version, days_ago=88, revenue_12m=Decimal("600000"))  # two days after the target
    scored(customer, version, days_ago=92, revenue_12m=Decimal("1000000"))  # two days before it
    assert listing(client, alice).context["listing"].rows[0].revenue_trend_percent == 20.0
    scored(customer, version, days_ago=89, revenue_12m=Decimal("800000"))  # one day after: closer
    assert listing(client, alice).context["listing"].rows[0].revenue_trend_percent == 50.0
    scored(customer, version, days_ago=90, revenue_12m=Decimal("1500000"))  # the day itself
    assert listing(client, alice).context["listing"].rows[0].revenue_trend_percent == -20.0


def test_revenue_trend_is_a_dash_without_an_earlier_snapshot(client, alice, customer, version):
    scored(customer, version, days_ago=0)
    scored(customer, version, days_ago=40, revenue_12m=Decimal("1000000"))
    assert listing(client, alice).context["listing"].rows[0].revenue_trend_percent is None


def test_ticket_counts_count_open_and_overdue_tickets(client, alice, customer):
    now = timezone.now()
    f.TicketFactory(customer=customer, response_due_at=now + timedelta(hours=5))  # open, on time
    f.TicketFactory(customer=customer, response_due_at=now - timedelta(hours=1))  # no response in time
    f.TicketFactory(  # answered, but not resolved in time
        customer=customer,
        status=Ticket.Status.IN_PROGRESS,
        first_response_at=now - timedelta(days=1),
        resolution_due_at=now - timedelta(hours=2),
    )
    f.TicketFactory(  # resolved late: no longer open
        customer=customer,
        status=Ticket.Status.RESOLVED,
        resolved_at=now,
        resolution_due_at=now - timedelta(days=1),
    )
    row = listing(client, alice).context["listing"].rows[0]
    assert (row.open_tickets, row.overdue_tickets) == (3, 2)


def test_days_since_contact_and_since_executive_contact(client, alice, customer):
    today = business_today()
    f.InteractionFactory(customer=customer, occurred_on=today - timedelta(days=4), kind=InteractionKind.CALL)
    f.InteractionFactory(
        customer=customer, occurred_on=today - timedelta(days=50), kind=InteractionKind.EXECUTIVE_MEETING
    )
    f.InteractionFactory(
        customer=customer, occurred_on=today + timedelta(days=9), kind=InteractionKind.VISIT
    )  # planned
    row = listing(client, alice).context["listing"].rows[0]
    assert (row.days_since_contact, row.days_since_executive_contact) == (4, 50)


def test_never_contacted_customer_says_never(client, alice, customer):
    response = listing(client, alice)
    assert response.context["listing"].rows[0].days_since_contact is None
    assert "never" in response.text


def test_next_cadence_is_the_soonest_due_one(client, alice, customer):
    today = business_today()
    f.CadenceFactory(
        customer=customer,
        name="Monthly visit",
        interaction_kind=InteractionKind.VISIT,
        interval_days=30,
        starts_on=today - timedelta(days=200),
    )
    f.InteractionFactory(customer=customer, occurred_on=today - timedelta(days=10), kind=InteractionKind.VISIT)
    f.CadenceFactory(
        customer=customer, name="Quarterly executive meeting", interval_days=90, starts_on=today - timedelta(days=100)
    )
    f.CadenceFactory(  # ended: not shown
        customer=customer,
        name="Old weekly call",
        interaction_kind=InteractionKind.CALL,
        interval_days=7,
        starts_on=today - timedelta(days=300),
        ends_on=today - timedelta(days=30),
    )
    row = listing(client, alice).context["listing"].rows[0]
    # Executive meeting: none held, so due one interval after its start (10 days ago); the visit
    # is due in 20 days.
    assert (row.next_cadence_name, row.next_cadence_due_on) == (
        "Quarterly executive meeting",
        today - timedelta(days=10),
    )
    assert row.next_cadence_overdue


def test_cadence_due_date_is_the_last_matching_interaction_plus_the_interval(client, alice, customer):
    today = business_today()
    f.CadenceFactory(
        customer=customer,
        name="Monthly visit",
        interaction_kind=InteractionKind.VISIT,
        interval_days=30,
        starts_on=today - timedelta(days=200),
    )
    f.InteractionFactory(customer=customer, occurred_on=today - timedelta(days=10), kind=InteractionKind.VISIT)
    f.InteractionFactory(
        customer=customer, occurred_on=today - timedelta(days=2), kind=InteractionKind.CALL
    )  # other kind
    row = listing(client, alice).context["listing"].rows[0]
    assert row.next_cadence_due_on == today + timedelta(days=20)
    assert not row.next_cadence_overdue


# --- filters -------------------------------------------------------------------------------------


@pytest.fixture
def book(alice, version):
    """Four of alice's customers that differ in every filtered attribute."""
    a = f.CustomerFactory(
        name="Anhui Axles",
        code="AX-001",
        owner=alice,
        tier=Tier.KEY,
        region=Region.EAST,
        industry=Industry.AUTOMOTIVE,
        relationship_level=RelationshipLevel.PRICE,
        revenue_12m=Decimal("900"),
    )
    b = f.CustomerFactory(
        name="Beijing Bolts",
        code="BB-002",
        owner=alice,
        tier=Tier.REGULAR,
        region=Region.NORTH,
        industry=Industry.MANUFACTURING,
        relationship_level=RelationshipLevel.STRATEGIC,
        revenue_12m=Decimal("5000"),
    )
    c = f.CustomerFactory(
        name="Chengdu Cables",
        code="CC-003",
        owner=alice,
        tier=Tier.KEY,
        region=Region.SOUTHWEST,
        industry=Industry.ELECTRONICS,
        relationship_level=RelationshipLevel.SERVICE_NETWORK,
        revenue_12m=Decimal("3000"),
    )
    d = f.CustomerFactory(
        name="Dalian Drives",
        code="DD-004",
        owner=alice,
        tier=Tier.REGULAR,
        region=Region.NORTHEAST,
        industry=Industry.ENERGY,
        relationship_level=RelationshipLevel.PRICE,
        revenue_12m=Decimal("100"),
    )
    scored(a, version, band="red", score=80)
    scored(b, version, band="green", score=10)
    scored(c, version, band="amber", score=45)
    today = business_today()
    f.InteractionFactory(customer=a, occurred_on=today - timedelta(days=30))
    f.InteractionFactory(customer=b, occurred_on=today - timedelta(days=2))
    f.InteractionFactory(customer=c, occurred_on=today - timedelta(days=200))
    return a, b, c, d


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"band": "red"}, ["Anhui Axles"]),
        ({"band": "none"}, ["Dalian Drives"]),
        ({"tier": "key"}, ["Anhui Axles", "Chengdu Cables"]),
        ({"region": "north"}, ["Beijing Bolts"]),
        ({"industry": "electronics"}, ["Chengdu Cables"]),
        ({"relationship_level": "1"}, ["Anhui Axles", "Dalian Drives"]),
        ({"q": "bolts"}, ["Beijing Bolts"]),
        ({"q": "cc-003"}, ["Chengdu Cables"]),
        ({"q": "  Dalian   Drives "}, ["Dalian Drives"]),
        ({"tier": "regular", "band": "green"}, ["Beijing Bolts"]),
    ],
)
def test_filters_keep_only_matching_customers(client, alice, book, params, expected):
    assert sorted(names(listing(client, alice, **params))) == expected


def test_band_filter_uses_the_manual_band_in_force(client, alice, book):
    anhui = book[0]
    f.RiskOverrideFactory(
        customer=anhui,
        band="green",
        set_by=alice,
        starts_on=business_today(),
        expires_on=business_today() + timedelta(days=10),
    )
    assert "Anhui Axles" in names(listing(client, alice, band="green"))
    assert "Anhui Axles" not in names(listing(client, alice, band="red"))


# --- sorting -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, ["Chengdu Cables", "Anhui Axles", "Beijing Bolts", "Dalian Drives"]),  # key first, then revenue
        ("name", ["Anhui Axles", "Beijing Bolts", "Chengdu Cables", "Dalian Drives"]),
        ("-name", ["Dalian Drives", "Chengdu Cables", "Beijing Bolts", "Anhui Axles"]),
        ("-revenue", ["Beijing Bolts", "Chengdu Cables", "Anhui Axles", "Dalian Drives"]),
        ("revenue", ["Dalian Drives", "Anhui Axles", "Chengdu Cables", "Beijing Bolts"]),
        ("-score", ["Anhui Axles", "Chengdu Cables", "Beijing Bolts", "Dalian Drives"]),
        ("score", ["Beijing Bolts", "Chengdu Cables", "Anhui Axles", "Dalian Drives"]),
        ("-band", ["Anhui Axles", "Chengdu Cables", "Beijing Bolts", "Dalian Drives"]),
        ("band", ["Dalian Drives", "Beijing Bolts", "Chengdu Cables", "Anhui Axles"]),
        ("-contact", ["Dalian Drives", "Chengdu Cables", "Anhui Axles", "Beijing Bolts"]),  # never first
        ("contact", ["Beijing Bolts", "Anhui Axles", "Chengdu Cables", "Dalian Drives"]),
    ],
)
def test_sort_orders_the_rows(client, alice, book, sort, expected):
    params = {"sort": sort} if sort else {}
    assert names(listing(client, alice, **params)) == expected


def test_clicking_the_sorted_column_again_reverses_it(client, alice, book):
    links = listing(client, alice, sort="-revenue").context["listing"].sort_links
    assert links["revenue"] == {"next": "revenue", "active": True, "descending": True}
    assert links["name"]["next"] == "name" and not links["name"]["active"]


def test_sort_links_keep_the_filters_and_go_back_to_the_first_page(client, alice, book):
    page = listing(client, alice, band="red", page="1").text
    assert 'href="?band=red&amp;sort=name"' in page


# --- paging and bad parameters -------------------------------------------------------------------


def test_pages_split_the_list(client, alice, book):
    first = listing(client, alice, per_page=3, sort="name")
    second = listing(client, alice, per_page=3, sort="name", page=2)
    assert names(first) == ["Anhui Axles", "Beijing Bolts", "Chengdu Cables"]
    assert names(second) == ["Dalian Drives"]
    assert "Page 1 of 2" in first.text


def test_more_than_a_hundred_rows_a_page_is_capped(client, alice):
    f.CustomerFactory.create_batch(MAX_PER_PAGE + 3, owner=alice)
    response = listing(client, alice, per_page=5000)
    assert response.context["listing"].per_page == MAX_PER_PAGE
    assert len(names(response)) == MAX_PER_PAGE


@pytest.mark.parametrize(
    "params", [{"page": "abc"}, {"page": "99"}, {"per_page": "abc"}, {"per_page": "-4"}, {"page": "0"}]
)
def test_bad_paging_values_fall_back_to_a_valid_page(client, alice, book, params):
    response = listing(client, alice, **params)
    assert len(names(response)) == 4


@pytest.mark.parametrize(
    "params",
    [
        {"band": "purple"},
        {"sort": "evil"},
        {"tier": "platinum"},
        {"relationship_level": "9"},
        {"owner": "abc"},
        {"region": "mars"},
    ],
)
def test_unknown_filter_values_are_ignored_with_a_message(client, alice, book, params):
    response = listing(client, alice, **params)
    assert len(names(response)) == 4
    assert "Ignored the unknown value" in response.text


def test_an_overlong_search_is_cut_not_refused(client, alice, book):
    response = listing(client, alice, q="Anhui" + "x" * 5000)
    assert response.status_code == 200 and names(response) == []


# --- query counts --------------------------------------------------------------------------------


def _busy_customers(owner, version, count):
    today = business_today()
    for n in range(count):
        c = f.CustomerFactory(owner=owner, revenue_12m=Decimal(1000 + n))
        scored(c, version, reasons=[{"factor": "relationship", "code": "single_owner", "params": {}}])
        scored(c, version, days_ago=90, revenue_12m=Decimal(900))
        f.TicketFactory(customer=c, response_due_at=timezone.now() - timedelta(hours=1))
        f.InteractionFactory(customer=c, occurred_on=today - timedelta(days=n % 20))
        f.CadenceFactory(customer=c, starts_on=today - timedelta(days=100))
        f.AlertFactory(customer=c).recipients.add(owner)


def _queries(client, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(HOME, {"sort": "-score"}, headers=headers)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("who", ["alice", "erin"])
def test_query_count_is_pinned_and_the_same_for_3_and_30_customers(
    client, alice, version, who, request, django_assert_num_queries
):
    client.force_login(request.getfixturevalue(who))
    _busy_customers(alice, version, 3)
    client.get(HOME)  # warm the session
    saved = MANAGERS_UNFILTERED_SAVE if who == "alice" else 0
    with django_assert_num_queries(HOME_QUERIES - saved):
        client.get(HOME, {"sort": "-score"})
    few = _queries(client), _queries(client, **HTMX)
    _busy_customers(alice, version, 27)
    many = _queries(client), _queries(client, **HTMX)
    assert few == many == (HOME_QUERIES - saved, FRAGMENT_QUERIES - saved)


def test_query_count_is_the_same_when_sorting_by_contact(client, alice, version):
    client.force_login(alice)
    _busy_customers(alice, version, 3)
    client.get(HOME)
    with CaptureQueriesContext(connection) as few:
        client.get(HOME, {"sort": "-contact", "band": "amber"})
    _busy_customers(alice, version, 27)
    with CaptureQueriesContext(connection) as many:
        client.get(HOME, {"sort": "-contact", "band": "amber"})
    assert len(few) == len(many) == HOME_QUERIES


# --- in the browser ------------------------------------------------------------------------------


@pytest.fixture
def browser_page():
    with chromium() as browser:
        context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 800})
        yield context.new_page()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_manager_filters_sorts_and_searches_in_the_browser(browser_page, live_server):
    page = browser_page
    alice = f.account_manager("alice")
    version = f.RiskModelVersionFactory()
    red = f.CustomerFactory(name="Ningbo Bearings", owner=alice, revenue_12m=100)
    green = f.CustomerFactory(name="Suzhou Optics", owner=alice, revenue_12m=900)
    scored(red, version, band="red", score=75)
    scored(green, version, band="green", score=12)
    f.ContactFactory(customer=green, name="Liu Fang", title="Plant director")
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "correct-horse-battery")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Suzhou Optics")

    page.select_option("select[name=band]", "red")
    page.wait_for_url("**/?band=red")
    page.wait_for_function("() => !document.querySelector('#my-accounts').innerText.includes('Suzhou Optics')")
    assert "Ningbo Bearings" in page.inner_text("#my-accounts")

    page.click("a[data-sort='name']")
    page.wait_for_url("**/?band=red&sort=name")
    assert page.input_value("#filter-sort") == "name"

    page.fill("#nav-search", "Liu")
    page.wait_for_selector("[data-testid=search-dropdown] >> text=Liu Fang")
