"""Numbers, money and dates as people read them, in Chinese and in English.

Chinese groups digits like English (771,636,425), shows amounts with ¥ and shortens big ones in 万
and 亿; English shows CN¥ and K / M. Each language has one date style: 2026-11-27 (2026-11-27 14:05)
in Chinese, 27 Nov 2026 (27 Nov 2026 14:05) in English. Forms still parse what they show, and the
pages carry no other date style.
"""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django import forms
from django.template import Context, Template
from django.urls import reverse
from django.utils import formats, timezone, translation

from accounts.forms import IncentiveForm
from accounts.tests.test_dashboard import portfolio  # noqa: F401
from keyaccounts.clock import business_today
from keyaccounts.editing import date_input
from keyaccounts.money import format_compact, format_money, format_money_compact
from keyaccounts.tests import factories as f

ZH, EN = "zh-hans", "en"


def render(source: str, language: str, **context) -> str:
    with translation.override(language):
        return Template("{% load money figures humanize %}" + source).render(Context(context))


# Numbers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", [ZH, EN])
def test_both_languages_group_digits_by_thousands(language):
    assert render("{{ n|whole }} {{ n|intcomma }} {{ d|signed:1 }}", language, n=771636425, d=-12345.67) == (
        "771,636,425 771,636,425 -12,345.7"
    )


def test_a_plain_number_in_a_template_stays_ungrouped_for_ids_and_links():
    # Grouping comes from the figure filters, never from printing: ids in URLs and values stay plain.
    assert render("{{ n }}", ZH, n=123456) == "123456"
    assert render("{{ n }}", EN, n=123456) == "123456"


# Money ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "value", "decimals", "expected"),
    [
        (ZH, 771636425, 0, "¥771,636,425"),
        (EN, 771636425, 0, "CN¥771,636,425"),
        (ZH, Decimal("-1200.505"), 2, "-¥1,200.51"),
        (EN, Decimal("-1200.5"), 2, "-CN¥1,200.50"),
        (ZH, 0, 0, "¥0"),
        (EN, "34500", 0, "CN¥34,500"),
        (ZH, Decimal("-0.4"), 0, "¥0"),  # no minus sign on a zero
    ],
)
def test_money_is_exact_grouped_and_carries_the_currency(language, value, decimals, expected):
    with translation.override(language):
        assert format_money(value, decimals) == expected


@pytest.mark.parametrize(
    ("language", "value", "expected"),
    [
        (ZH, 771636425, "¥7.72亿"),
        (ZH, 34500000, "¥3,450万"),
        (ZH, 123456, "¥12.3万"),
        (ZH, 34500, "¥3.45万"),
        (ZH, 9999, "¥9,999"),
        (ZH, 99995000, "¥1亿"),  # not 10,000万
        (ZH, -34500000, "-¥3,450万"),
        (EN, 771636425, "CN¥771.6M"),
        (EN, 34500, "CN¥34.5K"),
        (EN, 1234567890, "CN¥1.2B"),
        (EN, 999, "CN¥999"),
        (EN, 999950, "CN¥1M"),  # not 1,000K
        (EN, -34500, "-CN¥34.5K"),
    ],
)
def test_big_amounts_are_shortened_in_wan_and_yi_or_k_and_m(language, value, expected):
    with translation.override(language):
        assert format_money_compact(value) == expected


def test_a_figure_that_is_not_money_shortens_without_a_currency():
    with translation.override(ZH):
        assert format_compact(771636425) == "7.72亿"
    with translation.override(EN):
        assert format_compact(771636425) == "771.6M"


@pytest.mark.parametrize(
    ("language", "short", "exact"),
    [(ZH, "¥7.72亿", "¥771,636,425"), (EN, "CN¥771.6M", "CN¥771,636,425")],
)
def test_the_short_amount_carries_the_exact_one_on_hover(language, short, exact):
    html = render("{{ v|money_compact }}", language, v=Decimal("771636425.00"))
    assert html == f'<span class="money-compact" title="{exact}">{short}</span>'


def test_a_small_amount_needs_no_hover_and_none_is_a_dash():
    assert render("{{ v|money_compact }}", ZH, v=500) == "¥500"
    for filters in ("money", "money_compact", "money_change", "money_signed", "compact"):
        assert render(f"{{{{ v|{filters} }}}}|{{{{ w|{filters} }}}}", EN, v=None, w="") == "—|—"


