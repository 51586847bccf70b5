"""End to end in the system's Chromium: a hotline call taken by the service desk, from finding the
caller to closing the complaint, and the screens the desk works with."""

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.models import Ticket
from keyaccounts.tests import factories as f
from keyaccounts.tests.test_browser import ARTIFACTS, _login, page  # noqa: F401 (the page fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _panel_status(browser_page) -> str:
    return browser_page.get_attribute("#ticket-panel", "data-status")


def test_the_service_desk_takes_a_hotline_call_from_intake_to_closure(page, live_server):  # noqa: F811
    alice = f.account_manager("alice")
    f.service_desk("sam", first_name="Sam", last_name="Chen")
    engineer = f.service_desk("eddie", first_name="Eddie", last_name="Zhou")
    customer = f.CustomerFactory(name="Ningbo Bearings", owner=alice, tier="key")
    f.RiskSnapshotFactory(customer=customer, band="amber", computed_band="amber")
    caller = f.ContactFactory(customer=customer, name="Wang Li", title="Quality manager", phone="+86 138 0013 8000")
    f.SlaPolicyFactory(tier="key", severity="high", response_hours=4, resolution_hours=48)
    ARTIFACTS.mkdir(exist_ok=True)

    _login(page, live_server, "sam")
    page.click("[data-testid=nav-hotline]")
    # The caller gives a phone number; the contact appears as it is typed.
    page.fill("#hotline-q", "138 0013")
    page.wait_for_selector("[data-testid=record-for-contact]")
    assert "Wang Li" in page.inner_text("[data-testid=hotline-contacts]")
    page.screenshot(path=str(ARTIFACTS / "hotline-search.png"), full_page=True)
    page.click("[data-testid=record-for-contact]")

    form = page.locator("[data-testid=hotline-form]")
    form.wait_for()
    assert "Key account" in page.inner_text("[data-testid=tier]")
    assert "Amber" in page.inner_text("[data-testid=band]")
    assert form.locator("select[name=contact]").input_value() == str(caller.pk)
    form.locator("input[name=subject]").fill("Bearing housings crack after two weeks")
    form.locator("select[name=category]").select_option("product_quality")
    form.locator("select[name=severity]").select_option("high")
    form.locator("textarea[name=description]").fill("Batch 4471, line 3 stopped")
    page.screenshot(path=str(ARTIFACTS / "hotline-form.png"), full_page=True)
    form.locator("button[type=submit]").click()

    # The ticket page: sent to production at once, first-response clock running.
    page.wait_for_selector("#ticket-panel")
    assert "recorded and sent to production" in page.content()
    assert page.inner_text("[data-testid=ticket-department]") == "Production"
    assert "due in 3 h" in page.inner_text("[data-testid=response-clock]")
    ticket = Ticket.objects.get()

    page.click("[data-move=acknowledged]")
    page.wait_for_selector("#ticket-panel[data-status=acknowledged]")
    # Waiting for the customer stops the clock.
    page.fill("#id_transition-note", "Asked for photos of the cracks")
    page.click("[data-move=waiting_customer]")
    page.wait_for_selector("#ticket-panel[data-status=waiting_customer]")
    assert "paused" in page.inner_text("[data-testid=resolution-clock]")
    page.click("[data-move=in_progress]")
    page.wait_for_selector("#ticket-panel[data-status=in_progress]")

    # On-site service: request, schedule with the engineer, done with a report.
    page.fill("[data-testid=onsite-request-form] input[name=onsite_request-note]", "Line 3 is down")
    page.click("[data-testid=onsite-request-form] button[type=submit]")
    schedule = page.locator("[data-testid=onsite-schedule-form]")
    schedule.wait_for()
    visit = timezone.localtime() + timedelta(hours=3)
    schedule.locator("input[name=onsite_schedule-scheduled_for]").fill(visit.strftime("%Y-%m-%dT%H:%M"))
    schedule.locator("select[name=onsite_schedule-engineer]").select_option(str(engineer.pk))
    schedule.locator("button[type=submit]").click()
    page.wait_for_selector("text=On-site visit scheduled.")
    assert "Eddie Zhou" in page.inner_text("[data-testid=onsite-scheduled]")
    page.fill("[data-testid=onsite-done-form] textarea", "Replaced the housings of batch 4471")
    page.click("[data-testid=onsite-done-form] button[type=submit]")
    page.wait_for_selector("text=On-site visit recorded as done.")

    page.fill("[data-testid=comment-form] textarea", "Customer confirms line 3 runs again")
    page.click("[data-testid=comment-form] button[type=submit]")
    page.wait_for_selector("text=Comment added.")
    page.click("[data-move=resolved]")
    page.wait_for_selector("#ticket-panel[data-status=resolved]")

    # Closing a complaint without root cause and satisfaction is refused, then done properly.
    page.click("[data-testid=close-form] button[type=submit]")
    page.wait_for_selector("text=A complaint is closed only with its root cause.")
    assert _panel_status(page) == "resolved"
    page.fill("[data-testid=close-form] textarea[name=close-root_cause]", "Housing cast too thin in batch 4471")
    page.fill("[data-testid=close-form] textarea[name=close-corrective_action]", "Wall thickness check added")
    page.select_option("[data-testid=close-form] select[name=close-satisfaction]", "4")
    page.click("[data-testid=close-form] button[type=submit]")
    page.wait_for_selector("#ticket-panel[data-status=closed]")
    assert page.inner_text("[data-testid=satisfaction]") == "4/5"
    page.screenshot(path=str(ARTIFACTS / "ticket-page.png"), full_page=True)

    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.first_response_at and ticket.onsite_done_at
    assert ticket.sla_paused_total > timedelta(0)
    steps = list(ticket.events.order_by("at", "pk").values_list("kind", flat=True))
    assert steps == [
        "created", "escalation", "status", "status", "status", "onsite", "onsite", "onsite", "comment",
        "status", "status",
    ]  # fmt: skip


