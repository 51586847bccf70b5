"""The import page in the system's headless Chromium: upload, preview with errors, fix, import."""

import pytest

from accounts.models import Customer
from keyaccounts.tests import factories as f
from keyaccounts.tests.test_browser import ARTIFACTS, _login, page  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BAD = (
    "客户编码,客户名称,行业,区域,客户经理,合作起始日\n"
    "C1,华东精密机械,制造业,华东,alice,2019-04-01\n"
    "C2,南方电子,电子,华南,nobody,2019-13-01\n"
)
GOOD = BAD.replace("nobody,2019-13-01", "alice,2019-12-01")


def test_admin_sees_errors_by_row_then_imports_the_corrected_file(page, live_server, tmp_path):  # noqa: F811
    f.UserFactory(username="root", is_superuser=True, is_staff=True)
    f.account_manager("alice")
    page.set_viewport_size({"width": 1366, "height": 900})
    _login(page, live_server, "root")
    page.goto(f"{live_server.url}/import/")
    page.select_option("select[name=language]", "en")
    page.wait_for_selector("text=Upload a file")
    page.click('button.accordion-button:has-text("Orders and delivery lines")')
    page.wait_for_selector('#fmt-orders code:has-text("order_number")')
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "import-en.png"), full_page=True)

    bad = tmp_path / "customers.csv"
    bad.write_text(BAD, encoding="gb18030")
    page.select_option("#import-kind", "customers")
    page.set_input_files("#import-file", str(bad))
    page.click("text=Check the file")
    page.wait_for_selector("[data-testid=job-invalid]")
    errors = page.inner_text("[data-testid=job-errors]")
    assert "owner" in errors and "customer_since" in errors and "3" in errors
    assert page.locator("[data-testid=job-apply]").count() == 0
    page.screenshot(path=str(ARTIFACTS / "import-errors-en.png"), full_page=True)
    assert Customer.objects.count() == 0

    good = tmp_path / "customers-fixed.csv"
    good.write_text(GOOD, encoding="utf-8-sig")
    page.goto(f"{live_server.url}/import/")
    page.select_option("select[name=language]", "zh-hans")
    page.wait_for_selector("#import-kind")
    page.select_option("#import-kind", "customers")
    page.set_input_files("#import-file", str(good))
    page.click("[data-testid=import-form] button[type=submit]")
    page.wait_for_selector("[data-testid=job-checked]")
    assert "2" in page.inner_text("[data-testid=job-counts]")
    page.screenshot(path=str(ARTIFACTS / "import-preview-zh.png"), full_page=True)
    page.click("[data-testid=job-apply]")
    page.wait_for_selector("[data-testid=job-applied]")
    page.screenshot(path=str(ARTIFACTS / "import-done-zh.png"), full_page=True)
    assert set(Customer.objects.values_list("code", flat=True)) == {"C1", "C2"}