def test_a_change_of_an_amount_has_its_sign():
    assert render("{{ v|money_signed }}", ZH, v=1200) == "+¥1,200"
    assert render("{{ v|money_signed }}", EN, v=-1200) == "-CN¥1,200"
    assert render("{{ v|money_signed }}", EN, v=0) == "CN¥0"
    assert render("{{ v|money_change }}", ZH, v=34500000) == (
        '<span class="money-compact" title="+¥34,500,000">+¥3,450万</span>'
    )


def test_the_currency_follows_the_setting(settings):
    settings.CURRENCY = "USD"
    with translation.override(EN):
        assert format_money(1200) == "$1,200"
        assert format_money_compact(34500) == "$34.5K"
    with translation.override(ZH):
        assert format_money(1200) == "US$1,200"
    settings.CURRENCY = "CHF"  # no symbol of its own: the code
    with translation.override(EN):
        assert format_money(-1200) == "-CHF\u00a01,200"


# Dates ------------------------------------------------------------------------------------------

DAY = date(2026, 11, 27)
MOMENT = datetime(2026, 11, 27, 14, 5)


@pytest.mark.parametrize(
    ("language", "day", "moment", "month_day", "year_month"),
    [
        (ZH, "2026-11-27", "2026-11-27 14:05", "11月27日", "2026年11月"),
        (EN, "27 Nov 2026", "27 Nov 2026 14:05", "27 Nov", "Nov 2026"),
    ],
)
def test_one_date_style_per_language(language, day, moment, month_day, year_month):
    with translation.override(language):
        assert formats.date_format(DAY) == day
        assert formats.date_format(DAY, "SHORT_DATE_FORMAT") == day
        assert formats.date_format(MOMENT, "DATETIME_FORMAT") == moment
        assert formats.date_format(MOMENT, "SHORT_DATETIME_FORMAT") == moment
        assert formats.date_format(DAY, "MONTH_DAY_FORMAT") == month_day
        assert formats.date_format(DAY, "YEAR_MONTH_FORMAT") == year_month
    assert render("{{ d }}|{{ d|date }}", language, d=DAY) == f"{day}|{day}"


@pytest.mark.parametrize(
    ("language", "typed"),
    [
        (EN, "27 Nov 2026"),
        (EN, "2026-11-27"),
        (EN, "27 November 2026"),
        (ZH, "2026-11-27"),
        (ZH, "2026/11/27"),
        (ZH, "2026年11月27日"),
    ],
)
def test_a_typed_date_in_the_shown_style_or_iso_is_understood(language, typed):
    with translation.override(language):
        assert forms.DateField().clean(typed) == DAY


@pytest.mark.parametrize("language", [ZH, EN])
def test_date_pickers_and_number_inputs_get_values_they_can_parse(language):
    with translation.override(language):
        assert 'value="2026-11-27"' in date_input().render("day", DAY)
        form = IncentiveForm(initial={"value": Decimal("1234567.50"), "starts_on": DAY})
        assert 'value="1234567.50"' in str(form["value"])  # no grouping in a number input
        assert 'value="2026-11-27"' in str(form["starts_on"])
        bound = IncentiveForm(
            data={"kind": "rebate", "value": "1234567.50", "starts_on": "2026-01-01", "ends_on": "2026-02-01"}
        )
        bound.is_valid()
        assert "value" not in bound.errors


# Pages ------------------------------------------------------------------------------------------

OTHER_STYLES = {
    # Django's English defaults and hand-written formats the site no longer uses.
    EN: [
        r"\b\d{1,2}/\d{1,2}/\d{2,4}\b",
        r"\b\d{4}-\d{2}-\d{2}\b",
        r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\.? \d{1,2}, \d{4}\b",
        r"\b(?:January|February|March|April|June|July|August|September|October|November|December) \d{1,2}, \d{4}",
        r"\b\d{1,2}-\d{1,2}\b(?!-)",
        r"\d{4}年",
    ],
    # Django's Chinese default (2026年11月27日) and slashes.
    ZH: [
        r"\d{4}年\d{1,2}月\d{1,2}日",
        r"\b\d{1,2}/\d{1,2}/\d{2,4}\b",
        r"\b\d{4}/\d{1,2}/\d{1,2}\b",
        r"\b\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b",
    ],
}
OWN_STYLE = {EN: r"\b\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b", ZH: r"\b\d{4}-\d{2}-\d{2}\b"}


