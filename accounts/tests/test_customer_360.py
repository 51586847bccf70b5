"""The customer 360 page: header, risk panel, timeline (with its "show more" pages), supply and
price vs market, who may see it, and query counts that do not grow with the data. The page's first
answer holds the header, the section nav and the risk panel; every other section loads after it
from its own URL, each tested here or in its own module."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import ChurnReason, CustomerStatus, RelationshipLevel, Tier
from accounts.workspace.customer import customer_pricing, customer_risk, customer_supply, customer_timeline
from complaints.models import Ticket
from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f
from relationships.models import InteractionKind

# Queries of the customer page's first answer, the same whatever the data size: session, user,
# roles, customer (4, what every section URL pays too); risk 3 (snapshots, override, model
# thresholds); the account team of the header (1). Nothing else: the other sections are
# placeholders that load from their own URLs after the page.
DOOR_QUERIES = 4
PAGE_QUERIES = DOOR_QUERIES + 3 + 1
# A timeline page, first or next: interactions + their contacts, tickets opened, tickets resolved,
# orders, criteria, plan reviews (7).
TIMELINE_PAGE_QUERIES = DOOR_QUERIES + 7
# The supply section: totals, misses, months (3). The price-vs-market section: the latest
# benchmark per product with product and competitor (1).
SUPPLY_QUERIES = DOOR_QUERIES + 3
PRICING_QUERIES = DOOR_QUERIES + 1
# The account-data section: level changes, churn records, history rows and their teams (4), and
# the account team (1). The relationship, criteria, strategy and intelligence sections pin theirs
# in their own modules.
ACCOUNT_QUERIES = DOOR_QUERIES + 4 + 1
HTMX = {"HX-Request": "true"}

TODAY = business_today()


def page_url(customer):
    return reverse("customer_detail", args=[customer.pk])


def section_url(name, customer):
    return reverse(name, args=[customer.pk])


def timeline_url(customer, before=None):
    url = reverse("customer_timeline", args=[customer.pk])
    return f"{url}?before={before}" if before else url


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def delivery(customer, *, promised, delivered="promised", ordered=100, shipped=None, product=None):
    """One order with one line; ``delivered="promised"`` means on the promised day."""
    delivered_on = promised if delivered == "promised" else delivered
    shipped = (ordered if delivered_on else 0) if shipped is None else shipped
    order = f.OrderFactory(customer=customer, ordered_on=promised - timedelta(days=20))
    return f.DeliveryLineFactory(
        order=order,
        line_no=1,
        product=product or f.ProductFactory(),
        promised_on=promised,
        delivered_on=delivered_on,
        quantity_ordered=Decimal(ordered),
        quantity_delivered=Decimal(shipped),
    )


# Header -------------------------------------------------------------------------------------


def test_header_shows_tier_relationship_level_team_and_revenue(client, alice, customer):
    customer.tier = Tier.KEY
    customer.relationship_level = RelationshipLevel.STRATEGIC
    customer.revenue_12m = Decimal("12345678")
    customer.save()
    client.force_login(alice)
    page = client.get(page_url(customer)).text
    assert 'data-testid="tier">Key account' in page
    assert "3 · Strategic partnership" in page and "switching cost" in page
    assert 'data-testid="status">Active' in page
    assert "12,345,678" in page
    assert customer.code in page and "tina" in page


def test_header_highlights_a_missing_backup_owner(client, alice):
    customer = f.CustomerFactory(owner=alice, relationship_level=RelationshipLevel.PRICE)
    client.force_login(alice)
    page = client.get(page_url(customer)).text
    assert "No backup owner" in page
    assert "Easy for a competitor to copy" in page
    assert 'data-testid="tier">Regular' in page


def test_header_shows_when_and_why_a_customer_churned(client, alice):
    customer = f.CustomerFactory(
        owner=alice,
        status=CustomerStatus.CHURNED,
        churned_on=date(2025, 6, 30),
        churn_reason=ChurnReason.COMPETITOR_PRICE,
    )
    client.force_login(alice)
    page = client.get(page_url(customer)).text
    assert "Churned on 30 Jun 2025" in page
    assert "Competitor won on price" in page


def test_section_nav_points_at_every_section_of_the_page(client, alice, customer):
    client.force_login(alice)
    page = client.get(page_url(customer)).text
    for name in ("risk", "relationships", "timeline", "supply", "criteria", "pricing", "intel", "strategy", "account"):
        assert f'href="#section-{name}"' in page
        assert f'<section id="section-{name}"' in page


SECTION_URLS = {
    "relationships": "relationship_section",
    "timeline": "customer_timeline",
    "supply": "supply_section",
    "criteria": "criteria_section",
    "pricing": "pricing_section",
    "intel": "intel_section",
    "strategy": "strategy_section",
    "account": "account_section",
}


def test_every_other_section_is_a_placeholder_that_loads_from_its_own_url(client, alice, customer):
    """Busy, with a spinner and its name until it is in; without JavaScript, a link to the section
    on a page of its own. The section it loads keeps the placeholder's id, so the nav still works."""
    client.force_login(alice)
    page = client.get(page_url(customer)).text
    assert '<section id="section-risk"' in page and 'aria-busy="true"' not in page.split("section-risk")[1][:200]
    assert page.count('aria-busy="true"') == len(SECTION_URLS)
    assert page.count('class="spinner-border spinner-border-sm"') == len(SECTION_URLS) and "Loading… Timeline" in page
    for name, url_name in SECTION_URLS.items():
        url = section_url(url_name, customer)
        assert f'<section id="section-{name}" class="section-deferred' in page
        assert f'hx-get="{url}" hx-trigger="load" hx-swap="outerHTML"' in page
        assert f'<noscript><a href="{url}">' in page
        fragment = client.get(url, headers=HTMX)
        assert fragment.status_code == 200 and "<html" not in fragment.text
        assert f'<section id="section-{name}"' in fragment.text and "aria-busy" not in fragment.text


