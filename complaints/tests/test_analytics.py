"""Complaint analytics: every figure against a small book of tickets worked out by hand."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.http import QueryDict
from django.urls import reverse
from pytest import approx

from accounts.models import Tier
from complaints.analytics import Filters, complaint_analytics, filters_from
from complaints.models import Ticket
from keyaccounts.tests import factories as f

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=SHANGHAI)
Q1 = Filters(start=date(2026, 1, 1), end=date(2026, 3, 31))
Q1_PARAMS = {"start": "2026-01-01", "end": "2026-03-31", "kind": "complaint"}


def at(month, day, hour=9, year=2026):
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


def ticket(customer, opened, *, category, severity, window, responded=None, resolved=None, **fields):
    """A ticket opened at `opened` with an SLA window of (response, resolution) hours, first
    answered `responded` hours and resolved `resolved` hours after opening (None: not yet)."""
    response_hours, resolution_hours = window
    status = Ticket.Status.RESOLVED if resolved is not None else Ticket.Status.IN_PROGRESS
    if responded is None and resolved is None:
        status = Ticket.Status.NEW
    return f.TicketFactory(
        customer=customer,
        category=category,
        severity=severity,
        opened_at=opened,
        response_due_at=opened + timedelta(hours=response_hours),
        resolution_due_at=opened + timedelta(hours=resolution_hours),
        first_response_at=opened + timedelta(hours=responded) if responded is not None else None,
        resolved_at=opened + timedelta(hours=resolved) if resolved is not None else None,
        status=fields.pop("status", status),
        **fields,
    )


@pytest.fixture
def book(customer, oscars_customer):
    """alice's key account (T1–T3, T6–T8) and oscar's regular customer (T4, T5).

    In January–March 2026, complaints only:
    T1 Jan 10 quality high, answered in 4 h of 10, resolved in 30 h of 40 — recurs (T7, Dec 20)
    T2 Feb 5  quality high, answered in 12 h of 10 (late), resolved in 50 h of 40 (late) — recurs (T1)
    T3 Feb 20 delivery medium, answered in 6 h of 24, open past its 72 h resolution deadline
    T4 Mar 3  service low (oscar), nobody answered, both deadlines past
    T5 Mar 15 service low (oscar, logistics), answered in 2 h of 48, resolved in 20 h of 120 — recurs (T4)
    Outside: T6 a service request (Mar 1), T7 Dec 20 2025, T8 Apr 2.
    """
    customer.tier = Tier.KEY
    customer.save()
    HIGH, MEDIUM, LOW = "high", "medium", "low"
    QUALITY, DELIVERY, SERVICE = "product_quality", "delivery", "service"
    return {
        "T1": ticket(customer, at(1, 10), category=QUALITY, severity=HIGH, window=(10, 40), responded=4, resolved=30),
        "T2": ticket(customer, at(2, 5), category=QUALITY, severity=HIGH, window=(10, 40), responded=12, resolved=50),
        "T3": ticket(customer, at(2, 20, 10), category=DELIVERY, severity=MEDIUM, window=(24, 72), responded=6),
        "T4": ticket(oscars_customer, at(3, 3, 8), category=SERVICE, severity=LOW, window=(48, 120)),
        "T5": ticket(
            oscars_customer,
            at(3, 15, 8),
            category=SERVICE,
            severity=LOW,
            window=(48, 120),
            responded=2,
            resolved=20,
            department=Ticket.Department.LOGISTICS,
        ),
        "T6": ticket(
            customer,
            at(3, 1),
            category="price",
            severity=LOW,
            window=(48, 120),
            kind=Ticket.Kind.SERVICE_REQUEST,
        ),
        "T7": ticket(
            customer, at(12, 20, year=2025), category=QUALITY, severity=HIGH, window=(10, 40), responded=1, resolved=5
        ),
        "T8": ticket(customer, at(4, 2), category=QUALITY, severity=HIGH, window=(10, 40)),
    }


def test_the_summary_figures_for_someone_who_sees_every_customer(book, erin):
    s = complaint_analytics(user=erin, filters=Q1, now=NOW).summary
    assert s["tickets"] == 5
    assert (s["responded"], s["resolved"]) == (4, 3)
    assert s["response_hours"] == pytest.approx((4 + 12 + 6 + 2) / 4)  # 6.0
    assert s["response_target_hours"] == pytest.approx((10 + 10 + 24 + 48) / 4)  # 23.0
    assert s["resolution_hours"] == pytest.approx((30 + 50 + 20) / 3)
    assert s["resolution_target_hours"] == pytest.approx((40 + 40 + 120) / 3)
    # Responded in time: T1, T3, T5; late: T2 (answered late), T4 (never answered, past due).
    assert (s["response_met"], s["response_missed"], s["response_attainment"]) == (3, 2, pytest.approx(0.6))
    # Resolved in time: T1, T5; late: T2, and T3 and T4 still open past their deadline.
    assert (s["resolution_met"], s["resolution_missed"], s["resolution_attainment"]) == (2, 3, pytest.approx(0.4))
    # T1 (after T7 of December, before the period), T2 (after T1), T5 (after T4).
    assert (s["recurrent"], s["recurrence_rate"]) == (3, pytest.approx(0.6))


def test_by_category_customer_and_month(book, erin, customer, oscars_customer):
    a = complaint_analytics(user=erin, filters=Q1, now=NOW)
    assert [(r["category"], r["tickets"], r["recurrent"]) for r in a.by_category] == [
        ("product_quality", 2, 2),
        ("service", 2, 1),
        ("delivery", 1, 0),
    ]
    assert [(r["customer_id"], r["tickets"], r["recurrent"], r["resolution_missed"]) for r in a.by_customer] == [
        (customer.pk, 3, 2, 2),
        (oscars_customer.pk, 2, 1, 1),
    ]
    assert [(r["month"], r["tickets"], r["response_missed"], r["resolution_missed"]) for r in a.by_month] == [
        (date(2026, 1, 1), 1, 0, 0),
        (date(2026, 2, 1), 2, 1, 2),
        (date(2026, 3, 1), 2, 1, 1),
    ]


def test_by_severity_against_the_sla_windows(book, erin):
    rows = {r["severity"]: r for r in complaint_analytics(user=erin, filters=Q1, now=NOW).by_severity}
    assert list(rows) == ["high", "medium", "low"]
    high, medium, low = rows["high"], rows["medium"], rows["low"]
    assert (high["tickets"], high["response_hours"], high["response_target_hours"]) == (2, approx(8), approx(10))
    assert (high["resolution_hours"], high["resolution_target_hours"]) == (pytest.approx(40.0), pytest.approx(40.0))
    assert (high["response_attainment"], high["resolution_attainment"]) == (0.5, 0.5)
    assert medium["response_hours"] == approx(6)
    assert (medium["resolution_hours"], medium["resolution_target_hours"]) == (None, None)
    assert (medium["response_attainment"], medium["resolution_attainment"]) == (1.0, 0.0)
    assert (low["tickets"], low["response_hours"], low["response_target_hours"]) == (2, approx(2), approx(48))
    assert (low["response_attainment"], low["resolution_attainment"]) == (0.5, 0.5)


def test_an_open_ticket_not_yet_due_counts_neither_as_met_nor_as_missed(book, erin):
    # On 16 March 09:00 T5 is answered and resolved, T4 is 13 days old: both of T4's deadlines
    # (48 h and 120 h) have passed. Seen from 3 March 10:00, T4 is two hours old: pending.
    early = complaint_analytics(user=erin, filters=Q1, now=at(3, 3, 10)).summary
    assert (early["response_met"], early["response_missed"]) == (3, 1)


@pytest.mark.parametrize(
    ("params", "tickets", "recurrence"),
    [
        ({"tier": "key"}, 3, 2 / 3),
        ({"tier": "regular"}, 2, 1 / 2),
        ({"department": "logistics"}, 1, 1.0),
        ({"kind": ""}, 6, 3 / 6),
        ({"start": "2026-02-01", "end": "2026-02-28"}, 2, 1 / 2),
    ],
    ids=["key-tier", "regular-tier", "department", "all-kinds", "february"],
)
def test_filters_narrow_every_figure(book, erin, params, tickets, recurrence):
    query = QueryDict(mutable=True)
    query.update({**Q1_PARAMS, **params})
    filters, form = filters_from(query, today=date(2026, 6, 1))
    assert form.is_valid(), form.errors
    s = complaint_analytics(user=erin, filters=filters, now=NOW).summary
    assert (s["tickets"], s["recurrence_rate"]) == (tickets, pytest.approx(recurrence))


@pytest.mark.parametrize("who", ["alice", "bob", "tina"])
def test_account_managers_see_figures_of_their_own_customers_only(client, request, book, customer, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("complaint_analytics"), Q1_PARAMS)
    assert response.status_code == 200
    a = response.context["analytics"]
    assert a.summary["tickets"] == 3
    assert a.summary["response_attainment"] == pytest.approx(2 / 3)
    assert a.summary["resolution_attainment"] == pytest.approx(1 / 3)
    assert [r["customer_id"] for r in a.by_customer] == [customer.pk]
    page = response.content.decode()
    assert "Harbin Heavy Industries" not in page and "Shanghai Precision Motors" in page


def test_the_outsider_sees_only_his_customer(client, book, oscar, oscars_customer):
    client.force_login(oscar)
    a = client.get(reverse("complaint_analytics"), Q1_PARAMS).context["analytics"]
    assert a.summary["tickets"] == 2
    assert [r["customer_id"] for r in a.by_customer] == [oscars_customer.pk]
    assert [(r["category"], r["tickets"]) for r in a.by_category] == [("service", 2)]


@pytest.mark.parametrize("who", ["erin", "sam"])
def test_executives_and_the_service_desk_see_every_customer(client, request, book, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("complaint_analytics"), Q1_PARAMS)
    assert response.context["analytics"].summary["tickets"] == 5
    page = response.content.decode()
    assert "Harbin Heavy Industries" in page and "Shanghai Precision Motors" in page


def test_the_page_shows_the_figures(client, book, erin):
    client.force_login(erin)
    page = client.get(reverse("complaint_analytics"), Q1_PARAMS).content.decode()
    assert 'data-figure="tickets">5<' in page
    assert 'data-figure="response-hours">6.0 h<' in page
    assert 'data-figure="response-target">23.0 h<' in page
    assert 'data-figure="resolution-hours">33.3 h<' in page
    assert 'data-figure="resolution-target">66.7 h<' in page
    assert 'data-figure="response-attainment">60.0%<' in page
    assert 'data-figure="resolution-attainment">40.0%<' in page
    assert 'data-figure="recurrence">60.0%<' in page
    assert 'id="analytics-data"' in page and "chart.umd.min.js" in page


def test_by_default_the_page_shows_complaints_of_the_last_twelve_months(db):
    filters, form = filters_from(QueryDict(), today=date(2026, 6, 17))
    assert filters == Filters(start=date(2025, 7, 1), end=date(2026, 6, 17), kind="complaint")
    assert not form.is_bound


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-13-01"}, "Enter a valid date"),
        ({"start": "2026-03-01", "end": "2026-01-01"}, "The period ends before it starts."),
        ({"start": "2020-01-01", "end": "2026-01-01"}, "at most three years"),
        ({"tier": "platinum"}, "Select a valid choice"),
        ({"department": "'; drop table"}, "Select a valid choice"),
    ],
)
def test_bad_filters_are_explained_and_the_default_period_shown(client, book, erin, params, message):
    client.force_login(erin)
    response = client.get(reverse("complaint_analytics"), params)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="filter-errors"' in page and message in page
    assert response.context["analytics"].filters.tier == ""


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("complaint_analytics"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def _more_tickets(count):
    for i in range(count):
        owner = f.account_manager(f"am{i % 4}")
        c = f.CustomerFactory(owner=owner)
        ticket(
            c, at(1 + i % 3, 1 + i % 27), category="service", severity="low", window=(48, 120), responded=3, resolved=9
        )


@pytest.mark.parametrize("extra", [0, 40])
@pytest.mark.parametrize("who", ["alice", "erin"])
def test_the_page_costs_the_same_queries_for_small_and_larger_data(
    client, request, book, who, extra, django_assert_num_queries
):
    _more_tickets(extra)
    client.force_login(request.getfixturevalue(who))
    # session, user, roles; the last full refresh of the stored months (none here), the month ×
    # severity × category cells, top customers, their recurrences.
    with django_assert_num_queries(7):
        assert client.get(reverse("complaint_analytics"), Q1_PARAMS).status_code == 200


def test_the_page_speaks_chinese(client, book, erin):
    client.force_login(erin)
    page = client.get(
        reverse("complaint_analytics"), Q1_PARAMS, headers={"accept-language": "zh-hans"}
    ).content.decode()
    assert "投诉分析" in page and "SLA 达成率" in page and "6.0 小时" in page