def shown_text(html: str) -> str:
    """What a reader sees: the text between tags and the titles shown on hover; no scripts, no
    machine-facing attributes (datetime, data-*, href, value, min, max)."""
    html = re.sub(r"<script\b.*?</script>", " ", html, flags=re.S)
    titles = " ".join(re.findall(r'\btitle="([^"]*)"', html))
    text = re.sub(r"<[^>]+>", " ", html)
    return " ".join((text + " " + titles).split())


def assert_one_date_style(html: str, language: str) -> str:
    text = shown_text(html)
    for pattern in OTHER_STYLES[language]:
        found = re.findall(pattern, text)
        assert not found, f"{language} page shows {found} ({pattern})"
    assert re.search(OWN_STYLE[language], text), f"no {language} date on the page"
    return text


@pytest.fixture
def rich_customer(alice):
    """A customer with revenue, orders and a delivery, a price, an incentive, an interaction, an
    overdue cadence, risk scores, an override and an alert: the figures and dates the pages print."""
    today = business_today()
    customer = f.CustomerFactory(owner=alice, name="Wuxi Gears", revenue_12m=Decimal("771636425.00"))
    f.OrderFactory(customer=customer, ordered_on=today - timedelta(days=20), amount=Decimal("34500000"))
    f.PriceBenchmarkFactory(customer=customer, observed_on=today - timedelta(days=3), our_price=Decimal("1234.5"))
    f.IncentiveFactory(customer=customer, starts_on=today - timedelta(days=10), ends_on=today + timedelta(days=30))
    f.InteractionFactory(customer=customer, occurred_on=today - timedelta(days=5))
    f.CadenceFactory(customer=customer, starts_on=today - timedelta(days=400))
    order = f.OrderFactory(customer=customer, ordered_on=today - timedelta(days=60), amount=Decimal("1000"))
    f.DeliveryLineFactory(order=order)
    version = f.RiskModelVersionFactory()
    for days in (8, 1):
        f.RiskSnapshotFactory(customer=customer, model_version=version, as_of=today - timedelta(days=days))
    f.RiskOverrideFactory(customer=customer, starts_on=today, expires_on=today + timedelta(days=2), set_by=alice)
    f.AlertFactory(customer=customer, as_of=today - timedelta(days=1))
    return customer


@pytest.mark.parametrize(
    ("language", "revenue", "exact"), [(ZH, "¥7.72亿", "¥771,636,425"), (EN, "CN¥771.6M", "CN¥771,636,425")]
)
def test_the_customer_list_shows_short_revenue_with_the_exact_figure_and_one_date_style(
    client, alice, rich_customer, language, revenue, exact
):
    client.force_login(alice)
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f'title="{exact}">{revenue}</span>' in html
    assert_one_date_style(html, language)


@pytest.mark.parametrize(
    ("language", "revenue", "order", "price"),
    [(ZH, "¥771,636,425", "¥34,500,000", "¥1,234.50"), (EN, "CN¥771,636,425", "CN¥34,500,000", "CN¥1,234.50")],
)
def test_the_customer_page_shows_amounts_with_the_currency_and_one_date_style(
    client, alice, rich_customer, language, revenue, order, price
):
    client.force_login(alice)
    html = client.get(reverse("customer_detail", args=[rich_customer.pk]), HTTP_ACCEPT_LANGUAGE=language).text
    assert re.search(rf'data-testid="revenue">{re.escape(revenue)}<', html)
    assert 'data-testid="weekly-scores"' in html  # the scores by week, dated
    # The sections that load after the page: the timeline (orders) and the prices.
    for name in ("customer_timeline", "pricing_section"):
        html += client.get(
            reverse(name, args=[rich_customer.pk]), HTTP_ACCEPT_LANGUAGE=language, headers={"HX-Request": "true"}
        ).text
    text = assert_one_date_style(html, language)
    assert order in text and price in text


