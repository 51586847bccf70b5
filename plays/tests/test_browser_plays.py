"""A play worked end to end in the system's headless Chromium: seen on Today, its steps ticked,
closed with an outcome, shown done — with screenshots."""

from datetime import timedelta

import pytest

from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f
from keyaccounts.tests.test_browser import ARTIFACTS, _login, page  # noqa: F401
from plays.models import Play

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_account_manager_works_a_play_from_today_to_done(page, live_server):  # noqa: F811
    today = business_today()
    alice = f.account_manager("alice", first_name="Alice", last_name="Wang")
    customer = f.CustomerFactory(name="Shanghai Precision Motors", owner=alice)
    play = f.PlayFactory(customer=customer, owner=alice, title="Win back the gearbox line", due_on=today + timedelta(3))
    f.PlayStepFactory(play=play, position=1, title="Call the buyer", assignee=alice, due_on=today + timedelta(1))
    f.PlayStepFactory(play=play, position=2, title="Visit the plant", assignee=alice, due_on=today + timedelta(2))
    ARTIFACTS.mkdir(exist_ok=True)

    _login(page, live_server, "alice")
    page.goto(f"{live_server.url}/today/")
    card = page.locator("[data-testid=today-play]")
    card.wait_for()
    assert "Win back the gearbox line" in card.inner_text() and "0 of 2 steps" in card.inner_text()
    page.screenshot(path=str(ARTIFACTS / "plays-today.png"), full_page=True)

    card.get_by_role("link", name="Win back the gearbox line").click()
    page.wait_for_selector("[data-testid=play-title]")
    assert page.inner_text("[data-testid=play-status]") == "Open"
    for n in range(2):
        page.locator("[data-testid=play-step] button:has-text('Mark done')").first.click()
        page.wait_for_function(f"() => document.querySelectorAll('[data-testid=play-step] s').length === {n + 1}")
    assert page.locator("text=Step done.").is_visible()
    assert page.inner_text("[data-testid=play-status]") == "In progress"
    page.screenshot(path=str(ARTIFACTS / "plays-steps-done.png"), full_page=True)

    page.click("[data-testid=play-close]")
    editor = page.locator("#play-editor [data-testid=editor-form]")
    editor.wait_for()
    editor.locator("textarea[name=outcome]").fill("Price agreed for 2027; the gearbox line stays with us.")
    editor.locator("input[name=status][value=done]").check()
    page.screenshot(path=str(ARTIFACTS / "plays-close.png"), full_page=True)
    editor.locator("[data-testid=save]").click()
    page.wait_for_selector("[data-testid=play-status]:has-text('Done')")
    assert "Price agreed for 2027" in page.inner_text("[data-testid=play-outcome]")
    assert "Alice Wang" in page.inner_text("[data-testid=play-outcome]")
    assert not page.locator("[data-testid=play-close]").count()
    page.screenshot(path=str(ARTIFACTS / "plays-done.png"), full_page=True)

    play.refresh_from_db()
    assert (play.status, play.closed_by, play.closed_on) == (Play.Status.DONE, alice, today)
    assert not play.steps.filter(done_on__isnull=True).exists()
    assert not page.csp_violations
