"""CSV and XLSX exports of My accounts: the filtered list across pages, only what the user may see,
never a formula in a cell, and a query count that does not grow with the rows. (The XLSX export's
background job: test_export_jobs.)"""

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from accounts.models import RiskBand, Tier
from accounts.risk.reasons import make_reason, render_reason
from accounts.spreadsheet_safety import neutralise
from accounts.workspace import exports
from complaints.models import Ticket
from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f
from keyaccounts.tests.xlsx_export import xlsx_download

CSV_URL = reverse("export_csv")
XLSX_URL = reverse("export_xlsx")
# Session, user, roles, latest scored day, owners for the filter; the figures of every row in
# four grouped queries (tickets, interactions, cadences, revenue a quarter ago); the rows from
# one cursor. Whatever the number of rows. The export reads in a transaction of its own: inside
# the test's transaction that is a savepoint and its release, two more statements.
CSV_QUERIES = 10 + 2


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


def xlsx_sheet(client, params=None):
    return load_workbook(io.BytesIO(b"".join(xlsx_download(client, params).streaming_content))).active


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
    assert column(xlsx_rows(xlsx_download(client)), "Customer") == [oscars_customer.name]
    assert column(csv_rows(client.get(CSV_URL, {"q": customer.code})), "Customer") == []


@pytest.mark.parametrize("who", ["erin", "sam"])
def test_executive_and_service_desk_export_every_customer(client, customer, oscars_customer, who, request):
    client.force_login(request.getfixturevalue(who))
    assert sorted(column(csv_rows(client.get(CSV_URL)), "Customer")) == sorted([customer.name, oscars_customer.name])


def test_anonymous_export_is_sent_to_login(client, customer):
    for response in (client.get(CSV_URL), client.post(XLSX_URL)):
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
    response = xlsx_download(client, {"sort": "-revenue"})
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
    sheet = xlsx_sheet(client)
    kinds = {cell.data_type for row in sheet.iter_rows() for cell in row}
    assert "f" not in kinds
    revenue = [row[13] for row in sheet.iter_rows(min_row=2)]
    assert {cell.data_type for cell in revenue} == {"n"}


def test_a_control_character_cannot_smuggle_a_formula_into_the_xlsx_or_csv(client, alice):
    f.CustomerFactory(owner=alice, name='\x01=HYPERLINK("http://evil","x")')
    client.force_login(alice)
    sheet = xlsx_sheet(client)
    assert "f" not in {cell.data_type for row in sheet.iter_rows() for cell in row}
    assert column(xlsx_rows(xlsx_download(client)), "Customer") == ['\'=HYPERLINK("http://evil","x")']
    csv_text = b"".join(client.get(CSV_URL).streaming_content).decode("utf-8-sig")
    assert '\'=HYPERLINK(""http://evil"",""x"")' in csv_text


def test_xlsx_drops_control_characters_a_workbook_cannot_hold(client, alice):
    f.CustomerFactory(owner=alice, name="Bell\x07 Works")
    client.force_login(alice)
    assert column(xlsx_rows(xlsx_download(client)), "Customer") == ["Bell Works"]


# --- every column -----------------------------------------------------------------------------------


@pytest.fixture
def wang(db):
    """An account manager whose name is written family name first."""
    return f.account_manager("wang", first_name="伟", last_name="王")


@pytest.fixture
def two_customers(wang):
    """A customer with every figure (a formula-looking cadence name, a manual band, a top reason, a
    quarter-old snapshot, tickets and contacts) and one with none: no snapshot, no contact."""
    today = business_today()
    now = timezone.now()
    version = f.RiskModelVersionFactory()
    full = f.CustomerFactory(
        owner=wang, code="K1", name="上海精密电机有限公司", tier="key", revenue_12m=Decimal("1100")
    )
    reasons = [
        make_reason("small_account", revenue_12m=1100, typical_revenue_12m=5000),
        make_reason("single_owner"),
    ]
    f.RiskSnapshotFactory(
        customer=full, as_of=today, model_version=version, score=61.26, score_change_7d=-4.44, reasons=reasons
    )
    f.RiskSnapshotFactory(customer=full, as_of=today - timedelta(days=90), model_version=version, revenue_12m=1000)
    f.RiskOverrideFactory(customer=full, band="red", set_by=wang, starts_on=today, expires_on=today + timedelta(30))
    late, on_time = f.TicketFactory(customer=full), f.TicketFactory(customer=full)
    Ticket.objects.filter(pk=late.pk).update(response_due_at=now - timedelta(hours=1))
    Ticket.objects.filter(pk=on_time.pk).update(
        response_due_at=now + timedelta(days=1), resolution_due_at=now + timedelta(days=3)
    )
    f.InteractionFactory(customer=full, occurred_on=today - timedelta(days=3), kind="visit")
    f.InteractionFactory(customer=full, occurred_on=today - timedelta(days=10), kind="executive_meeting")
    f.CadenceFactory(customer=full, name="=Quarterly executive meeting", interval_days=90)
    empty = f.CustomerFactory(owner=wang, code="R1", name="@Wuxi Pumps", tier="regular", revenue_12m=Decimal("0"))
    return full, empty


