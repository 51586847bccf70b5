"""A done model quality run in the system's headless Chromium: the charts draw, at desktop and phone
widths, in English and Chinese, with screenshots."""

import copy

import pytest

from accounts.models import BacktestRun
from accounts.tests.test_model_quality import RESULT
from keyaccounts.tests import factories as f
from keyaccounts.tests.test_browser import ARTIFACTS, _login, page  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHARTS = ("chart-roc", "chart-lift", "chart-calibration")


def _drawn(page, canvases):  # noqa: F811
    script = " && ".join(
        f"document.getElementById('{c}').height > 0 && Chart.getChart('{c}') !== undefined" for c in canvases
    )
    # A function, not an expression: Playwright evaluates an expression with eval, which the
    # Content-Security-Policy refuses.
    page.wait_for_function(f"() => {script}")


def test_a_done_run_draws_its_charts_on_desktop_and_phone(page, live_server, erin):  # noqa: F811
    v3 = f.RiskModelVersionFactory(version=3, is_active=True)
    v4 = f.RiskModelVersionFactory(version=4)
    run = f.BacktestRunFactory(model_version=v3, created_by=erin, status=BacktestRun.Status.DONE, result=RESULT)
    other = copy.deepcopy(RESULT)
    other["version"] = 4
    other["predictors"][0].update(auc=0.86, auc_low=0.85, auc_high=0.87)
    other["predictors"][0]["roc"] = [[x / 10, min(1.0, (x / 10) ** 0.25)] for x in range(11)]
    run4 = f.BacktestRunFactory(model_version=v4, created_by=erin, status=BacktestRun.Status.DONE, result=other)
    ARTIFACTS.mkdir(exist_ok=True)

    page.set_viewport_size({"width": 1366, "height": 900})
    _login(page, live_server, "erin")
    page.goto(f"{live_server.url}/risk/quality/{run.pk}/")
    page.select_option("select[name=language]", "en")
    page.wait_for_selector("text=The score against the baselines")
    _drawn(page, CHARTS)
    # One ROC line per predictor and the diagonal; the calibration's bars, one per band.
    assert page.evaluate("Chart.getChart('chart-roc').data.datasets.length") == 5
    assert page.evaluate("Chart.getChart('chart-calibration').data.datasets[0].data.length") == 4
    page.screenshot(path=str(ARTIFACTS / "model-quality-run-1366.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    _drawn(page, CHARTS)
    page.screenshot(path=str(ARTIFACTS / "model-quality-run-390.png"), full_page=True)
    # Nothing wider than the phone's screen but the tables' own scrolling boxes.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/risk/quality/")
    page.select_option("select[name=language]", "zh-hans")
    page.wait_for_selector("[data-testid=run-list]")
    page.screenshot(path=str(ARTIFACTS / "model-quality-list-zh.png"), full_page=True)
    page.goto(f"{live_server.url}/risk/quality/{run.pk}/")
    _drawn(page, CHARTS)
    page.screenshot(path=str(ARTIFACTS / "model-quality-run-zh.png"), full_page=True)

    page.goto(f"{live_server.url}/risk/quality/compare/?a={run.pk}&b={run4.pk}")
    _drawn(page, ("chart-roc",))
    assert page.evaluate("Chart.getChart('chart-roc').data.datasets.length") == 3
    page.screenshot(path=str(ARTIFACTS / "model-quality-compare-zh.png"), full_page=True)