def test_the_queue_in_the_browser_filters_and_bulk_assigns(page, live_server):  # noqa: F811
    alice = f.account_manager("alice", first_name="Alice", last_name="Wu")
    f.service_desk("sam")
    customer = f.CustomerFactory(name="Ningbo Bearings", owner=alice, tier="key")
    other = f.CustomerFactory(name="Suzhou Optics", owner=alice)
    now = timezone.now()
    late = f.TicketFactory(customer=customer, subject="Late delivery of housings", category="delivery",
                           resolution_due_at=now - timedelta(hours=3))  # fmt: skip
    f.TicketFactory(customer=other, subject="Price question", category="price", severity="low",
                    resolution_due_at=now + timedelta(hours=20))  # fmt: skip
    f.TicketFactory(customer=customer, subject="Cracked housings", resolution_due_at=now + timedelta(hours=2))
    ARTIFACTS.mkdir(exist_ok=True)

    _login(page, live_server, "sam")
    page.click("[data-testid=nav-tickets]")
    page.wait_for_selector("#ticket-queue")
    rows = page.locator("#ticket-queue tbody tr")
    assert "Late delivery of housings" in rows.nth(0).inner_text() and "overdue by 3 h" in rows.nth(0).inner_text()
    page.screenshot(path=str(ARTIFACTS / "ticket-queue.png"), full_page=True)

    page.select_option("#id_tier", "key")
    page.wait_for_function("() => document.querySelectorAll('#ticket-queue tbody tr').length === 2")
    assert "Price question" not in page.inner_text("#ticket-queue")

    page.check(f"#ticket-queue input[name=tickets][value='{late.pk}']")
    page.select_option("[data-testid=bulk-assign] select[name=department]", "logistics")
    page.select_option("[data-testid=bulk-assign] select[name=assigned_to]", str(alice.pk))
    page.click("[data-testid=bulk-assign] button[type=submit]")
    page.wait_for_selector("text=1 ticket assigned.")
    late.refresh_from_db()
    assert late.department == "logistics" and late.assigned_to == alice
    # The filter stays as it was after the bulk action.
    assert "Price question" not in page.inner_text("#ticket-queue")

    page.select_option("select[name=language]", "zh-hans")
    page.wait_for_selector("text=服务台队列")
    page.screenshot(path=str(ARTIFACTS / "ticket-queue-zh.png"), full_page=True)
    page.click(f"#ticket-queue a[href='/tickets/{late.pk}/']")
    page.wait_for_selector("text=处理工单")
    page.screenshot(path=str(ARTIFACTS / "ticket-page-zh.png"), full_page=True)