def _expected_cells(today) -> list[list]:
    return [
        [
            "K1",
            "上海精密电机有限公司",
            "Key account",
            "Active",
            "Manufacturing",
            "East China",
            "2 · Service & relationship network",
            "王伟",
            "Red",
            61.3,
            -4.4,
            "yes",
            "Revenue over the last 12 months is CN¥1,100 against CN¥5,000 for a typical account; "
            "small accounts leave more often",
            Decimal("1100.00"),
            10.0,
            2,
            1,
            today - timedelta(days=3),
            3,
            today - timedelta(days=10),
            10,
            "'=Quarterly executive meeting",
            today + timedelta(days=80),
        ],
        ["R1", "'@Wuxi Pumps", "Regular", "Active", "Manufacturing", "East China"]
        + ["2 · Service & relationship network", "王伟", "", None, None, "", "", Decimal("0.00"), None, 0, 0]
        + [None] * 4
        + ["", None],
    ]


def test_csv_writes_every_column_of_a_customer_with_every_figure_and_of_one_with_none(client, wang, two_customers):
    client.force_login(wang)
    rows = csv_rows(client.get(CSV_URL))
    assert rows[1:] == [["" if v is None else str(v) for v in row] for row in _expected_cells(business_today())]


def test_xlsx_holds_the_same_cells_as_numbers_dates_and_text(client, wang, two_customers):
    client.force_login(wang)
    rows = xlsx_rows(xlsx_download(client))
    assert rows[0] == tuple(csv_rows(client.get(CSV_URL))[0])

    def as_read_back(value):  # an empty text cell reads back as None, a date as midnight
        if value == "":
            return None
        if isinstance(value, date):
            return datetime.combine(value, datetime.min.time())
        return float(value) if isinstance(value, Decimal) else value

    assert [list(row) for row in rows[1:]] == [
        [as_read_back(v) for v in row] for row in _expected_cells(business_today())
    ]


def test_the_export_speaks_the_readers_language_in_every_text_cell(client, wang, two_customers):
    client.force_login(wang)
    rows = csv_rows(client.get(CSV_URL, headers={"Accept-Language": "zh-hans"}))
    with translation.override("zh-hans"):
        headers = exports.headers()
        expected = [str(Tier.KEY.label), str(RiskBand.RED.label), gettext("yes")]
        expected.append(render_reason(make_reason("small_account", revenue_12m=1100, typical_revenue_12m=5000)))
    assert rows[0] == headers and headers[2] == "层级"
    assert [rows[1][i] for i in (2, 8, 11, 12)] == expected
    assert "¥1,100" in expected[-1] and "Revenue" not in expected[-1] and expected[0] != "Key account"


@pytest.mark.parametrize("who", ["wang", "erin"])
@pytest.mark.parametrize("params", [{}, {"band": "red"}, {"q": "K1"}, {"band": "none"}])
def test_each_row_has_its_own_figures_whatever_the_filter_and_reader(client, two_customers, who, params, request):
    """The figures are read for the filtered list's customers (without the list's joins where the
    filters allow): a manager's book and the executive's whole book, filtered or not."""
    client.force_login(request.getfixturevalue(who))
    expected = {row[0]: row for row in _expected_cells(business_today())}
    rows = csv_rows(client.get(CSV_URL, params))
    shown = {"band": {"red": ["K1"], "none": ["R1"]}, "q": {"K1": ["K1"]}}
    codes = next((shown[name][value] for name, value in params.items()), ["K1", "R1"])
    assert rows[1:] == [["" if v is None else str(v) for v in expected[code]] for code in codes]


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


def test_csv_costs_the_same_queries_for_1_3_and_300_customers(client, alice, django_assert_num_queries):
    client.force_login(alice)
    f.RiskSnapshotFactory(customer=f.CustomerFactory(owner=alice), as_of=business_today())
    client.get(reverse("home"))
    with django_assert_num_queries(CSV_QUERIES):
        assert len(csv_rows(client.get(CSV_URL))) == 1 + 1
    _customers(alice, 2)
    with django_assert_num_queries(CSV_QUERIES):
        assert len(csv_rows(client.get(CSV_URL))) == 1 + 3
    _customers(alice, 297)
    with django_assert_num_queries(CSV_QUERIES):
        rows = csv_rows(client.get(CSV_URL))
    assert len(rows) == 1 + 300
    assert column(rows, "Open tickets").count("1") == 299  # all but the first, which has no ticket
    assert sum(1 for name in column(rows, "Next cadence") if name) == 299


def test_csv_costs_the_same_queries_however_many_cursor_chunks(client, alice, monkeypatch):
    monkeypatch.setattr(exports, "EXPORT_CHUNK_SIZE", 5)
    f.RiskSnapshotFactory(customer=f.CustomerFactory(owner=alice), as_of=business_today())
    client.force_login(alice)
    counts = []
    for _ in range(3):
        _customers(alice, 5)  # 6, 11, 16 customers: 2, 3, 4 chunks of the cursor
        counts.append(_export_queries(client, CSV_URL))
    assert counts == [CSV_QUERIES] * 3