def test_a_section_without_htmx_comes_inside_the_site_layout(client, alice, customer):
    client.force_login(alice)
    for url_name in ("relationship_section", "supply_section", "pricing_section"):
        response = client.get(section_url(url_name, customer))
        assert response.status_code == 200 and "<html" in response.text
        assert customer.name in response.text and "Vary" in response.headers


# Risk panel ---------------------------------------------------------------------------------


@pytest.fixture
def scored(customer):
    version = f.RiskModelVersionFactory(parameters={"bands": {"amber": 30, "red": 50}})
    f.RiskSnapshotFactory(
        customer=customer,
        as_of=TODAY - timedelta(days=7),
        model_version=version,
        score=40,
        factors={"price": {"risk": 40.0, "weight": 10}, "supply": {"risk": 20.0, "weight": 10}},
    )
    return f.RiskSnapshotFactory(
        customer=customer,
        as_of=TODAY,
        model_version=version,
        score=70,
        band="red",
        computed_band="red",
        factors={"price": {"risk": 80.0, "weight": 10}, "supply": {"risk": 60.0, "weight": 10}},
        tripwires=["revenue_collapse"],
        reasons=[{"factor": "price", "code": "price_above_market", "countermeasure": 10, "action": "review_pricing"}],
    )


def test_each_factor_is_a_bar_of_its_points_out_of_the_score(client, alice, scored, customer):
    client.force_login(alice)
    page = client.get(page_url(customer)).text
    # price: 10·80 / 20 = 40 of 70 points, 57% of the bar; up 20 points on the week.
    assert "40.0 of 70" in page and "ka-pct-57" in page
    assert "▲ 20.0" in page
    assert "Revenue down by more than half year on year" in page
    assert "Review our pricing for this customer" in page


def test_band_thresholds_come_from_the_model_that_scored_the_customer(scored, customer):
    assert customer_risk(customer=customer)["thresholds"] == {"amber": 30, "red": 50}


