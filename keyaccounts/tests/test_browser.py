"""End-to-end journeys in the system's headless Chromium (Debian's chromium, never a download)."""

from pathlib import Path

import pytest

from keyaccounts.tests import factories as f
from keyaccounts.tests.browser import chromium

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
# The customer page's sections load after it: none is still a busy placeholder.
SECTIONS_LOADED = "() => !document.querySelector('[aria-busy=true]')"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page():
    with chromium() as browser:
        context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 800})
        page = context.new_page()
        # Every Content-Security-Policy violation, as the console reports it and as the page's
        # securitypolicyviolation events describe it (the init script is the browser's, not the page's).
        page.csp_violations = []
        page.on("console", lambda message: _note_csp_console(page, message.text))
        context.add_init_script(
            'document.addEventListener("securitypolicyviolation", function (e) {'
            ' console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI); });'
        )
        yield page


def _note_csp_console(page, text: str) -> None:
    if "Refused to" in text or "Content Security Policy" in text or text.startswith("CSP violation"):
        page.csp_violations.append(text)


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "correct-horse-battery")
    page.click("button[type=submit]")


def test_account_manager_signs_in_and_sees_only_her_customers(page, live_server):
    alice = f.account_manager("alice")
    oscar = f.account_manager("oscar")
    f.CustomerFactory(name="Suzhou Optics", owner=alice)
    f.CustomerFactory(name="Dalian Shipyard", owner=oscar)
    _login(page, live_server, "alice")
    page.wait_for_selector("text=Suzhou Optics")
    assert "Dalian Shipyard" not in page.content()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)


def test_language_switcher_turns_the_page_chinese(page, live_server):
    alice = f.account_manager("alice")
    f.CustomerFactory(name="Suzhou Optics", owner=alice)
    _login(page, live_server, "alice")
    page.wait_for_selector("text=Suzhou Optics")
    page.select_option("select[name=language]", "zh-hans")
    page.wait_for_selector("text=我的客户")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home-zh.png"), full_page=True)


def test_wrong_password_shows_a_message_in_the_browser(page, live_server):
    f.account_manager("alice")
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    page.wait_for_selector(".alert-danger, .invalid-feedback, .errorlist")
    assert page.url.endswith("/login/")


def test_account_manager_reads_why_an_account_is_red_and_sets_a_manual_band(page, live_server):
    from datetime import timedelta

    from keyaccounts.clock import business_today

    alice = f.account_manager("alice")
    customer = f.CustomerFactory(name="Ningbo Bearings", owner=alice)
    f.RiskSnapshotFactory(
        customer=customer,
        as_of=business_today(),
        score=72,
        band="red",
        computed_band="red",
        factors={"price": {"risk": 90.0, "weight": 10, "signals": {}}},
        reasons=[
            {
                "factor": "price",
                "code": "price_above_market",
                "countermeasure": 10,
                "action": "review_price",
                "params": {"pct": 18, "worst_product": "Bearing X", "worst_pct": 25},
            }
        ],
    )
    _login(page, live_server, "alice")
    page.click("text=Ningbo Bearings")
    page.wait_for_selector("text=Reasons and next actions")
    assert "10 · Competitive price" in page.content()
    assert "Our price is 18% above the market average (Bearing X: 25%)" in page.content()
    page.click("text=Set the band by hand")
    page.select_option("select[name=band]", "amber")
    page.fill("textarea[name=reason]", "Price review agreed with their purchasing director")
    page.fill("input[name=expires_on]", (business_today() + timedelta(days=20)).isoformat())
    page.click("button:has-text('Set manual band')")
    page.wait_for_selector("[data-testid=override]")
    # The saved change is confirmed by a toast that leaves by itself.
    toast = page.locator("[data-testid=toasts] .toast", has_text="Manual band set")
    toast.wait_for(state="visible")
    toast.wait_for(state="hidden", timeout=10_000)
    assert "Price review agreed with their purchasing director" in page.content()
    assert page.inner_text("[data-testid=computed-score]").startswith("72")
    assert page.inner_text("[data-testid=displayed-band]") == "Amber"
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_function(SECTIONS_LOADED)
    page.screenshot(path=str(ARTIFACTS / "customer-risk.png"), full_page=True)


def test_executive_reads_any_account_but_has_no_override_form(page, live_server):
    alice = f.account_manager("alice")
    f.executive("erin")
    f.CustomerFactory(name="Ningbo Bearings", owner=alice)
    _login(page, live_server, "erin")
    page.click("text=Ningbo Bearings")
    page.wait_for_selector("text=Why: the factors")
    assert "Set the band by hand" not in page.content()


def _factor_risk(page, factor: str) -> float:
    return float(page.inner_text(f"tr[data-factor={factor}] td:nth-child(4)"))


