"""The executive dashboard in the system's headless Chromium, in English and Chinese, with screenshots."""

import pytest

from accounts.tests.test_dashboard import portfolio  # noqa: F401  (the hand-counted portfolio)
from keyaccounts.tests.test_browser import ARTIFACTS, _login, page  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_executive_reads_the_dashboard_in_both_languages_and_drills_down(page, live_server, portfolio, erin):  # noqa: F811
    page.set_viewport_size({"width": 1440, "height": 900})
    _login(page, live_server, "erin")
    page.goto(f"{live_server.url}/dashboard/")
    page.select_option("select[name=language]", "en")
    page.wait_for_selector("text=Portfolio at a glance")
    # The charts drew (Chart.js sets the canvas size when it renders).
    page.wait_for_function("() => document.getElementById('chart-bands').height > 0 && Chart.getChart('chart-bands')")
    assert page.inner_text("[data-testid=key-red] [data-figure=count]") == "1"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-en.png"), full_page=True)
    page.emulate_media(media="print")
    page.screenshot(path=str(ARTIFACTS / "dashboard-print.png"), full_page=True)
    assert not page.is_visible("#dashboard-filters")
    page.emulate_media(media="screen")

    page.click("[data-testid=key-red]")
    page.wait_for_selector("text=Anshan Steel")
    assert page.inner_text("[data-testid=result-count]").startswith("1 customer")
    page.click("text=Anshan Steel")
    page.wait_for_url("**/customers/**")

    page.goto(f"{live_server.url}/dashboard/")
    page.select_option("select[name=language]", "zh-hans")
    page.wait_for_selector("text=投资组合概览")
    page.wait_for_function("() => Chart.getChart('chart-risk') !== undefined")
    page.screenshot(path=str(ARTIFACTS / "dashboard-zh.png"), full_page=True)
    # A projector's 1280×720: the at-a-glance figures fill the first screen.
    page.set_viewport_size({"width": 1280, "height": 720})
    page.reload()
    page.wait_for_function("() => Chart.getChart('chart-bands') !== undefined")
    assert page.locator("[data-testid=glance-key]").is_visible()
    page.screenshot(path=str(ARTIFACTS / "dashboard-projector-zh.png"))