def test_risk_history_has_one_point_per_week_for_12_weeks(customer):
    version = f.RiskModelVersionFactory()
    for days_ago in range(0, 91):
        if 14 <= days_ago < 21:
            continue  # the nightly job did not run that week
        f.RiskSnapshotFactory(
            customer=customer, as_of=TODAY - timedelta(days=days_ago), model_version=version, score=days_ago
        )
    weekly = customer_risk(customer=customer)["weekly"]
    assert [p["day"] for p in weekly] == [(TODAY - timedelta(days=7 * w)).isoformat() for w in range(11, -1, -1)]
    # Each point is the last snapshot of its week; the week without one is a gap, not a zero.
    assert [p["score"] for p in weekly] == [77, 70, 63, 56, 49, 42, 35, 28, 21, None, 7, 0]


def test_owner_sees_the_override_controls(client, alice, scored, customer):
    client.force_login(alice)
    page = client.get(page_url(customer)).text
    assert "Set the band by hand" in page and reverse("override_create", args=[customer.pk]) in page


# Timeline -----------------------------------------------------------------------------------


def test_timeline_merges_every_kind_newest_first_and_leaves_out_the_future(customer, alice):
    f.AccountPlanFactory(customer=customer, reviewed_on=TODAY - timedelta(days=6))
    f.PurchaseCriterionFactory(customer=customer, assessed_on=TODAY - timedelta(days=5))
    f.OrderFactory(customer=customer, ordered_on=TODAY - timedelta(days=4))
    f.TicketFactory(
        customer=customer,
        opened_at=at(TODAY - timedelta(days=3)),
        status=Ticket.Status.RESOLVED,
        resolved_at=at(TODAY - timedelta(days=2)),
    )
    f.InteractionFactory(customer=customer, occurred_on=TODAY - timedelta(days=1))
    f.InteractionFactory(customer=customer, occurred_on=TODAY + timedelta(days=3), subject="Planned visit")
    f.OrderFactory(customer=f.CustomerFactory(owner=alice), ordered_on=TODAY)  # another customer's
    timeline = customer_timeline(customer=customer)
    assert [e.kind for e in timeline["entries"]] == [
        "interaction",
        "ticket_resolved",
        "ticket_opened",
        "order",
        "criterion",
        "plan_review",
    ]
    assert [e.day for e in timeline["entries"]] == [TODAY - timedelta(days=d) for d in range(1, 7)]
    assert timeline["next_before"] is None


def test_executive_level_interactions_are_marked(client, alice, customer):
    f.InteractionFactory(customer=customer, kind=InteractionKind.EXECUTIVE_MEETING, subject="CEO dinner")
    f.InteractionFactory(customer=customer, kind=InteractionKind.CALL, subject="Order follow-up")
    client.force_login(alice)
    page = client.get(timeline_url(customer), headers=HTMX).text
    assert page.count("timeline-entry timeline-interaction timeline-executive") == 1
    assert "CEO dinner" in page and "Order follow-up" in page


def _busy_timeline(customer, days=12):
    """Several kinds on the same days, so that paging has to break ties within a day."""
    for d in range(days):
        day = TODAY - timedelta(days=d)
        f.InteractionFactory.create_batch(2, customer=customer, occurred_on=day)
        f.OrderFactory(customer=customer, ordered_on=day)
        if d % 3 == 0:
            f.TicketFactory(
                customer=customer, opened_at=at(day), status=Ticket.Status.RESOLVED, resolved_at=at(day, 15)
            )
        if d % 4 == 0:
            f.PurchaseCriterionFactory(customer=customer, assessed_on=day)
            f.AccountPlanFactory(customer=customer, reviewed_on=day)


def test_timeline_pages_have_no_duplicates_or_gaps(customer):
    _busy_timeline(customer)
    everything = customer_timeline(customer=customer, limit=1000)["entries"]
    assert len(everything) == 12 * 3 + 4 * 2 + 3 * 2
    paged, before = [], None
    while True:
        page = customer_timeline(customer=customer, before=before, limit=7)
        paged += page["entries"]
        if page["next_before"] is None:
            break
        before = tuple(page["next_before"].split("."))
        before = (date.fromisoformat(before[0]), before[1], int(before[2]))
    assert [(e.kind, e.pk) for e in paged] == [(e.kind, e.pk) for e in everything]
    keys = [e.sort_key for e in everything]
    assert keys == sorted(keys, reverse=True) and len(set(keys)) == len(keys)


