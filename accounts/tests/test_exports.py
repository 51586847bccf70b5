"""CSV and XLSX exports of My accounts: the filtered list across pages, only what the user may see,
never a formula in a cell, and a query count that grows with chunks, not rows."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.spreadsheet_safety import neutralise
from accounts.workspace import exports
from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f

CSV_URL = reverse("export_csv")
XLSX_URL = reverse("export_xlsx")
# Session, user, roles, latest scored day, owners for the filter; then per chunk of rows: tickets,
# interactions, cadences, earlier snapshots (the rows themselves come from one query).
EXPORT_BASE_QUERIES = 6
QUERIES_PER_CHUNK = 4


# --- the neutralising function ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ('\x01=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("\x00\x1f+cmd", "'+cmd"),
        ("Shanghai = Motors", "Shanghai = Motors"),
        ("上海精密", "上海精密"),
        ("", ""),
    ],
)
def test_text_starting_with_a_formula_trigger_gets_an_apostrophe(value, expected):
    assert neutralise(value) == expected


@pytest.mark.parametrize("value", [-12.5, -3, Decimal("-100.50"), 0, None, date(2026, 1, 1), True])
def test_numbers_dates_and_none_pass_unchanged(value):
    assert neutralise(value) == value


def test_other_objects_are_turned_into_safe_text():
    class Label:
        def __str__(self):
            return "=cmd"

    assert neutralise(Label()) == "'=cmd"


# --- helpers ---------------------------------------------------------------------------------------


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def xlsx_rows(response) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return list(sheet.iter_rows(values_only=True))


def column(rows, header) -> list:
    index = list(rows[0]).index(header)
    return [row[index] for row in rows[1:]]


@pytest.fixture
def hostile(alice):
    return [
        f.CustomerFactory(owner=alice, name='=HYPERLINK("http://evil.example","Click")', revenue_12m=Decimal("3000")),
        f.CustomerFactory(owner=alice, name="+cmd|' /C calc'!A0", revenue_12m=Decimal("2000")),
        f.CustomerFactory(owner=alice, name="上海精密电机有限公司", revenue_12m=Decimal("1000.50")),
    ]


# --- CSV -------------------------------------------------------------------------------------------


def test_csv_is_streamed_utf8_with_a_byte_order_mark_and_a_header(client, alice, hostile):
    client.force_login(alice)
    response = client.get(CSV_URL)
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="customers-')
    rows = csv_rows(response)
    assert rows[0][:3] == ["Customer code", "Customer", "Tier"]
    assert "上海精密电机有限公司" in column(rows, "Customer")


def test_csv_neutralises_formulas_in_customer_names(client, alice, hostile):
    client.force_login(alice)
    names = column(csv_rows(client.get(CSV_URL, {"sort": "-revenue"})), "Customer")
    assert names == ['\'=HYPERLINK("http://evil.example","Click")', "'+cmd|' /C calc'!A0", "上海精密电机有限公司"]


def test_csv_keeps_negative_numbers_as_numbers(client, alice, customer):
    version = f.RiskModelVersionFactory()
    customer.revenue_12m = Decimal("800")
    customer.save()
    f.RiskSnapshotFactory(customer=customer, as_of=business_today(), model_version=version)
    f.RiskSnapshotFactory(
        customer=customer, as_of=business_today() - timedelta(days=90), model_version=version, revenue_12m=1000
    )
    client.force_login(alice)
    rows = csv_rows(client.get(CSV_URL))
    assert column(rows, "Revenue change vs 90 days ago (%)") == ["-20.0"]


def test_csv_exports_every_page_with_the_same_filters_and_sort(client, alice):
    for n in range(30):
        f.CustomerFactory(owner=alice, name=f"Wuxi Pumps {n:02d}", tier="key" if n % 3 == 0 else "regular")
    f.CustomerFactory(owner=alice, name="Other regular")
    client.force_login(alice)
    rows = csv_rows(client.get(CSV_URL, {"tier": "key", "sort": "-name", "page": 2, "per_page": 5}))
    assert column(rows, "Customer") == [f"Wuxi Pumps {n:02d}" for n in range(27, -1, -3)]


@pytest.mark.parametrize("who", ["alice", "bob", "tina"])
def test_people_on_the_account_export_it(client, customer, oscars_customer, who, request):
    client.force_login(request.getfixturevalue(who))
    assert column(csv_rows(client.get(CSV_URL)), "Customer") == [customer.name]


def test_outsider_exports_only_his_own_customers(client, oscar, customer, oscars_customer):
    client.force_login(oscar)
    assert column(csv_rows(client.get(CSV_URL)), "Customer") == [oscars_customer.name]
    assert column(xlsx_rows(client.get(XLSX_URL)), "Customer") == [oscars_customer.name]
    assert column(csv_rows(client.get(CSV_URL, {"q": customer.code})), "Customer") == []


@pytest.mark.parametrize("who", ["erin", "sam"])
def test_executive_and_service_desk_export_every_customer(client, customer, oscars_customer, who, request):
    client.force_login(request.getfixturevalue(who))
    assert sorted(column(csv_rows(client.get(CSV_URL)), "Customer")) == sorted([customer.name, oscars_customer.name])


def test_anonymous_export_is_sent_to_login(client, customer):
    for url in (CSV_URL, XLSX_URL):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_bad_parameters_do_not_break_the_export(client, alice, customer):
    client.force_login(alice)
    rows = csv_rows(client.get(CSV_URL, {"band": "purple", "sort": "evil", "page": "abc"}))
    assert column(rows, "Customer") == [customer.name]


def test_export_is_in_the_readers_language(client, alice, customer):
    client.force_login(alice)
    client.cookies["django_language"] = "zh-hans"
    header = csv_rows(client.get(CSV_URL, headers={"Accept-Language": "zh-hans"}))[0]
    assert header[1:3] == ["客户", "层级"]


# --- XLSX ------------------------------------------------------------------------------------------


def test_xlsx_neutralises_formulas_and_keeps_numbers_numeric(client, alice, hostile):
    client.force_login(alice)
    response = client.get(XLSX_URL, {"sort": "-revenue"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="customers-' in response["Content-Disposition"]
    rows = xlsx_rows(response)
    assert column(rows, "Customer") == [
        '\'=HYPERLINK("http://evil.example","Click")',
        "'+cmd|' /C calc'!A0",
        "上海精密电机有限公司",
    ]
    assert column(rows, "Revenue, 12 months") == [3000, 2000, 1000.5]
    assert column(rows, "Open tickets") == [0, 0, 0]


def test_xlsx_cells_are_never_formulas(client, alice, hostile):
    client.force_login(alice)
    sheet = load_workbook(io.BytesIO(b"".join(client.get(XLSX_URL).streaming_content))).active
    kinds = {cell.data_type for row in sheet.iter_rows() for cell in row}
    assert "f" not in kinds
    revenue = [row[13] for row in sheet.iter_rows(min_row=2)]
    assert {cell.data_type for cell in revenue} == {"n"}


def test_a_control_character_cannot_smuggle_a_formula_into_the_xlsx_or_csv(client, alice):
    f.CustomerFactory(owner=alice, name='\x01=HYPERLINK("http://evil","x")')
    client.force_login(alice)
    sheet = load_workbook(io.BytesIO(b"".join(client.get(XLSX_URL).streaming_content))).active
    assert "f" not in {cell.data_type for row in sheet.iter_rows() for cell in row}
    assert column(xlsx_rows(client.get(XLSX_URL)), "Customer") == ['\'=HYPERLINK("http://evil","x")']
    csv_text = b"".join(client.get(CSV_URL).streaming_content).decode("utf-8-sig")
    assert '\'=HYPERLINK(""http://evil"",""x"")' in csv_text


def test_xlsx_drops_control_characters_a_workbook_cannot_hold(client, alice):
    f.CustomerFactory(owner=alice, name="Bell\x07 Works")
    client.force_login(alice)
    assert column(xlsx_rows(client.get(XLSX_URL)), "Customer") == ["Bell Works"]


# --- query counts ----------------------------------------------------------------------------------


def _export_queries(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
        b"".join(response.streaming_content)
    return len(queries)


def _customers(owner, count):
    for _ in range(count):
        c = f.CustomerFactory(owner=owner)
        f.TicketFactory(customer=c)
        f.InteractionFactory(customer=c)
        f.CadenceFactory(customer=c)


@pytest.mark.parametrize(("url", "extra"), [(CSV_URL, 0), (XLSX_URL, 1)])  # XLSX counts the rows first
def test_export_query_count_is_the_same_for_3_and_30_customers_in_one_chunk(client, alice, url, extra):
    client.force_login(alice)
    f.RiskSnapshotFactory(customer=f.CustomerFactory(owner=alice), as_of=business_today())
    _customers(alice, 2)
    client.get(reverse("home"))
    few = _export_queries(client, url)
    _customers(alice, 27)
    assert _export_queries(client, url) == few == EXPORT_BASE_QUERIES + extra + QUERIES_PER_CHUNK


def test_xlsx_refuses_a_list_too_long_for_a_workbook_and_points_to_csv(client, alice, monkeypatch):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 2)
    f.CustomerFactory.create_batch(3, owner=alice, tier="key")
    client.force_login(alice)
    response = client.get(XLSX_URL, {"tier": "key"})
    assert response.status_code == 302 and response["Location"] == f"{reverse('home')}?tier=key"
    page = client.get(response["Location"]).text
    assert "3 customers are too many for an Excel file (at most 2)" in page
    assert "export CSV" in page
    assert len(column(csv_rows(client.get(CSV_URL, {"tier": "key"})), "Customer")) == 3


def test_export_costs_the_same_queries_for_every_chunk(client, alice, monkeypatch):
    monkeypatch.setattr(exports, "EXPORT_CHUNK_SIZE", 5)
    f.RiskSnapshotFactory(customer=f.CustomerFactory(owner=alice), as_of=business_today())
    client.force_login(alice)
    counts = []
    for _ in range(3):
        _customers(alice, 5)  # 6, 11, 16 customers: 2, 3, 4 chunks
        counts.append(_export_queries(client, CSV_URL))
    assert counts == [EXPORT_BASE_QUERIES + QUERIES_PER_CHUNK * chunks for chunks in (2, 3, 4)]


def test_exported_rows_come_from_an_iterator_not_a_list(alice, monkeypatch):
    """The export reads rows chunk by chunk: the first row is out before the last chunk is read."""
    from accounts.workspace.filters import account_list

    monkeypatch.setattr(exports, "EXPORT_CHUNK_SIZE", 2)
    for n in range(6):
        f.CustomerFactory(owner=alice, name=f"Row {n}")
    rows = exports.export_rows(account_list(user=alice, scored_on=None).order_by("name"), scored_on=None)
    with CaptureQueriesContext(connection) as queries:
        first = next(rows)
    assert first.customer.name == "Row 0"
    assert len(queries) == 1 + QUERIES_PER_CHUNK - 1  # the rows, then tickets, interactions, cadences