def test_manager_logs_an_executive_meeting_on_a_red_account_and_the_nightly_job_rewards_it(page, live_server):
    from accounts.nightly import risk_nightly
    from keyaccounts.clock import business_today
    from keyaccounts.tests.journeys import red_account_with_a_silent_general_manager

    alice = f.account_manager("alice")
    story = red_account_with_a_silent_general_manager(owner=alice)
    f.CustomerFactory(name="Quiet Green Co", owner=alice)
    risk_nightly(as_of=business_today())
    ARTIFACTS.mkdir(exist_ok=True)

    _login(page, live_server, "alice")
    page.wait_for_selector("text=Ningbo Bearings")
    page.screenshot(path=str(ARTIFACTS / "my-accounts.png"), full_page=True)
    row = page.locator("tr", has_text="Ningbo Bearings")
    assert "Red" in row.inner_text()
    row.locator("a", has_text="Ningbo Bearings").click()

    # Why it is red: the trip-wire names the criterion only the competitor meets.
    page.wait_for_selector("[data-testid=tripwires]")
    assert "Stock held in a local warehouse" in page.content()
    before = _factor_risk(page, "relationship")
    page.wait_for_function(SECTIONS_LOADED)
    page.screenshot(path=str(ARTIFACTS / "customer-360.png"), full_page=True)

    page.click("[data-testid=log-interaction]")
    form = page.locator("[data-testid=interaction-form]")
    form.wait_for()
    form.locator("select[name=kind]").select_option("executive_meeting")
    form.locator("input[name=subject]").fill("Dinner with the GM on the warehouse question")
    form.locator(f"input[name=contacts][value='{story.general_manager.pk}']").check()
    form.locator("[data-testid=save]").click()
    page.wait_for_selector("[data-testid=relationships-saved]")
    page.screenshot(path=str(ARTIFACTS / "interaction-logged.png"), full_page=True)

    risk_nightly(as_of=business_today())
    page.reload()
    page.wait_for_selector("tr[data-factor=relationship]")
    after = _factor_risk(page, "relationship")
    assert after < before - 5, (before, after)
    # The relationship section and the timeline arrive after the page.
    page.wait_for_selector("#section-timeline >> text=Dinner with the GM on the warehouse question")
    page.wait_for_selector("#section-relationships >> text=Dinner with the GM on the warehouse question")


def test_in_page_editors_open_in_their_slot_refuse_in_place_and_cancel(page, live_server):
    """The one editor everywhere: a strategy editor and the quick complaint in its dialog."""
    alice = f.account_manager("alice")
    customer = f.CustomerFactory(name="Hangzhou Valves", owner=alice)
    _login(page, live_server, "alice")
    page.wait_for_selector("text=Hangzhou Valves")
    page.goto(f"{live_server.url}/customers/{customer.pk}/")

    # Opened, cancelled: the slot is empty again and the page did not move.
    page.click("[data-testid=need-new]")
    editor = page.locator("#needs-editor [data-testid=editor-form]")
    editor.wait_for()
    editor.locator("[data-testid=cancel]").click()
    editor.wait_for(state="detached")
    assert page.url.endswith(f"/customers/{customer.pk}/")

    # Refused: the form comes back into its slot with the error, the section stays.
    page.click("[data-testid=need-new]")
    editor.wait_for()
    editor.locator("[data-testid=save]").click()
    page.wait_for_selector("#needs-editor .invalid-feedback")
    assert page.locator("#section-strategy").count() == 1

    # The quick complaint: refused inside its dialog, then recorded, and the page shows it.
    page.click("[data-testid=quick-complaint]")
    dialog = page.locator("#quick-complaint-modal [data-testid=quick-complaint-form]")
    dialog.wait_for()
    assert "Hangzhou Valves" in page.inner_text("[data-testid=ticket-customer-status]")
    dialog.locator("[data-testid=save]").click()
    page.wait_for_selector("#quick-complaint-body .invalid-feedback")
    dialog.locator("[data-testid=cancel]").click()
    page.locator("#quick-complaint-modal").wait_for(state="hidden")
    page.click("[data-testid=quick-complaint]")
    dialog.wait_for()
    dialog.locator("input[name=subject]").fill("Valves leak at the flange")
    dialog.locator("select[name=category]").select_option("product_quality")
    dialog.locator("[data-testid=save]").click()
    page.wait_for_selector("text=recorded and sent to production")


