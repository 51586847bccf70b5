# ruff: noqa: F811 (the book fixture is imported from test_analytics)
"""The analytics page's stored monthly figures (complaints.monthly): the page shows the same
figures from them as from the tickets, for every filter and role, and they stay true."""

from dataclasses import asdict
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import DatabaseError
from django.db.models import Sum
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from accounts.models import Tier
from complaints.analytics import Filters, complaint_analytics, filters_from, stored_months
from complaints.models import ComplaintMonth, Ticket
from complaints.monthly import complaint_months_refresh
from complaints.services import ticket_change_category
from complaints.tests.test_analytics import NOW, Q1, Q1_PARAMS, _more_tickets, at, book, ticket  # noqa: F401
from keyaccounts.tests import factories as f

JANUARY_TO_MARCH = [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]


def figures(analytics) -> dict:
    """Every figure of the page, flat, floats compared to the last few digits."""
    data = asdict(analytics)
    flat = {}
    for part in ("summary", "by_severity", "by_category", "by_customer", "by_month"):
        rows = [data[part]] if part == "summary" else data[part]
        for n, row in enumerate(rows):
            for key, value in row.items():
                flat[f"{part}[{n}].{key}"] = pytest.approx(value) if isinstance(value, float) else value
    return flat


def live_and_stored(user, filters, now=NOW):
    """The page's figures from the tickets alone, then with the months stored."""
    ComplaintMonth.objects.all().delete()
    live = complaint_analytics(user=user, filters=filters, now=now)
    complaint_months_refresh(now=now)
    return live, complaint_analytics(user=user, filters=filters, now=now)


def filters(**params) -> Filters:
    query = QueryDict(mutable=True)
    query.update({**Q1_PARAMS, **params})
    result, form = filters_from(query, today=date(2026, 6, 1))
    assert form.is_valid(), form.errors
    return result


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"tier": Tier.KEY},
        {"tier": Tier.REGULAR},
        {"department": "logistics"},
        {"kind": ""},
        {"kind": "service_request"},
        {"start": "2026-02-01", "end": "2026-02-28"},
        {"start": "2026-01-15", "end": "2026-03-20"},  # January and March only partly in the period
        {"start": "2025-12-01", "end": "2026-06-01", "kind": ""},  # up to the current month, read live
    ],
    ids=["all", "key", "regular", "department", "all-kinds", "requests", "february", "cut-months", "to-june"],
)
@pytest.mark.parametrize("who", ["erin", "sam", "alice", "bob", "tina", "oscar"])
def test_the_stored_months_give_the_same_figures_as_the_tickets(request, book, who, params):
    user = request.getfixturevalue(who)
    live, stored = live_and_stored(user, filters(**params))
    assert figures(stored) == figures(live)
    assert stored.summary["tickets"] == live.summary["tickets"]


def test_whole_months_before_the_current_one_are_read_from_the_table(book, erin):
    complaint_months_refresh(now=NOW)
    assert stored_months(Q1, NOW) == JANUARY_TO_MARCH
    # Cut by the period (January from the 15th, June to the 1st), or the current month (June):
    # from the tickets.
    cut = Filters(start=date(2026, 1, 15), end=date(2026, 6, 1))
    assert stored_months(cut, NOW) == [*JANUARY_TO_MARCH[1:], date(2026, 4, 1), date(2026, 5, 1)]
    # What the page sums is the table's: change a stored row and the page follows it.
    ComplaintMonth.objects.filter(month=date(2026, 1, 1)).update(tickets=100)
    assert complaint_analytics(user=erin, filters=Q1, now=NOW).summary["tickets"] == 5 - 1 + 100


def test_nothing_is_read_from_a_table_never_refreshed_or_not_refreshed_since_the_month_ended(book, erin):
    assert stored_months(Q1, NOW) == []
    complaint_months_refresh(now=at(3, 10))  # before March ended
    assert stored_months(Q1, NOW) == JANUARY_TO_MARCH[:2]
    assert figures(complaint_analytics(user=erin, filters=Q1, now=NOW))["summary[0].tickets"] == 5


def test_a_month_with_a_deadline_passed_since_the_refresh_is_read_from_the_tickets(book, erin, customer):
    # Opened 30 March with a resolution window of 100 days: still pending at the refresh on 1 June.
    ticket(customer, at(3, 30), category="price", severity="low", window=(2, 100 * 24), responded=1)
    complaint_months_refresh(now=NOW)
    assert stored_months(Q1, NOW) == JANUARY_TO_MARCH
    later = at(7, 10)
    ComplaintMonth.objects.all().delete()
    live = complaint_analytics(user=erin, filters=Q1, now=later)
    complaint_months_refresh(now=NOW)
    assert stored_months(Q1, later) == JANUARY_TO_MARCH[:2]
    stored = complaint_analytics(user=erin, filters=Q1, now=later)
    assert figures(stored) == figures(live)
    assert stored.summary["resolution_missed"] == 4  # T2, T3, T4 and the price complaint