def test_show_more_loads_the_next_twenty_as_a_fragment(client, alice, customer):
    _busy_timeline(customer)
    client.force_login(alice)
    section = client.get(timeline_url(customer), headers=HTMX)
    first = section.context["timeline"]
    assert len(first["entries"]) == 20 and 'id="section-timeline"' in section.text
    assert f'hx-get="{timeline_url(customer, first["next_before"])}"' in section.text
    response = client.get(timeline_url(customer, first["next_before"]), headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.text
    second = response.context["timeline"]["entries"]
    assert len(second) == 20
    assert second[0].sort_key < first["entries"][-1].sort_key
    assert not {(e.kind, e.pk) for e in second} & {(e.kind, e.pk) for e in first["entries"]}
    assert response.text.count('class="timeline-entry') == 20 and "Show more" in response.text


def test_a_short_timeline_has_no_show_more_button(client, alice, customer):
    f.InteractionFactory.create_batch(3, customer=customer, occurred_on=TODAY)
    client.force_login(alice)
    page = client.get(timeline_url(customer), headers=HTMX).text
    assert page.count('class="timeline-entry') == 3 and "Show more" not in page


def test_timeline_page_without_htmx_comes_inside_the_site_layout(client, alice, customer):
    f.InteractionFactory(customer=customer, subject="Plant tour")
    client.force_login(alice)
    response = client.get(timeline_url(customer))
    assert response.status_code == 200 and "<html" in response.text and "Plant tour" in response.text


@pytest.mark.parametrize(
    "before",
    [
        "garbage",
        "2026-13-01.order.1",
        "2026-01-01.unknown.1",
        "2026-01-01.order.-1",
        "2026-01-01.order.0",
        "2026-01-01.order.99999999999999999999999",
        "2026-01-01.order.1.2",
        "2026-01-01.order.１",
    ],
)
def test_a_bad_before_parameter_is_a_400(client, alice, customer, before):
    client.force_login(alice)
    response = client.get(reverse("customer_timeline", args=[customer.pk]), {"before": before})
    assert response.status_code == 400


# Supply -------------------------------------------------------------------------------------


@pytest.fixture
def deliveries(customer, alice):
    """Five lines promised in the last 90 days: two on time in full, one late, one short, one
    not delivered; and lines outside the window or of another customer that must not count."""
    delivery(customer, promised=TODAY - timedelta(days=10), delivered=TODAY - timedelta(days=12))
    delivery(customer, promised=TODAY - timedelta(days=89))
    delivery(customer, promised=TODAY - timedelta(days=20), delivered=TODAY - timedelta(days=15))
    delivery(customer, promised=TODAY - timedelta(days=30), shipped=90)
    delivery(customer, promised=TODAY - timedelta(days=5), delivered=None)
    delivery(customer, promised=TODAY + timedelta(days=3), delivered=None)  # not due yet
    delivery(customer, promised=TODAY - timedelta(days=90), delivered=None)  # just outside
    delivery(customer, promised=TODAY - timedelta(days=120), delivered=None)
    delivery(f.CustomerFactory(owner=alice), promised=TODAY - timedelta(days=3), delivered=None)


def test_otif_is_the_share_of_lines_promised_in_90_days_delivered_on_time_in_full(deliveries, customer):
    supply = customer_supply(customer=customer)
    assert (supply["lines"], supply["hits"], supply["on_time"], supply["in_full"]) == (5, 2, 3, 3)
    assert supply["otif"] == pytest.approx(0.4)


def test_supply_lists_the_late_and_short_lines(client, alice, deliveries, customer):
    client.force_login(alice)
    response = client.get(section_url("supply_section", customer), headers=HTMX)
    misses = response.context["supply"]["misses"]
    assert [(m["line"].promised_on, m["late"], m["short"]) for m in misses] == [
        (TODAY - timedelta(days=5), True, True),
        (TODAY - timedelta(days=20), True, False),
        (TODAY - timedelta(days=30), False, True),
    ]
    assert misses[1]["days_late"] == 5
    assert 'data-testid="otif"><span class="otif-value text-danger">40%<i class="bi bi-x-octagon-fill' in response.text
    assert "late 5 days" in response.text and "overdue 5 days" in response.text
    # The monthly chart's data comes with the section that draws it.
    assert '<script id="otif-monthly" type="application/json">' in response.text


def test_monthly_otif_counts_lines_by_month_of_the_promise(customer):
    as_of = date(2026, 3, 15)
    delivery(customer, promised=date(2026, 3, 2))
    delivery(customer, promised=date(2026, 3, 10), delivered=date(2026, 3, 12))
    delivery(customer, promised=date(2026, 1, 20))
    delivery(customer, promised=date(2026, 3, 20), delivered=None)  # after the date
    delivery(customer, promised=date(2025, 3, 31))  # before the first month shown
    monthly = customer_supply(customer=customer, as_of=as_of)["monthly"]
    assert [m["month"] for m in monthly] == [f"2025-{m:02d}-01" for m in range(4, 13)] + [
        "2026-01-01",
        "2026-02-01",
        "2026-03-01",
    ]
    by_month = {m["month"]: (m["lines"], m["hits"], m["otif"]) for m in monthly}
    assert by_month["2026-03-01"] == (2, 1, 0.5)
    assert by_month["2026-01-01"] == (1, 1, 1.0)
    assert by_month["2026-02-01"] == (0, 0, None)
    assert sum(m["lines"] for m in monthly) == 3


# Price vs market ----------------------------------------------------------------------------


def test_pricing_shows_each_products_latest_benchmark_gap_and_staleness(client, alice, customer):
    rival = f.CompetitorFactory(name="Nanjing Bearings")
    bearing, seal, pump = f.ProductFactory(name="Bearing"), f.ProductFactory(name="Seal"), f.ProductFactory(name="Pump")
    f.PriceBenchmarkFactory(customer=customer, product=bearing, observed_on=TODAY - timedelta(days=200), our_price=150)
    f.PriceBenchmarkFactory(
        customer=customer,
        product=bearing,
        observed_on=TODAY - timedelta(days=10),
        our_price=Decimal("112"),
        market_average_price=Decimal("100"),
        competitor=rival,
        competitor_quote=Decimal("95"),
    )
    f.PriceBenchmarkFactory(customer=customer, product=seal, observed_on=TODAY - timedelta(days=181), our_price=90)
    f.PriceBenchmarkFactory(customer=customer, product=pump, observed_on=TODAY - timedelta(days=30), our_price=103)
    f.PriceBenchmarkFactory(customer=customer, product=pump, observed_on=TODAY + timedelta(days=5), our_price=200)
    f.PriceBenchmarkFactory(product=pump, observed_on=TODAY, our_price=300)  # another customer's
    rows = customer_pricing(customer=customer)["rows"]
    assert [(r["benchmark"].product.name, round(r["gap_pct"], 1), r["stale"]) for r in rows] == [
        ("Bearing", 12.0, False),
        ("Pump", 3.0, False),
        ("Seal", -10.0, True),
    ]
    client.force_login(alice)
    page = client.get(section_url("pricing_section", customer), headers=HTMX).text
    assert '<span class="badge price-gap text-bg-danger" data-testid="gap">+12.0%' in page
    assert '<span class="badge price-gap text-bg-success" data-testid="gap">-10.0%' in page
    assert "Nanjing Bearings" in page and page.count('data-testid="stale"') == 1
    assert "2 of 3 products priced above the market average." in page


# Who may see it -----------------------------------------------------------------------------


NEW_SECTIONS = ("relationship_section", "supply_section", "pricing_section")


@pytest.mark.parametrize("who", ["alice", "bob", "tina", "erin", "sam"])
def test_people_who_may_see_the_customer_get_the_page_and_its_timeline(client, customer, who, request):
    f.InteractionFactory(customer=customer, subject="Quarterly review")
    client.force_login(request.getfixturevalue(who))
    assert client.get(page_url(customer)).status_code == 200
    response = client.get(timeline_url(customer), headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Quarterly review" in response.text
    for name in NEW_SECTIONS:
        assert client.get(section_url(name, customer), headers=HTMX).status_code == 200, name


@pytest.mark.parametrize("who", ["erin", "sam"])
def test_executives_and_service_desk_see_no_edit_controls(client, scored, customer, who, request):
    from accounts.services import override_set

    override_set(customer=customer, band="green", reason="agreed", by=customer.owner)
    client.force_login(request.getfixturevalue(who))
    page = client.get(page_url(customer)).text
    assert "agreed" in page
    assert "Set the band by hand" not in page and "Remove manual band" not in page
    assert reverse("override_create", args=[customer.pk]) not in page


def test_an_outsider_gets_a_404_for_the_page_and_the_timeline(client, oscar, customer):
    client.force_login(oscar)
    assert client.get(page_url(customer)).status_code == 404
    assert client.get(timeline_url(customer), headers={"HX-Request": "true"}).status_code == 404
    assert client.get(timeline_url(customer, "2026-01-01.order.1")).status_code == 404
    for name in NEW_SECTIONS:
        assert client.get(section_url(name, customer), headers=HTMX).status_code == 404, name
        assert client.get(section_url(name, customer)).status_code == 404, name


def test_the_sections_answer_only_get(client, alice, customer):
    client.force_login(alice)
    for name in NEW_SECTIONS:
        assert client.post(section_url(name, customer), headers=HTMX).status_code == 405, name


def test_anonymous_visitors_are_sent_to_the_login_page(client, customer):
    for url in (page_url(customer), timeline_url(customer), *(section_url(n, customer) for n in NEW_SECTIONS)):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# Query counts -------------------------------------------------------------------------------


def _fill(customer, n: int):
    """n of everything the page shows: interactions with contacts, tickets, orders with late
    lines, criteria, plans, benchmarks of n products, n days of risk snapshots."""
    version = f.RiskModelVersionFactory()
    contacts = f.ContactFactory.create_batch(2, customer=customer)
    rival = f.CompetitorFactory()
    for i in range(n):
        day = TODAY - timedelta(days=i)
        interaction = f.InteractionFactory(customer=customer, occurred_on=day, logged_by=customer.owner)
        interaction.contacts.add(*contacts)
        f.TicketFactory(customer=customer, opened_at=at(day), status=Ticket.Status.RESOLVED, resolved_at=at(day, 16))
        delivery(customer, promised=day, delivered=day + timedelta(days=1) if i % 2 else day)
        f.PurchaseCriterionFactory(customer=customer, assessed_on=day, competitor_meets=True, competitor=rival)
        f.AccountPlanFactory(customer=customer, reviewed_on=day)
        f.PriceBenchmarkFactory(customer=customer, observed_on=day, competitor=rival, competitor_quote=90)
        f.CompetitorIntelFactory(
            customer=customer, competitor=rival, contact=contacts[i % 2], noted_on=day, recorded_by=customer.owner
        )
        f.RiskSnapshotFactory(
            customer=customer, as_of=day, model_version=version, factors={"price": {"risk": 50.0, "weight": 10}}
        )


@pytest.mark.parametrize("rows", [3, 30])
def test_page_query_count_is_the_same_for_3_and_30_rows(client, alice, customer, rows, django_assert_num_queries):
    _fill(customer, rows)
    client.force_login(alice)
    with django_assert_num_queries(PAGE_QUERIES):
        response = client.get(page_url(customer))
    assert response.status_code == 200
    assert len(response.context["risk"]["weekly"]) == 12


def test_page_query_count_holds_for_a_long_history(client, alice, customer, django_assert_num_queries):
    """Thousands of rows of what the first answer reads (risk snapshots) and of what it leaves to
    the sections (interactions, orders): the same queries."""
    from accounts.models import Order, RiskSnapshot
    from relationships.models import Interaction

    version = f.RiskModelVersionFactory()
    days = [TODAY - timedelta(days=i) for i in range(3000)]
    RiskSnapshot.objects.bulk_create(
        RiskSnapshot(
            customer=customer,
            as_of=day,
            model_version=version,
            score=40.0,
            computed_band="amber",
            band="amber",
            completeness=0.9,
        )
        for day in days
    )
    Interaction.objects.bulk_create(
        Interaction(
            customer=customer, occurred_on=day, kind=InteractionKind.CALL, subject=f"Call {i}", logged_by=customer.owner
        )
        for i, day in enumerate(days)
    )
    Order.objects.bulk_create(
        Order(customer=customer, number=f"SO-{i}", ordered_on=day, amount=Decimal(100)) for i, day in enumerate(days)
    )
    client.force_login(alice)
    with django_assert_num_queries(PAGE_QUERIES):
        response = client.get(page_url(customer))
    assert response.status_code == 200 and len(response.context["risk"]["weekly"]) == 12


SECTION_QUERIES = {
    "customer_timeline": TIMELINE_PAGE_QUERIES,
    "supply_section": SUPPLY_QUERIES,
    "pricing_section": PRICING_QUERIES,
    "account_section": ACCOUNT_QUERIES,
}


@pytest.mark.parametrize("rows", [3, 30])
@pytest.mark.parametrize("name", SECTION_QUERIES)
def test_section_query_count_is_the_same_for_3_and_30_rows(
    client, alice, customer, name, rows, django_assert_num_queries
):
    _fill(customer, rows)
    client.force_login(alice)
    with django_assert_num_queries(SECTION_QUERIES[name]):
        response = client.get(section_url(name, customer), headers=HTMX)
    assert response.status_code == 200
    if name == "customer_timeline":
        assert len(response.context["timeline"]["entries"]) == min(20, 6 * rows)


@pytest.mark.parametrize("rows", [3, 30])
def test_timeline_page_query_count_is_the_same_for_3_and_30_rows(
    client, alice, customer, rows, django_assert_num_queries
):
    _fill(customer, rows)
    client.force_login(alice)
    with django_assert_num_queries(TIMELINE_PAGE_QUERIES):
        response = client.get(
            timeline_url(customer, f"{TODAY.isoformat()}.plan_review.999999"), headers={"HX-Request": "true"}
        )
    assert response.status_code == 200


TRIPWIRE_NOTE = "The band is raised by a trip-wire, not by the score."


@pytest.mark.parametrize(
    ("computed_band", "score", "tripwires", "noted"),
    [
        ("red", 30.0, ["decision_maker_gone"], True),  # the score alone would be green
        ("amber", 20.0, ["criterion_alarm"], True),
        ("red", 80.0, ["decision_maker_gone"], False),  # the score is red by itself
        ("red", 30.0, [], False),  # red without a trip-wire: hysteresis, not a trip-wire
        ("green", 10.0, ["criterion_alarm"], False),
    ],
    ids=["red-by-tripwire", "amber-by-tripwire", "red-by-score", "no-tripwire", "green"],
)
def test_the_risk_panel_says_when_a_trip_wire_not_the_score_set_the_band(
    client, alice, customer, computed_band, score, tripwires, noted
):
    version = f.RiskModelVersionFactory(parameters={"bands": {"amber": 40, "red": 65}})
    snapshot = f.RiskSnapshotFactory(
        customer=customer,
        as_of=TODAY,
        model_version=version,
        score=score,
        computed_band=computed_band,
        band=computed_band,
        tripwires=tripwires,
    )
    assert snapshot.raised_by_tripwire(amber=40, red=65) is noted
    assert customer_risk(customer=customer)["raised_by_tripwire"] is noted
    client.force_login(alice)
    assert (TRIPWIRE_NOTE in client.get(page_url(customer)).text) is noted


def test_the_trip_wire_note_reads_the_thresholds_of_the_model_that_scored(client, alice, customer):
    # Red from 50 in this model: a score of 55 is red by itself, whatever the default thresholds say.
    version = f.RiskModelVersionFactory(parameters={"bands": {"amber": 30, "red": 50}})
    f.RiskSnapshotFactory(
        customer=customer,
        as_of=TODAY,
        model_version=version,
        score=55.0,
        computed_band="red",
        band="red",
        tripwires=["decision_maker_gone"],
    )
    assert customer_risk(customer=customer)["raised_by_tripwire"] is False