@pytest.mark.parametrize(("language", "revenue"), [(ZH, "¥771,636,425"), (EN, "CN¥771,636,425")])
def test_the_today_page_has_one_date_style_and_revenue_with_the_currency(
    client, alice, rich_customer, language, revenue
):
    client.force_login(alice)
    html = client.get(reverse("today"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert "Wuxi Gears" in html  # the overdue cadence and the expiring override, with their dates
    assert 'data-kind="overrides"' in html and 'data-kind="cadences"' in html
    text = assert_one_date_style(html, language)
    assert revenue in text


@pytest.mark.parametrize(("language", "opened"), [(ZH, "2026-11-20 09:30"), (EN, "20 Nov 2026 09:30")])
def test_the_ticket_page_shows_times_in_the_language_style(client, alice, rich_customer, language, opened):
    moment = timezone.make_aware(datetime(2026, 11, 20, 9, 30))
    ticket = f.TicketFactory(customer=rich_customer, opened_at=moment)
    f.TicketEventFactory(ticket=ticket)
    client.force_login(alice)
    html = client.get(reverse("ticket_detail", args=[ticket.pk]), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    text = assert_one_date_style(html, language)
    assert opened in text


@pytest.mark.parametrize(("language", "revenue"), [(ZH, "¥771,636,425"), (EN, "CN¥771,636,425")])
def test_the_admin_lists_amounts_as_the_pages_do(client, superuser, rich_customer, language, revenue):
    client.force_login(superuser)
    html = client.get(reverse("admin:accounts_customer_changelist"), HTTP_ACCEPT_LANGUAGE=language).text
    assert f">{revenue}<" in html
    orders = client.get(reverse("admin:accounts_order_changelist"), HTTP_ACCEPT_LANGUAGE=language).text
    assert f">{revenue[: -len('771,636,425')]}34,500,000.00<" in orders


@pytest.mark.parametrize(
    ("language", "as_of", "at_risk", "key_red"),
    [(ZH, "2026-11-23", "¥1,600", "¥1,000"), (EN, "23 Nov 2026", "CN¥1.6K", "CN¥1K")],
)
def test_the_dashboard_shows_amounts_with_the_currency_and_one_date_style(
    client,
    erin,
    portfolio,  # noqa: F811  (the hand-counted portfolio of test_dashboard)
    language,
    as_of,
    at_risk,
    key_red,
):
    client.force_login(erin)
    html = client.get(reverse("portfolio_dashboard"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    text = assert_one_date_style(html, language)
    assert as_of in text
    assert re.search(rf'data-testid="key-at-risk">(<span[^>]*>)?{re.escape(at_risk)}<', html)
    if at_risk == "CN¥1.6K":  # shortened: the exact amount on hover
        assert 'data-testid="key-at-risk"><span class="money-compact" title="CN¥1,600">CN¥1.6K<' in html
    assert re.search(rf'data-figure="revenue">(<span[^>]*>)?{re.escape(key_red)}<', html)
    assert '"currency": "CNY"' in html  # the charts format amounts in it, in the page's language


@pytest.mark.parametrize("language", [ZH, EN])
@pytest.mark.parametrize("page", ["ticket_queue", "notification_list", "complaint_analytics", "risk_quality"])
def test_desk_analytics_and_quality_pages_have_one_date_style(client, superuser, rich_customer, language, page):
    f.TicketFactory(customer=rich_customer, opened_at=timezone.now() - timedelta(days=3))
    f.NotificationFactory(recipient=superuser)
    f.BacktestRunFactory(created_by=superuser)
    client.force_login(superuser)
    response = client.get(
        reverse(page), {"status": "all"} if page == "ticket_queue" else {}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    assert_one_date_style(response.content.decode(), language)


def test_the_currency_comes_from_the_environment():
    from keyaccounts.tests.test_deploy import _manage

    shown = _manage("shell", "-c", "from django.conf import settings; print(settings.CURRENCY)", CURRENCY=" usd ")
    assert shown.stdout.splitlines()[-1] == "USD", shown.stderr
    refused = _manage("check", CURRENCY="dollars")
    assert refused.returncode != 0
    assert "CURRENCY must be a three-letter ISO 4217 code" in refused.stderr


@pytest.mark.parametrize("language", [ZH, EN])
def test_exports_keep_raw_numbers_and_iso_dates(client, alice, rich_customer, language):
    from accounts.tests.test_exports import column, csv_rows, xlsx_rows
    from keyaccounts.tests.xlsx_export import xlsx_download

    client.force_login(alice)
    rows = csv_rows(client.get(reverse("export_csv"), HTTP_ACCEPT_LANGUAGE=language))
    revenue = [cell for cell in rows[1] if "771" in cell]
    assert revenue and all(re.fullmatch(r"771636425(\.0+)?", cell) for cell in revenue)
    assert not any("¥" in cell or re.search(r"\d{1,2} [A-Z][a-z]{2} \d{4}", cell) for cell in rows[1])
    sheet = xlsx_rows(xlsx_download(client, HTTP_ACCEPT_LANGUAGE=language))
    assert Decimal(str(column(sheet, rows[0][rows[1].index(revenue[0])])[0])) == Decimal("771636425")
