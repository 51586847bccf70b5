"""The executive risk dashboard: every figure against a portfolio small enough to add up by hand,
the customer lists behind the numbers, who may see it, its export, and its query count."""

import io
import json
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import (
    AlertKind,
    ChurnReason,
    CustomerStatus,
    Industry,
    PortfolioSummary,
    Region,
    RiskBand,
    SummaryGrain,
    Tier,
)
from accounts.portfolio.summaries import portfolio_summaries_refresh
from complaints.models import Ticket
from keyaccounts.tests import factories as f

D = date(2026, 11, 23)  # a Monday, as the weekly trend's dates are
W = D - timedelta(days=7)
URL = reverse("portfolio_dashboard")


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def factors(**risks) -> dict:
    return {name: {"risk": risk, "weight": 20} for name, risk in risks.items()}


def snapshot(customer, *, day=D, tier, band, score, revenue, completeness=1.0, change=None, **risks):
    return f.RiskSnapshotFactory(
        customer=customer,
        as_of=day,
        tier=tier,
        band=band,
        computed_band=band,
        score=score,
        revenue_12m=Decimal(revenue),
        completeness=completeness,
        score_change_7d=change,
        factors=factors(**risks),
    )


@pytest.fixture
def portfolio(alice, oscar, erin):
    """Five active customers scored on D (three key), two churned in the year, one long ago.

    Key (snapshot tier): c1 red 1,000 · c2 amber 600 · c3 green 400 (entered the tier this week).
    Regular: c4 grey 100 · c5 green 50 (left the key tier this week).
    """
    key, regular = Tier.KEY, Tier.REGULAR
    c1 = f.CustomerFactory(name="Anshan Steel", owner=alice, tier=key, region=Region.EAST)
    c2 = f.CustomerFactory(
        name="Beijing Optics", owner=alice, tier=key, region=Region.NORTH, industry=Industry.ELECTRONICS
    )
    c3 = f.CustomerFactory(
        name="Chengdu Chips", owner=oscar, tier=key, region=Region.EAST, industry=Industry.ELECTRONICS
    )
    c4 = f.CustomerFactory(name="Dongguan Moulds", owner=oscar, tier=regular, region=Region.SOUTH)
    c5 = f.CustomerFactory(name="Ezhou Pumps", owner=oscar, tier=regular, region=Region.EAST)
    c6 = f.CustomerFactory(
        name="Foshan Glass",
        owner=alice,
        tier=key,
        status=CustomerStatus.CHURNED,
        churned_on=D - timedelta(days=30),
        churn_reason=ChurnReason.COMPETITOR_PRICE,
    )
    c7 = f.CustomerFactory(
        name="Guilin Paper",
        owner=oscar,
        tier=regular,
        region=Region.SOUTH,
        status=CustomerStatus.CHURNED,
        churned_on=D - timedelta(days=200),
        churn_reason=ChurnReason.DIRECTION_CHANGE,
    )
    f.CustomerFactory(
        name="Hefei Old",
        owner=oscar,
        status=CustomerStatus.CHURNED,
        churned_on=D - timedelta(days=400),
        churn_reason=ChurnReason.NEEDS_NOT_MET,
    )

    snapshot(
        c1,
        tier=key,
        band=RiskBand.RED,
        score=70,
        revenue=1000,
        completeness=0.9,
        change=12,
        purchase_trend=80,
        relationship=40,
    )
    snapshot(c1, day=W, tier=key, band=RiskBand.AMBER, score=58, revenue=1000, purchase_trend=20, relationship=40)
    snapshot(
        c2,
        tier=key,
        band=RiskBand.AMBER,
        score=50,
        revenue=600,
        completeness=0.7,
        change=-6,
        purchase_trend=30,
        relationship=70,
    )
    snapshot(c2, day=W, tier=key, band=RiskBand.AMBER, score=56, revenue=600, purchase_trend=30, relationship=90)
    snapshot(
        c3,
        tier=key,
        band=RiskBand.GREEN,
        score=20,
        revenue=400,
        completeness=1.0,
        change=1,
        purchase_trend=10,
        relationship=30,
    )
    snapshot(c3, day=W, tier=regular, band=RiskBand.GREEN, score=19, revenue=390)
    f.RiskSnapshotFactory(
        customer=c4,
        as_of=D,
        tier=regular,
        band=RiskBand.GREY,
        computed_band=RiskBand.GREY,
        score=None,
        revenue_12m=100,
        completeness=0.4,
        factors={"purchase_trend": {"risk": None}},
    )
    snapshot(c5, tier=regular, band=RiskBand.GREEN, score=10, revenue=50, completeness=0.8, purchase_trend=0)
    snapshot(c5, day=W, tier=key, band=RiskBand.GREEN, score=12, revenue=60)

    # c1's manual band is in force; an expired one on c3 is not.
    f.RiskOverrideFactory(
        customer=c1, band=RiskBand.RED, starts_on=D - timedelta(days=5), expires_on=D + timedelta(days=20), set_by=alice
    )
    f.RiskOverrideFactory(
        customer=c3,
        band=RiskBand.RED,
        starts_on=D - timedelta(days=40),
        expires_on=D - timedelta(days=10),
        ended_on=D - timedelta(days=10),
        set_by=oscar,
    )

    f.AlertFactory(customer=c1, kind=AlertKind.NEW_RED, as_of=D - timedelta(days=2))
    f.AlertFactory(customer=c1, kind=AlertKind.TRIPWIRE, as_of=D)
    f.AlertFactory(customer=c5, kind=AlertKind.TIER_CHANGE, as_of=D)
    f.AlertFactory(
        customer=c2,
        kind=AlertKind.BAND_WORSENED,
        as_of=D - timedelta(days=10),
        closed_at=at(D - timedelta(days=1)),
        closed_by=alice,
    )

    # Lost revenue: the 12 months before churning (the order 400 days before is older).
    f.OrderFactory(customer=c6, ordered_on=D - timedelta(days=100), amount=300)
    f.OrderFactory(customer=c6, ordered_on=D - timedelta(days=400), amount=200)
    f.OrderFactory(customer=c7, ordered_on=D - timedelta(days=250), amount=80)

    # Tickets: key — one resolved in time, one late and still open (a breach); regular — one late.
    complaint, request = Ticket.Kind.COMPLAINT, Ticket.Kind.SERVICE_REQUEST
    f.TicketFactory(
        customer=c1,
        kind=complaint,
        category=Ticket.Category.PRODUCT_QUALITY,
        opened_at=at(D - timedelta(days=10)),
        resolution_due_at=at(D - timedelta(days=8)),
        resolved_at=at(D - timedelta(days=9)),
        status=Ticket.Status.RESOLVED,
    )
    f.TicketFactory(
        customer=c1,
        kind=complaint,
        category=Ticket.Category.DELIVERY,
        opened_at=at(D - timedelta(days=5)),
        resolution_due_at=at(D - timedelta(days=3)),
    )
    f.TicketFactory(
        customer=c4,
        kind=request,
        category=Ticket.Category.SERVICE,
        opened_at=at(D - timedelta(days=20)),
        resolution_due_at=at(D - timedelta(days=18)),
        resolved_at=at(D - timedelta(days=17)),
        status=Ticket.Status.RESOLVED,
    )
    f.TicketFactory(
        customer=c3,
        kind=complaint,
        category=Ticket.Category.SERVICE,
        opened_at=at(D - timedelta(days=200)),
        resolved_at=at(D - timedelta(days=199)),
        status=Ticket.Status.RESOLVED,
    )

    # Deliveries: key 1 of 2 lines on time in full, regular 1 of 1.
    order = f.OrderFactory(customer=c1, ordered_on=D - timedelta(days=30), amount=10)
    f.DeliveryLineFactory(
        order=order,
        line_no=1,
        promised_on=D - timedelta(days=10),
        delivered_on=D - timedelta(days=11),
        quantity_ordered=5,
        quantity_delivered=5,
    )
    f.DeliveryLineFactory(
        order=order,
        line_no=2,
        promised_on=D - timedelta(days=5),
        delivered_on=D - timedelta(days=2),
        quantity_ordered=5,
        quantity_delivered=5,
    )
    order = f.OrderFactory(customer=c4, ordered_on=D - timedelta(days=30), amount=10)
    f.DeliveryLineFactory(
        order=order,
        line_no=1,
        promised_on=D - timedelta(days=20),
        delivered_on=D - timedelta(days=20),
        quantity_ordered=3,
        quantity_delivered=3,
    )

    f.ParetoSnapshotFactory(
        as_of=D, customers=5, key_customers=3, key_revenue_share=0.8, curve=[[0, 0], [0.6, 0.8], [1, 1]]
    )
    portfolio_summaries_refresh(as_of=W)
    portfolio_summaries_refresh(as_of=D)
    return {"c1": c1, "c2": c2, "c3": c3, "c4": c4, "c5": c5, "c6": c6, "c7": c7}