def _busy_customers(alice, oscar):
    """Customers of alice's and oscar's with 1 to 14 complaints in January–March (the most for
    the last), one with many service requests in all but two complaints, and one whose
    complaints are all of June (read live)."""
    customers = []
    for n in range(1, 15):
        c = f.CustomerFactory(name=f"Busy {n:02}", owner=alice if n % 2 else oscar)
        for i in range(n):
            category = ["service", "delivery", "price"][i % 3]
            ticket(c, at(1 + i % 3, 1 + i), category=category, severity="low", window=(48, 120), responded=3)
        customers.append(c)
    requests = f.CustomerFactory(name="Mostly requests", owner=alice)
    for i in range(30):
        ticket(
            requests,
            at(1 + i % 3, 1 + i % 27),
            category="other",
            severity="low",
            window=(48, 120),
            kind=Ticket.Kind.SERVICE_REQUEST,
        )
    for i in range(2):
        ticket(requests, at(2, 10 + i), category="price", severity="low", window=(48, 120))
    june = f.CustomerFactory(name="June only", owner=oscar)
    for i in range(9):
        ticket(june, at(6, 1, 1 + i) - timedelta(hours=1), category="service", severity="low", window=(48, 120))
    return customers


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"kind": ""},
        {"end": "2026-06-01"},
        {"start": "2026-02-01", "end": "2026-06-01", "kind": ""},
        {"tier": "regular"},
    ],
    ids=["q1", "all-kinds", "to-june", "february-to-june", "regular"],
)
@pytest.mark.parametrize("who", ["erin", "alice", "oscar"])
def test_the_top_customers_are_the_same_when_only_the_busiest_are_added_up(request, book, alice, oscar, who, params):
    _busy_customers(alice, oscar)
    live, stored = live_and_stored(request.getfixturevalue(who), filters(**params))
    assert stored.by_customer == live.by_customer
    if who == "erin":  # ten of the eighteen customers, the bar set by the busiest
        assert len(stored.by_customer) == 10


def test_a_ticket_written_today_shows_up(client, book, erin, customer):
    complaint_months_refresh()
    client.force_login(erin)
    before = client.get(reverse("complaint_analytics")).context["analytics"].summary["tickets"]
    f.TicketFactory(customer=customer, kind=Ticket.Kind.COMPLAINT, opened_at=timezone.now() - timedelta(minutes=5))
    after = client.get(reverse("complaint_analytics")).context["analytics"].summary["tickets"]
    assert after == before + 1