def test_exported_rows_come_from_an_iterator_not_a_list(alice, monkeypatch):
    """The figures are read first, then the rows stream from one cursor: the first row is out
    before the others are read, and the rest cost no further query."""
    from accounts.workspace.filters import account_list

    monkeypatch.setattr(exports, "EXPORT_CHUNK_SIZE", 2)
    for n in range(6):
        f.CustomerFactory(owner=alice, name=f"Row {n}")
    rows = exports.export_rows(account_list(user=alice, scored_on=None).order_by("name"), scored_on=None)
    name = exports.headers().index("Customer")
    with CaptureQueriesContext(connection) as queries:
        first = next(rows)
    assert first[name] == "Row 0"
    assert len(queries) == 3 + 1  # tickets, interactions, cadences (no scored day), then the rows
    with CaptureQueriesContext(connection) as queries:
        assert [row[name] for row in rows] == [f"Row {n}" for n in range(1, 6)]
    assert len(queries) == 0


def test_the_revenue_trend_takes_the_snapshot_closest_to_a_quarter_ago(client, alice):
    version = f.RiskModelVersionFactory()
    today = business_today()
    quarter_ago = today - timedelta(days=90)
    exact, near, none = (f.CustomerFactory(owner=alice, name=n, revenue_12m=Decimal("1100")) for n in "ABC")
    for c in (exact, near, none):
        f.RiskSnapshotFactory(customer=c, as_of=today, model_version=version)
    f.RiskSnapshotFactory(customer=exact, as_of=quarter_ago, model_version=version, revenue_12m=1000)
    f.RiskSnapshotFactory(customer=exact, as_of=quarter_ago - timedelta(days=1), model_version=version, revenue_12m=1)
    # No snapshot on the day itself: the closest within the week, the earlier one on a tie.
    f.RiskSnapshotFactory(customer=near, as_of=quarter_ago + timedelta(days=2), model_version=version, revenue_12m=500)
    f.RiskSnapshotFactory(customer=near, as_of=quarter_ago - timedelta(days=2), model_version=version, revenue_12m=550)
    f.RiskSnapshotFactory(customer=near, as_of=quarter_ago + timedelta(days=5), model_version=version, revenue_12m=9)
    f.RiskSnapshotFactory(customer=none, as_of=quarter_ago - timedelta(days=8), model_version=version, revenue_12m=9)
    client.force_login(alice)
    rows = csv_rows(client.get(CSV_URL, {"sort": "name"}))
    assert column(rows, "Revenue change vs 90 days ago (%)") == ["10.0", "100.0", ""]


def test_the_top_reason_and_formula_checks_hold_for_repeated_and_distinct_values(client, alice):
    """Each distinct reason is put into words once and each distinct text checked once per export:
    repeats must come out the same as the first, and every repeat of a hostile name neutralised."""
    version = f.RiskModelVersionFactory()
    price = {
        "factor": "price",
        "code": "price_above_market",
        "params": {"pct": 18, "worst_product": "X", "worst_pct": 25},
    }
    other = {"factor": "relationship", "code": "single_owner", "params": {}}
    for n, reasons in enumerate([[price], [price, other], [other], []]):
        c = f.CustomerFactory(owner=alice, name=f"=cmd {n}" if n < 2 else "=cmd", code=f"C{n}")
        f.RiskSnapshotFactory(customer=c, as_of=business_today(), model_version=version, reasons=reasons)
    client.force_login(alice)
    rows = csv_rows(client.get(CSV_URL, {"sort": "name"}))
    assert column(rows, "Customer") == ["'=cmd", "'=cmd", "'=cmd 0", "'=cmd 1"]
    reasons = dict(zip(column(rows, "Customer code"), column(rows, "Top reason"), strict=True))
    assert reasons["C0"] == reasons["C1"] == "Our price is 18% above the market average (X: 25%)"
    assert reasons["C2"] and reasons["C2"] != reasons["C0"] and reasons["C3"] == ""


def test_a_download_stopped_half_way_ends_the_exports_transaction(alice, monkeypatch):
    """Closing the response closes the export's generator (Django's StreamingHttpResponse does so
    when the server closes it): its transaction must end with it."""
    from accounts.workspace.filters import account_list

    monkeypatch.setattr(exports, "CSV_LINES_PER_WRITE", 1)
    for n in range(3):
        f.CustomerFactory(owner=alice, name=f"Row {n}")
    depth = len(connection.savepoint_ids)
    lines = exports.csv_lines(account_list(user=alice, scored_on=None), scored_on=None, language="en")
    next(lines), next(lines)  # the header and the first row: inside the export's transaction
    assert len(connection.savepoint_ids) == depth + 1
    lines.close()
    assert len(connection.savepoint_ids) == depth
    assert f.CustomerFactory(owner=alice).pk  # the connection is still usable