def figure(html: str, testid: str) -> str:
    """The text of the element marked with this test id."""
    match = re.search(rf'<(\w+)[^>]*data-testid="{re.escape(testid)}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, f"no {testid} on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(2)).split())


def link(html: str, testid: str) -> str:
    match = re.search(rf'<a [^>]*href="([^"]+)"[^>]*data-testid="{re.escape(testid)}"', html)
    assert match, f"no link {testid} on the page"
    return match.group(1).replace("&amp;", "&")


def listed(client, url: str) -> int:
    html = client.get(url).content.decode()
    return int(figure(html, "result-count").split()[0].replace(",", ""))


@pytest.fixture
def board(client, erin, portfolio, settings):
    settings.LANGUAGE_CODE = "en"
    client.force_login(erin)
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def test_key_accounts_by_band_with_revenue(board):
    assert figure(board, "key-red") == "Red 1 CN¥1K"
    assert figure(board, "key-amber") == "Amber 1 CN¥600"
    assert figure(board, "key-green") == "Green 1 CN¥400"
    assert figure(board, "key-grey") == "Insufficient data 0 CN¥0"


def test_whole_base_by_band_with_revenue(board):
    assert figure(board, "base-green") == "Green 2 CN¥450"
    assert figure(board, "base-grey") == "Insufficient data 1 CN¥100"
    assert figure(board, "base-red") == "Red 1 CN¥1K"


def test_revenue_at_risk_completeness_and_overrides(board):
    assert figure(board, "key-at-risk") == "CN¥1.6K"  # CN¥1,600 on hover (test_formats)
    assert figure(board, "key-at-risk-share") == "80.0%"
    assert figure(board, "base-at-risk-share") == "74.4%"  # 1,600 of 2,150
    assert figure(board, "key-completeness") == "86.7%"  # (0.9 + 0.7 + 1.0) / 3
    assert figure(board, "base-completeness") == "76.0%"  # (0.9 + 0.7 + 1.0 + 0.4 + 0.8) / 5
    assert figure(board, "key-overrides") == "1"
    assert figure(board, "base-overrides") == "1"
    assert figure(board, "key-customers") == "3 customers scored"


def test_week_on_week_change_of_revenue_at_risk(board):
    # A week before: c1 and c2 amber, 1,000 + 600 = 1,600 at risk (c5 key then, green).
    assert figure(board, "key-at-risk-change") == "CN¥0 since last week"


def test_what_changed_names_the_movers_and_the_factor_that_moved_them(board):
    worsened = figure(board, "worsened-list")
    assert "Anshan Steel" in worsened and "+12.0" in worsened
    # Purchase trend went from 20 to 80 at weight 20 of 40: +30 points.
    assert "Purchase trend (+30.0)" in worsened
    improved = figure(board, "improved-list")
    assert "Beijing Optics" in improved and "Relationship network (-10.0)" in improved
    assert figure(board, "worsened-count") == "1 account"
    assert figure(board, "improved-count") == "1 account"
    assert figure(board, "tier-entries") == "1 entered"
    assert figure(board, "tier-exits") == "1 left"


def test_alerts_raised_and_dealt_with_this_week(board):
    assert figure(board, f"alert-{AlertKind.NEW_RED}") == "1"
    assert figure(board, f"alert-{AlertKind.TRIPWIRE}") == "1"
    assert figure(board, f"alert-{AlertKind.TIER_CHANGE}") == "1"
    assert figure(board, f"alert-{AlertKind.BAND_WORSENED}") == "0"  # raised 10 days before
    assert figure(board, "alerts-closed") == "1"


def test_churn_by_reason_with_revenue_lost(board):
    assert figure(board, f"churn-{ChurnReason.COMPETITOR_PRICE}") == "1"
    assert figure(board, f"churn-{ChurnReason.COMPETITOR_PRICE}-revenue") == "CN¥300"
    assert figure(board, f"churn-{ChurnReason.DIRECTION_CHANGE}-revenue") == "CN¥80"
    assert figure(board, f"churn-{ChurnReason.NEEDS_NOT_MET}") == "0"  # churned 400 days ago
    assert figure(board, "churn-controllable") == "1"
    assert figure(board, "churn-controllable-revenue") == "CN¥300"
    assert figure(board, "churn-uncontrollable") == "1"


def test_weakest_countermeasure_is_revenue_weighted(board):
    # (80×1000 + 30×600 + 10×400 + 0×50) / 2050 = 49.8; (40×1000 + 70×600 + 30×400) / 2000 = 47.0
    assert re.search(
        r'data-testid="factor-purchase_trend"[^>]*class|class="table-danger[^"]*" data-testid="factor-purchase_trend"',
        board,
    )
    assert "49.8" in figure_row(board, "factor-purchase_trend")
    assert "47.0" in figure_row(board, "factor-relationship")
    assert "weakest" in figure_row(board, "factor-purchase_trend")


def figure_row(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{re.escape(testid)}">(.*?)</tr>', html, re.S)
    assert match
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_service_and_supply_key_accounts_against_the_rest(board):
    key = figure_row(board, "service-key")
    assert "50.0% 1/2" in key  # SLA: one of two resolved in time
    assert "1 at 1 account" in key  # open breach
    assert "50.0%" in key.split("account")[1]  # OTIF 1 of 2 lines
    assert "33.3 (1)" in key  # product quality and delivery: 1 complaint per 3 key accounts
    rest = figure_row(board, "service-regular")
    assert "0.0% 0/1" in rest and "100.0%" in rest


def test_pareto_share_of_the_key_tier(board):
    assert "80.0%" in figure(board, "key-share") or "80.0%" in board.split('data-testid="key-share"')[1][:400]


@pytest.mark.parametrize(
    ("testid", "expected"),
    [
        ("key-red", 1),
        ("key-amber", 1),
        ("base-green", 2),
        ("base-grey", 1),
        ("key-at-risk", 2),
        ("base-at-risk-count", 2),
        ("key-customers", 3),
        ("base-customers", 5),
        ("key-overrides", 1),
        ("worsened-count", 1),
        ("improved-count", 1),
        ("tier-entries", 1),
        ("tier-exits", 1),
        (f"alert-{AlertKind.TRIPWIRE}", 1),
        (f"alert-{AlertKind.NEW_RED}", 1),
        ("alerts-closed", 1),
        (f"churn-{ChurnReason.COMPETITOR_PRICE}", 1),
        ("churn-controllable", 1),
        ("churn-uncontrollable", 1),
    ],
)
def test_every_number_opens_the_list_of_that_many_customers(client, board, testid, expected):
    assert listed(client, link(board, testid)) == expected


def test_the_breach_number_opens_the_customers_with_open_breaches(client, board):
    match = re.search(r'<a href="([^"]+)" data-figure="breaches">1</a>', board)
    assert match
    assert listed(client, match.group(1).replace("&amp;", "&")) == 1


def test_a_mover_links_to_its_customer_page(board, portfolio):
    assert reverse("customer_detail", args=[portfolio["c1"].pk]) + "#section-risk" in board


def test_filters_narrow_every_section_and_the_drill_down(client, erin, portfolio):
    client.force_login(erin)
    html = client.get(URL, {"region": Region.EAST}).content.decode()
    assert f'<option value="{Region.EAST}" selected>' in html
    # East: c1 red (key), c3 green (key), c5 green (regular).
    assert figure(html, "key-red") == "Red 1 CN¥1K"
    assert figure(html, "key-amber") == "Amber 0 CN¥0"
    assert figure(html, "base-green") == "Green 2 CN¥450"
    assert listed(client, link(html, "base-green")) == 2
    html = client.get(URL, {"owner": portfolio["c3"].owner_id, "tier": Tier.KEY}).content.decode()
    assert f'<option value="{portfolio["c3"].owner_id}" selected>oscar</option>' in html
    assert figure(html, "key-green") == "Green 1 CN¥400"
    assert figure(html, "key-red") == "Red 0 CN¥0"
    assert figure(html, "worsened-count") == "0 accounts"


def test_unknown_filter_value_is_reported_and_ignored(client, erin, portfolio):
    client.force_login(erin)
    html = client.get(URL, {"region": "atlantis"}).content.decode()
    assert "atlantis" in figure(html, "filter-notice")
    assert figure(html, "key-red") == "Red 1 CN¥1K"


@pytest.mark.parametrize("who", ["alice", "oscar", "sam"])
def test_account_managers_and_service_desk_are_refused(client, portfolio, sam, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403
    assert client.get(reverse("portfolio_dashboard_xlsx")).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


def test_admins_see_the_dashboard(client, superuser, portfolio):
    client.force_login(superuser)
    assert client.get(URL).status_code == 200


def test_navigation_shows_the_dashboard_to_executives_only(client, erin, alice):
    client.force_login(erin)
    assert URL in client.get(reverse("home")).content.decode()
    client.force_login(alice)
    assert URL not in client.get(reverse("home")).content.decode()


def test_xlsx_export_has_the_tables_with_safe_names(client, erin, portfolio):
    # A control character first: removed before the formula check, not after it.
    portfolio["c1"].name = '\x01=HYPERLINK("http://x")'
    portfolio["c1"].save()
    portfolio_summaries_refresh(as_of=D)
    client.force_login(erin)
    response = client.get(reverse("portfolio_dashboard_xlsx"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    glance = [list(r) for r in book["At a glance"].iter_rows(values_only=True)]
    assert ["Key accounts", "Red", 1, 1000] in glance
    assert ["Whole customer base", "Revenue at risk (amber and red)", 2, 1600] in glance
    movers = [list(r) for r in book["What changed"].iter_rows(values_only=True)]
    assert movers[1][1] == '\'=HYPERLINK("http://x")'
    churn = {r[0]: r for r in book["Churn by reason"].iter_rows(values_only=True)}
    assert churn["Competitor won on price"][2:] == (1, 300)


def test_an_empty_dashboard_says_the_nightly_job_builds_it(client, erin):
    client.force_login(erin)
    html = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No portfolio summary yet" in html


def test_refresh_is_safe_to_run_twice(portfolio):
    before = list(
        PortfolioSummary.objects.filter(as_of=D)
        .order_by("grain", "tier", "region", "industry", "owner_id")
        .values_list("grain", "tier", "region", "industry", "owner_id", "customers", "red_revenue")
    )
    portfolio_summaries_refresh(as_of=D)
    after = list(
        PortfolioSummary.objects.filter(as_of=D)
        .order_by("grain", "tier", "region", "industry", "owner_id")
        .values_list("grain", "tier", "region", "industry", "owner_id", "customers", "red_revenue")
    )
    assert before == after
    assert PortfolioSummary.objects.filter(as_of=D, grain=SummaryGrain.ALL).count() == 2


def _summary_rows(day: date) -> list[dict]:
    return list(PortfolioSummary.objects.filter(as_of=day).order_by("pk").values(*SUMMARY_FIGURES))


SUMMARY_FIGURES = [f.name for f in PortfolioSummary._meta.concrete_fields if f.name not in ("id", "computed_at")]


@pytest.mark.django_db(transaction=True)
def test_a_refresh_outside_a_transaction_reads_over_several_connections_and_writes_the_same_rows(
    portfolio, postgres_only, monkeypatch
):
    """The night refreshes outside any transaction: its reads are shared over several connections
    reading one snapshot of the database. They must add up to what one connection reads, in
    the same order (the rows' order is the cells' order)."""
    from django.db import transaction

    from accounts.risk import plumbing

    shared = []
    real_run = plumbing.run_on_connections

    def run_and_note(jobs, snapshot_id, connections):
        shared.append((len(jobs), connections))
        real_run(jobs, snapshot_id, connections)

    monkeypatch.setattr(plumbing, "run_on_connections", run_and_note)
    portfolio_summaries_refresh(as_of=D)
    several = _summary_rows(D)
    assert shared and shared[0][0] > 5 and shared[0][1] >= 2

    with transaction.atomic():  # a caller's transaction: read on its one connection
        portfolio_summaries_refresh(as_of=D)
    assert len(shared) == 1
    one = _summary_rows(D)
    assert one == several
    key = [r for r in one if r["grain"] == SummaryGrain.ALL and r["tier"] == Tier.KEY]
    assert key[0]["customers"] == 3 and key[0]["red_revenue"] == Decimal("1000.00")


def test_rebuild_command_rebuilds_the_weeks_with_snapshots(portfolio):
    PortfolioSummary.objects.all().delete()
    out = io.StringIO()
    call_command("rebuild_portfolio_summaries", "--as-of", D.isoformat(), "--weeks", "3", stdout=out)
    assert set(PortfolioSummary.objects.values_list("as_of", flat=True)) == {D, W}
    assert "1 of the 3 dates have no snapshots" in out.getvalue()  # the Mondays D, W and the one before


def _scored_portfolio(n: int, owners) -> None:
    for i in range(n):
        c = f.CustomerFactory(
            owner=owners[i % len(owners)],
            tier=Tier.KEY if i % 5 == 0 else Tier.REGULAR,
            region=Region.values[i % 4],
            industry=Industry.values[i % 3],
        )
        snapshot(
            c,
            tier=c.tier,
            band=[RiskBand.GREEN, RiskBand.AMBER, RiskBand.RED][i % 3],
            score=30,
            revenue=100 + i,
            change=[-8, 0, 9][i % 3],
            purchase_trend=i % 100,
        )
        snapshot(c, day=W, tier=c.tier, band=RiskBand.GREEN, score=30, revenue=100, purchase_trend=10)
    portfolio_summaries_refresh(as_of=W)
    portfolio_summaries_refresh(as_of=D)


def _queries(client, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL, params).status_code == 200
    return len(ctx.captured_queries)


# Session, user, roles; summary date, managers offered; rows of the date with the week before's
# (one query); weekly trend; Pareto snapshots; the region, industry and manager breakdowns (one
# query); competitor activity this month; the customers won back in the 12 months.
DASHBOARD_QUERIES = 11


@pytest.mark.parametrize("params", [{}, {"region": Region.EAST, "tier": Tier.KEY}])
def test_query_count_does_not_grow_with_the_portfolio(client, erin, alice, oscar, params, django_assert_num_queries):
    client.force_login(erin)
    _scored_portfolio(10, [alice, oscar])
    client.get(URL)  # warm the session
    with django_assert_num_queries(DASHBOARD_QUERIES):
        client.get(URL, params)
    _scored_portfolio(90, [alice, oscar, f.account_manager("tom")])
    with django_assert_num_queries(DASHBOARD_QUERIES):
        client.get(URL, params)


def test_breakdowns_by_region_industry_and_manager_name_the_weakest_factor(client, board, portfolio):
    # East: c1 red 1,000 at risk; purchase trend (80×1000 + 10×400 + 0×50) / 1450 = 57.9,
    # relationship (40×1000 + 30×400) / 1400 = 37.1.
    # Columns: revenue at risk, then purchase trend, relationship and the five factors without data.
    assert figure_row(board, f"region-{Region.EAST}") == "East China CN¥1K 58 37 — — — — —"
    assert 'heat-amber heat-weakest" title="weakest">58<' in board
    assert figure_row(board, f"region-{Region.NORTH}") == "North China CN¥600 30 70 — — — — —"
    alice_id = portfolio["c1"].owner_id
    # alice: c1 and c2, 1,600 at risk; purchase trend 98,000 / 1,600 = 61.3, relationship 51.3.
    assert figure_row(board, f"owner-{alice_id}") == "alice CN¥1.6K 61 51 — — — — —"
    east = re.search(rf'data-testid="region-{Region.EAST}">.*?href="([^"]+)"', board, re.S).group(1)
    assert listed(client, east.replace("&amp;", "&")) == 1


def test_trends_chart_the_weeks_of_the_summaries(board):
    charts = json.loads(re.search(r'id="dashboard-data" type="application/json">(.*?)</script>', board, re.S).group(1))
    assert charts["labels"] == ["16 Nov", "23 Nov"]
    # Key accounts a week before: c1 and c2 amber, c5 green; now c1 red, c2 amber, c3 green.
    assert charts["bands"] == {"green": [1, 1], "amber": [2, 1], "red": [0, 1], "grey": [0, 0]}
    assert charts["risk_key"] == [1600, 1600]
    assert charts["risk_base"] == [1600, 1600]
    assert charts["entries"] == [0, 1] and charts["exits"] == [0, 1]
    assert charts["key_share"] == [None, 80.0]
    assert charts["pareto"] == [[0, 0], [0.6, 0.8], [1, 1]]


def test_the_finest_grain_is_kept_daily_for_a_week_then_on_mondays_only(portfolio):
    tuesday, monday = D - timedelta(days=13), D - timedelta(days=14)
    for day in (tuesday, monday):
        f.PortfolioSummaryFactory(as_of=day, grain=SummaryGrain.CELL, region=Region.EAST)
        f.PortfolioSummaryFactory(as_of=day, grain=SummaryGrain.ALL)
    portfolio_summaries_refresh(as_of=D)
    kept = set(PortfolioSummary.objects.filter(as_of__in=[tuesday, monday]).values_list("as_of", "grain"))
    assert kept == {(tuesday, SummaryGrain.ALL), (monday, SummaryGrain.ALL), (monday, SummaryGrain.CELL)}


def test_drill_down_filters_keep_an_account_manager_to_her_own_customers(client, alice, portfolio):
    client.force_login(alice)
    # Churned in the year: c6 is alice's, c7 is oscar's.
    html = client.get(reverse("home"), {"churned": "any"}).content.decode()
    assert "Foshan Glass" in html and "Guilin Paper" not in html
    # Tier changes this week: c3 (entered) and c5 (left) are oscar's.
    assert listed(client, reverse("home") + "?tier_move=entered") == 0
    assert listed(client, reverse("home") + "?alert=tier_change") == 0
    assert listed(client, reverse("home") + "?alert=tripwire") == 1


def test_drill_down_shows_what_it_is_filtered_by_and_reports_unknown_values(client, erin, portfolio):
    client.force_login(erin)
    html = client.get(reverse("home"), {"moved": "worsened"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Worsened this week" in figure(html, "drill-down")
    html = client.get(reverse("home"), {"churned": "bored"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "bored" in figure(html, "filter-notice")
    assert listed(client, reverse("home") + "?churned=bored") == 8  # ignored: every customer


def test_the_customers_won_back_in_the_year_are_counted(client, erin, alice, portfolio, settings):
    settings.LANGUAGE_CODE = "en"
    won_back = f.CustomerFactory(owner=alice, region=Region.NORTH)
    f.ChurnEventFactory(customer=won_back, kind="recovered", reason="", happened_on=D - timedelta(days=30))
    f.ChurnEventFactory(customer=portfolio["c1"], kind="recovered", reason="", happened_on=D - timedelta(days=400))
    client.force_login(erin)
    board = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.search(r'data-testid="recovered">1<', board)
    east = client.get(URL, {"region": Region.EAST}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.search(r'data-testid="recovered">0<', east)
