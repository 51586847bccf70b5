"""In Chromium: a late ticket reaches its owner's notification centre; the analytics page draws."""

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.escalation import tickets_escalate
from complaints.models import Ticket
from keyaccounts.tests import factories as f
from keyaccounts.tests.test_browser import ARTIFACTS, _login, page  # noqa: F401 - the page fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def late_ticket(customer, subject, hours_late, **fields):
    opened = timezone.now() - timedelta(hours=24 + hours_late)
    return f.TicketFactory(
        customer=customer,
        subject=subject,
        category=Ticket.Category.DELIVERY,
        department=Ticket.Department.LOGISTICS,
        opened_at=opened,
        response_due_at=opened + timedelta(hours=4),
        resolution_due_at=opened + timedelta(hours=24),
        first_response_at=opened + timedelta(hours=1),
        status=Ticket.Status.IN_PROGRESS,
        **fields,
    )


def test_owner_hears_of_a_late_ticket_in_the_notification_centre_and_clears_it(page, live_server):  # noqa: F811
    alice = f.account_manager("alice")
    bob = f.account_manager("bob")
    customer = f.CustomerFactory(name="Ningbo Bearings", owner=alice, backup_owner=bob)
    f.service_desk("sam")
    rotor = late_ticket(customer, "Rotor shipment two weeks late", hours_late=14)
    late_ticket(customer, "Wrong pallets delivered", hours_late=20)
    tickets_escalate()

    _login(page, live_server, "alice")
    badge = page.locator("[data-testid=nav-notifications] [data-testid=notification-count]")
    badge.wait_for()
    assert badge.inner_text() == "2"
    page.click("[data-testid=nav-notifications]")
    page.wait_for_selector("[data-testid=notification-list]")
    first = page.locator("[data-testid=notification]").first
    assert "Resolution overdue" in first.inner_text()
    assert "Account owner and backup owner" in first.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "notifications.png"), full_page=True)

    # Mark one read in place: the badge follows without a reload.
    first.locator("button", has_text="Mark read").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=nav-notifications] [data-testid=notification-count]')"
        "?.textContent === '1'"
    )
    # Opening the other one leads to its ticket and clears the badge.
    page.locator("[data-testid=notification]", has_text="Rotor shipment").locator("form button").first.click()
    page.wait_for_url(f"**/tickets/{rotor.pk}/")
    page.wait_for_timeout(300)
    assert page.locator("[data-testid=nav-notifications] [data-testid=notification-count]").count() == 0


def test_the_executive_sees_complaint_analytics_drawn_as_charts(page, live_server):  # noqa: F811
    alice = f.account_manager("alice")
    f.executive("erin")
    now = timezone.now()
    categories = ["product_quality", "delivery", "service", "price"]
    for c in range(6):
        customer = f.CustomerFactory(name=f"Customer {c + 1:02d}", owner=alice)
        for i in range(2 + c):
            opened = now - timedelta(days=12 + 37 * i + 3 * c)
            f.TicketFactory(
                customer=customer,
                category=categories[(i // 2 + c) % len(categories)],
                severity=["low", "medium", "high", "critical"][(i + c) % 4],
                opened_at=opened,
                response_due_at=opened + timedelta(hours=24),
                resolution_due_at=opened + timedelta(hours=96),
                first_response_at=opened + timedelta(hours=6 + 9 * (i % 4)),
                resolved_at=opened + timedelta(hours=30 + 25 * (i % 5)),
                status=Ticket.Status.RESOLVED,
            )
    _login(page, live_server, "erin")
    page.click("text=Complaint analytics")
    page.wait_for_selector("[data-testid=analytics-summary]")
    # Chart.js drew both charts (a canvas it owns has a chart instance).
    page.wait_for_function("() => window.Chart && Chart.getChart('month-chart') && Chart.getChart('category-chart')")
    assert page.inner_text("[data-figure=tickets]") == str(sum(2 + c for c in range(6)))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "complaint-analytics.png"), full_page=True)
    page.select_option("select[name=language]", "zh-hans")
    page.wait_for_selector("text=投诉分析")
    page.wait_for_function("() => window.Chart && Chart.getChart('month-chart')")
    assert "SLA 达成率" in page.content()
    page.screenshot(path=str(ARTIFACTS / "complaint-analytics-zh.png"), full_page=True)