def test_a_change_to_an_old_ticket_refreshes_its_customers_months(
    book, erin, alice, django_capture_on_commit_callbacks
):
    complaint_months_refresh(now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_change_category(ticket=book["T1"], by=alice, category="delivery", now=NOW)
    stored = complaint_analytics(user=erin, filters=Q1, now=NOW)
    assert stored_months(Q1, NOW) == JANUARY_TO_MARCH
    # The whole book's rows are still the sums of the customers'.
    assert book_rows() == summed_customer_rows()
    ComplaintMonth.objects.all().delete()
    live = complaint_analytics(user=erin, filters=Q1, now=NOW)
    assert figures(stored) == figures(live)
    # T1, now about delivery, no longer recurs after December's quality complaint (T2 still
    # does); T3 (delivery, 20 February) now recurs after T1.
    assert [(r["category"], r["tickets"], r["recurrent"]) for r in stored.by_category] == [
        ("delivery", 2, 1),
        ("service", 2, 1),
        ("product_quality", 1, 1),
    ]


KEY = ("month", "kind", "department", "severity", "category")


def book_rows() -> dict:
    return {
        row[:5]: row[5:]
        for row in ComplaintMonth.objects.filter(customer__isnull=True).values_list(*KEY, "tickets", "recurrent")
    }


def summed_customer_rows() -> dict:
    rows = (
        ComplaintMonth.objects.filter(customer__isnull=False)
        .values(*KEY)
        .annotate(t=Sum("tickets"), r=Sum("recurrent"))
        .values_list(*KEY, "t", "r")
        .order_by()
    )
    return {row[:5]: row[5:] for row in rows}


def test_a_deleted_ticket_leaves_the_figures(book, erin, django_capture_on_commit_callbacks):
    complaint_months_refresh(now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        book["T3"].delete()
    assert complaint_analytics(user=erin, filters=Q1, now=NOW).summary["tickets"] == 4
    assert book_rows() == summed_customer_rows()


def test_the_refresh_is_idempotent(book):
    def rows():
        return list(ComplaintMonth.objects.order_by(*ComplaintMonth._meta.ordering).values())

    written = complaint_months_refresh(now=NOW)
    first = rows()
    customers = [row for row in first if row["customer_id"] is not None]
    assert written == len(customers) > 0
    assert complaint_months_refresh(now=NOW) == written
    assert [{**row, "id": 0} for row in rows()] == [{**row, "id": 0} for row in first]
    # Every ticket once among the customers' rows, and once among the whole book's.
    assert sum(row["tickets"] for row in customers) == Ticket.objects.count()
    assert sum(row["tickets"] for row in first if row["customer_id"] is None) == Ticket.objects.count()


def test_a_failed_refresh_leaves_the_rows_as_they_were(book, monkeypatch):
    complaint_months_refresh(now=NOW)
    before = list(ComplaintMonth.objects.values_list("month", "customer_id", "tickets", "recurrent"))
    Ticket.objects.filter(pk=book["T1"].pk).update(category="price")
    monkeypatch.setattr("complaints.monthly._rows_sql", lambda ids, now: ("SELECT 1/0", []))
    with pytest.raises(DatabaseError):
        complaint_months_refresh(now=NOW)
    assert list(ComplaintMonth.objects.values_list("month", "customer_id", "tickets", "recurrent")) == before


@pytest.mark.parametrize("who", ["alice", "bob", "tina"])
def test_account_managers_see_stored_figures_of_their_own_customers_only(client, request, book, customer, who):
    complaint_months_refresh()
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("complaint_analytics"), Q1_PARAMS)
    a = response.context["analytics"]
    assert stored_months(a.filters, timezone.now()) == JANUARY_TO_MARCH
    assert a.summary["tickets"] == 3
    assert [r["customer_id"] for r in a.by_customer] == [customer.pk]
    page = response.content.decode()
    assert "Harbin Heavy Industries" not in page and "Shanghai Precision Motors" in page


def test_who_sees_what_and_the_tier_are_the_customers_as_of_the_request(book, alice, erin, oscars_customer):
    complaint_months_refresh(now=NOW)
    oscars_customer.owner = alice
    oscars_customer.tier = Tier.KEY
    oscars_customer.save()
    assert complaint_analytics(user=alice, filters=Q1, now=NOW).summary["tickets"] == 5
    key = Filters(start=Q1.start, end=Q1.end, tier=Tier.KEY)
    assert complaint_analytics(user=erin, filters=key, now=NOW).summary["tickets"] == 5


def test_someone_without_a_role_sees_nothing_from_the_table(book):
    complaint_months_refresh(now=NOW)
    nobody = f.UserFactory(username="nobody")
    a = complaint_analytics(user=nobody, filters=Q1, now=NOW)
    assert (a.summary["tickets"], a.by_customer) == (0, [])


def test_the_rows_are_read_only_in_the_admin_and_only_the_visible_customers(client, book, oscar, superuser):
    complaint_months_refresh(now=NOW)
    oscar.is_staff = True
    oscar.save()
    client.force_login(oscar)
    response = client.get(reverse("admin:complaints_complaintmonth_changelist"))
    if response.status_code == 200:
        assert "Shanghai Precision Motors" not in response.content.decode()
    client.force_login(superuser)
    response = client.get(reverse("admin:complaints_complaintmonth_changelist"))
    assert response.status_code == 200 and "Shanghai Precision Motors" in response.content.decode()
    row = ComplaintMonth.objects.first()
    assert client.post(reverse("admin:complaints_complaintmonth_change", args=[row.pk]), {}).status_code == 403
    assert client.get(reverse("admin:complaints_complaintmonth_add")).status_code == 403


@pytest.mark.parametrize("extra", [0, 40])
@pytest.mark.parametrize("who", ["alice", "erin"])
def test_the_stored_path_costs_the_same_queries_for_small_and_larger_data(
    client, request, book, who, extra, django_assert_num_queries
):
    _more_tickets(extra)
    complaint_months_refresh()
    client.force_login(request.getfixturevalue(who))
    # session, user, roles; the last full refresh, the months with a passed deadline, the live
    # and the stored cells, the top customers, their live recurrences. The account manager's
    # customers' ids are read once; for the whole book, the busiest customers' stored counts and
    # the customers with tickets read live bound the search for the top customers.
    queries = 9 + (1 if who == "alice" else 2)
    with django_assert_num_queries(queries):
        response = client.get(reverse("complaint_analytics"), Q1_PARAMS)
    assert response.context["analytics"].summary["tickets"] == (3 if who == "alice" else 5 + extra)


def test_the_rebuild_command_writes_every_month(book, capsys):
    call_command("rebuild_complaint_months")
    assert "rows over" in capsys.readouterr().out
    assert set(ComplaintMonth.objects.values_list("month", flat=True)) == {
        date(2025, 12, 1),
        *JANUARY_TO_MARCH,
        date(2026, 4, 1),
    }


def test_the_daily_task_after_the_night_rebuilds_the_months(book):
    """Rebuilt by a task of its own each day after the night, not inside the night's steps."""
    from complaints.tasks import refresh_complaint_months
    from keyaccounts.celery import app

    ComplaintMonth.objects.all().delete()
    written = refresh_complaint_months.apply().get()
    assert written > 0
    whole_book = ComplaintMonth.objects.filter(customer__isnull=True).aggregate(n=Sum("tickets"))["n"]
    assert whole_book == Ticket.objects.count()
    schedule = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}
    night, months = schedule["accounts.tasks.nightly_risk"], schedule["complaints.tasks.refresh_complaint_months"]
    assert (min(months.hour), min(months.minute)) > (min(night.hour), min(night.minute))