def test_main_pages_run_under_the_content_security_policy_without_a_violation(page, live_server):
    """Charts, htmx fragments, the nav search, the API docs and the admin, with the policy on."""
    from accounts.nightly import risk_nightly
    from keyaccounts.clock import business_today
    from keyaccounts.tests.journeys import red_account_with_a_silent_general_manager

    f.UserFactory(username="root", is_staff=True, is_superuser=True)
    alice = f.account_manager("alice")
    story = red_account_with_a_silent_general_manager(owner=alice)
    risk_nightly(as_of=business_today())

    _login(page, live_server, "root")
    page.wait_for_selector("text=Ningbo Bearings")
    page.goto(f"{live_server.url}/customers/{story.customer.pk}/")
    page.wait_for_selector("canvas")
    page.wait_for_selector("[data-testid=tripwires]")
    page.goto(f"{live_server.url}/dashboard/")
    page.wait_for_selector("[data-testid=as-of]")
    page.goto(f"{live_server.url}/today/")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/risk/quality/")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/tickets/")
    page.wait_for_load_state("networkidle")

    # The nav search's live results (htmx) and its Escape (app.js, no inline handler).
    page.fill("#nav-search", "Ningbo")
    page.wait_for_selector("#nav-search-results >> text=Ningbo Bearings")
    page.press("#nav-search", "Escape")
    assert page.input_value("#nav-search") == ""
    assert page.inner_html("#nav-search-results").strip() == ""

    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info")
    page.goto(f"{live_server.url}/admin/auth/user/")
    page.wait_for_selector("#result_list")
    page.goto(f"{live_server.url}/admin/auth/user/{alice.pk}/change/")
    page.wait_for_selector("#user_form")
    page.wait_for_load_state("networkidle")
    assert page.csp_violations == []


def test_account_manager_acknowledges_alerts_in_bulk_and_one_in_a_click_on_today(page, live_server):
    from accounts.models import Alert
    from accounts.services import AlertCandidate, alerts_raise
    from keyaccounts.clock import business_today

    alice = f.account_manager("alice")
    oscar = f.account_manager("oscar")
    ningbo = f.CustomerFactory(name="Ningbo Bearings", owner=alice)
    wuxi = f.CustomerFactory(name="Wuxi Valves", owner=alice)
    foreign = f.CustomerFactory(name="Oscar's Own", owner=oscar)
    alerts_raise(
        as_of=business_today(),
        candidates=[
            AlertCandidate(ningbo.pk, "score_jump", {"score": 50, "change": 20}),
            AlertCandidate(ningbo.pk, "new_red", {"score": 70, "from": "amber"}),
            AlertCandidate(wuxi.pk, "score_jump", {"score": 40, "change": 15}),
            AlertCandidate(foreign.pk, "score_jump", {"score": 40, "change": 15}),
        ],
    )
    _login(page, live_server, "alice")
    page.goto(f"{live_server.url}/today/")
    page.wait_for_selector("[data-testid=today-customer]")
    assert "Oscar's Own" not in page.content()
    assert page.inner_text("[data-testid=today-count]").startswith("2")
    # Ningbo's "select all", a shared note, one button.
    page.locator(f"#today-customer-{ningbo.pk} [data-testid=tick-customer]").check()
    assert page.locator(f"#today-customer-{ningbo.pk} [data-testid=pick-alert]:checked").count() == 2
    assert page.locator(f"#today-customer-{wuxi.pk} [data-testid=pick-alert]:checked").count() == 0
    page.fill("#today-bulk-note", "Visited the plant manager")
    page.click("[data-testid=bulk-close]")
    page.wait_for_selector("[data-testid=today-notice] >> text=2 alerts marked as dealt with.")
    closed = Alert.objects.filter(customer=ningbo)
    assert {(a.closed_by_id, a.close_note) for a in closed} == {(alice.pk, "Visited the plant manager")}
    # The last one in one click; the row goes away.
    page.click(f"#today-customer-{wuxi.pk} [data-testid=close-alert]")
    # Nothing else to do about Wuxi: the customer leaves Today, and the badge counts none.
    page.wait_for_selector(f"#today-customer-{wuxi.pk}", state="detached")
    page.wait_for_selector("[data-testid=today-count]", state="detached")
    assert Alert.objects.get(customer=wuxi).closed_by_id == alice.pk
    assert Alert.objects.get(customer=foreign).closed_at is None
    assert page.csp_violations == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "today.png"), full_page=True)


def test_a_request_that_takes_a_moment_shows_the_moving_bar_until_it_is_answered(page, live_server):
    alice = f.account_manager("alice")
    f.CustomerFactory(name="Suzhou Optics", owner=alice)
    _login(page, live_server, "alice")
    page.wait_for_selector("text=Suzhou Optics")
    # The page's own requests (its badges) are answered first: their answers would end the wait.
    page.wait_for_load_state("networkidle")
    busy = page.locator("[data-testid=busy]")
    assert not busy.is_visible()

    # htmx's own request events, as a request that takes its time sends them: the bar shows only
    # once the request has lasted a moment, and leaves when the answer is in.
    page.evaluate("document.body.dispatchEvent(new CustomEvent('htmx:beforeRequest', {bubbles: true}))")
    page.wait_for_timeout(200)
    assert not busy.is_visible()
    busy.wait_for(state="visible", timeout=5_000)
    page.evaluate("document.body.dispatchEvent(new CustomEvent('htmx:afterRequest', {bubbles: true}))")
    busy.wait_for(state="hidden", timeout=10_000)
