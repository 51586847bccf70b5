"""Bad files and bad rows: each is refused with a message naming the row and column, and nothing
at all is written — not by the preview, not by the import."""

import io
import zipfile
from datetime import date

import pytest
from django.test import override_settings

from accounts.models import PurchaseCriterion
from exchange.engine import run
from exchange.tests.conftest import csv_text, row_counts
from keyaccounts.tests import factories as f
from relationships.models import Contact

pytestmark = pytest.mark.django_db

CUSTOMER_HEADER = ["code", "name", "industry", "region", "owner", "customer_since"]
CONTACT_HEADER = ["external_id", "customer_code", "name", "department", "buying_role", "joined_on"]
ORDER_HEADER = [
    "order_number",
    "customer_code",
    "ordered_on",
    "amount",
    "line_no",
    "sku",
    "quantity_ordered",
    "promised_on",
]
CRITERIA_HEADER = [
    "external_id",
    "customer_code",
    "criterion",
    "importance",
    "we_meet",
    "competitor_meets",
    "assessed_on",
]


@pytest.fixture
def world(admin, customer, oscars_customer):
    """Records of every kind, so a stray write to any business table shows in the counts."""
    f.ProductFactory(sku="P-1")
    order = f.OrderFactory(customer=customer, number="SO-0")
    f.DeliveryLineFactory(order=order, line_no=1)
    f.ContactFactory(customer=customer, external_id="P-alice")
    f.ContactFactory(customer=oscars_customer, external_id="P-oscar")
    f.PurchaseCriterionFactory(customer=customer, criterion="Price", assessed_on=date(2026, 1, 1), external_id="PC-0")
    f.TicketFactory(customer=customer)
    return customer


def refused(kind, path, user, *, row=None, column=None, why=""):
    """Run the import as preview and for real: both refuse, neither writes. Returns the outcome."""
    before = row_counts()
    for apply in (False, True):
        outcome = run(kind, path, user, apply=apply)
        assert not outcome.ok and not outcome.applied and outcome.error_count >= 1
        assert row_counts() == before, f"{kind}: a refused import (apply={apply}) changed the database"
    matching = [
        e
        for e in outcome.errors
        if why.lower() in e["why"].lower()
        and (row is None or e["row"] == row)
        and (column is None or e["column"] == column)
    ]
    assert matching, f"no error at row {row}, column {column} saying {why!r}: {outcome.errors}"
    return outcome


def customers(*rows, header=CUSTOMER_HEADER):
    return csv_text([header, *rows])


def good_customer(code="K1", **changes):
    row = dict(zip(CUSTOMER_HEADER, [code, "Name", "retail", "east", "alice", "2020-01-01"], strict=True))
    row.update(changes)
    return [row[k] for k in CUSTOMER_HEADER]


def contact(code, external_id="P-1", **changes):
    row = dict(zip(CONTACT_HEADER, [external_id, code, "Wang", "quality", "user", "2021-01-01"], strict=True))
    row.update(changes)
    return [row[k] for k in CONTACT_HEADER]


# The file as a whole -------------------------------------------------------------------------
def test_wrong_encoding(write_bytes, admin, world):
    path = write_bytes(customers(good_customer()).encode() + "K2,Café,retail,east,alice,2020-01-01\n".encode("latin-1"))
    refused("customers", path, admin, why="neither UTF-8 nor GB18030")


def test_utf16(write, admin, world):
    refused("customers", write(customers(good_customer()), encoding="utf-16"), admin, why="UTF-16")


@pytest.mark.parametrize(
    "content, why",
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "old Excel file"),
        (b"PK\x03\x04" + b"\x14\x00broken zip" * 20, "not a valid Excel workbook"),
        (bytes(range(256)) * 20, "binary"),
    ],
    ids=["pdf", "png", "xls", "corrupt-zip", "binary"],
)
def test_not_csv_or_xlsx(write_bytes, admin, world, content, why):
    refused("customers", write_bytes(content, "upload.xlsx"), admin, why=why)


def test_zip_that_is_not_a_workbook(write_bytes, admin, world):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    refused("customers", write_bytes(buffer.getvalue(), "upload.xlsx"), admin, why="Excel workbook")


def test_workbook_with_a_broken_sheet(write_xlsx, write_bytes, admin, world):
    good = write_xlsx([CUSTOMER_HEADER, good_customer()])
    buffer = io.BytesIO()
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            target.writestr(item, data)
    refused("customers", write_bytes(buffer.getvalue(), "broken.xlsx"), admin, why="workbook")


def test_empty_file(write, admin, world):
    refused("customers", write(""), admin, why="The file is empty")


def test_blank_lines_only(write, admin, world):
    refused("customers", write("\n\n , \n"), admin, why="no header row")


def test_header_only(write, admin, world):
    refused("customers", write(customers()), admin, why="no data rows")


def test_header_only_xlsx(write_xlsx, admin, world):
    refused("customers", write_xlsx([CUSTOMER_HEADER]), admin, why="no data rows")


def test_file_above_the_size_limit(write, admin, world):
    path = write(customers(*(good_customer(f"K{n}") for n in range(50))))
    with override_settings(IMPORT_MAX_BYTES=1024):
        outcome = refused("customers", path, admin, why="Split it in parts")
    assert "1 MB" in outcome.errors[0]["why"]


def test_missing_column(write, admin, world):
    header = [c for c in CUSTOMER_HEADER if c != "owner"]
    row = [v for c, v in zip(CUSTOMER_HEADER, good_customer(), strict=True) if c != "owner"]
    refused("customers", write(csv_text([header, row])), admin, row=1, column="owner", why="required column is missing")


def test_unknown_column(write, admin, world):
    rows = [[*CUSTOMER_HEADER, "ownr"], [*good_customer(), "x"]]
    refused("customers", write(csv_text(rows)), admin, row=1, column="ownr", why="not a column")


def test_column_twice(write, admin, world):
    rows = [[*CUSTOMER_HEADER, "客户名称"], [*good_customer(), "x"]]
    refused("customers", write(csv_text(rows)), admin, row=1, column="客户名称", why="the column name a second time")


def test_file_of_the_wrong_kind(write, admin, world):
    path = write(csv_text([CONTACT_HEADER, contact(world.code)]))
    refused("orders", path, admin, row=1, why="looks like a file of contacts")


def test_unknown_kind(write, admin, world):
    before = row_counts()
    outcome = run("invoices", write(customers(good_customer())), admin, apply=True)
    assert not outcome.ok and "no such kind" in outcome.errors[0]["why"]
    assert row_counts() == before


# Cells ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "column, value, why",
    [
        ("customer_since", "2026-13-45", "is not a date"),
        ("customer_since", "1899-12-31", "before 1900"),
        ("customer_since", "9999-12-31", "too far in the future"),
        ("customer_since", "yesterday", "is not a date"),
        ("industry", "mining", "is not one of"),
        ("region", "", "is required"),
        ("owner", "nobody", "no active user"),
        ("owner", "nobody@example.com", "no active user"),
        ("name", "x" * 201, "longer than 200"),
        ("name", "bad\x00name", "NUL byte"),
        ("name", "bell\x07", "control character"),
    ],
)
def test_bad_customer_cells(write, admin, world, column, value, why):
    rows = [good_customer("K1"), good_customer("K2", **{column: value})]
    outcome = refused("customers", write(customers(*rows)), admin, row=3, column=column, why=why)
    assert all(e["row"] == 3 for e in outcome.errors), outcome.errors


def test_notes_longer_than_the_form_allows_are_refused(write, admin, world, customer):
    header = ["external_id", "customer_code", "occurred_on", "kind", "subject", "notes"]
    path = write(csv_text([header, ["V-1", customer.code, "2026-03-02", "visit", "Review", "x" * 10001]]))
    refused("interactions", path, admin, row=2, column="notes", why="longer than 10000")


def test_nul_byte_is_shown_escaped(write, admin, world):
    outcome = refused("customers", write(customers(good_customer(name="a\x00b"))), admin, row=2, column="name")
    assert outcome.errors[0]["value"] == "a\\0b"


@pytest.mark.parametrize(
    "cells, column, why",
    [
        ({"relationship_level": "123456789012345678901234567890"}, "relationship_level", "between 1 and 3"),
        ({"peak_months": "3;13"}, "peak_months", "between 1 and 12"),
        ({"tier_pinned": "maybe"}, "tier_pinned", "yes or no"),
        ({"backup_owner": "alice"}, "backup_owner", "other than the owner"),
        ({"account_team": "tina;ghost"}, "account_team", "no active user"),
    ],
)
def test_bad_optional_customer_cells(write, admin, world, tina, cells, column, why):
    header = [*CUSTOMER_HEADER, *cells]
    rows = [header, [*good_customer(), *cells.values()]]
    refused("customers", write(csv_text(rows)), admin, row=2, column=column, why=why)


@pytest.mark.parametrize(
    "amount, why",
    [
        ("12,3x", "is not a number"),
        ("123456789012345678901234567890", "too large"),
        ("-5", "at least 0"),
        ("1.005", "more than 2 decimals"),
        ("NaN", "is not a number"),
    ],
)
def test_bad_amounts(write, admin, world, amount, why):
    rows = [ORDER_HEADER[:4], ["SO-1", world.code, "2026-01-10", amount]]
    refused("orders", write(csv_text(rows)), admin, row=2, column="amount", why=why)


def test_xlsx_bad_cells(write_xlsx, admin, world):
    rows = [
        CUSTOMER_HEADER,
        good_customer("K1", customer_since="1899-12-31"),
        good_customer("K2", customer_since=date(2020, 1, 1), owner=42),
    ]
    refused("customers", write_xlsx(rows), admin, row=2, column="customer_since", why="before 1900")
    refused("customers", write_xlsx(rows, "again.xlsx"), admin, row=3, column="owner", why="no active user")
    rows = [CUSTOMER_HEADER, good_customer("K1", customer_since=date(9999, 12, 31))]
    refused("customers", write_xlsx(rows, "future.xlsx"), admin, row=2, column="customer_since", why="too far")


def test_bom_with_quoted_headers(write, admin, world):
    header = ",".join(f'"{name}"' for name in CUSTOMER_HEADER)
    path = write("\ufeff" + header + "\n" + csv_text([good_customer(owner="nobody")]))
    refused("customers", path, admin, row=2, column="owner", why="no active user")


def test_semicolon_file_with_a_bad_date(write, admin, world):
    path = write(csv_text([CUSTOMER_HEADER, good_customer(customer_since="31.12.2020")], delimiter=";"))
    refused("customers", path, admin, row=2, column="customer_since", why="not a date")


def test_every_bad_row_is_named(write, admin, world):
    rows = [good_customer("K1", owner="ghost"), good_customer("K2"), good_customer("K3", industry="mining")]
    outcome = refused("customers", write(customers(*rows)), admin)
    assert [(e["row"], e["column"]) for e in outcome.errors] == [(2, "owner"), (4, "industry")]
    assert outcome.errors[0]["value"] == "ghost"


# Across rows ---------------------------------------------------------------------------------
def test_duplicate_external_id_names_both_rows(write, admin, world):
    rows = [contact(world.code, "P-1"), contact(world.code, "P-2"), contact(world.code, "P-1", name="Other")]
    outcome = refused("contacts", write(csv_text([CONTACT_HEADER, *rows])), admin, row=4, column="external_id")
    assert "row 2" in outcome.errors[0]["why"]


def test_duplicate_customer_code(write, admin, world):
    outcome = refused(
        "customers", write(customers(good_customer("K1"), good_customer("K1"))), admin, row=3, column="code"
    )
    assert "row 2" in outcome.errors[0]["why"]


def test_duplicate_order_line(write, admin, world):
    rows = [ORDER_HEADER, ["SO-1", world.code, "2026-01-10", "10", 1, "P-1", 1, "2026-02-01"]] * 1
    rows.append(["SO-1", world.code, "2026-01-10", "10", 1, "P-1", 2, "2026-02-01"])
    outcome = refused("orders", write(csv_text(rows)), admin, row=3, column="line_no")
    assert "row 2" in outcome.errors[0]["why"]


def test_order_lines_disagree_on_amount(write, admin, world):
    rows = [
        ORDER_HEADER,
        ["SO-1", world.code, "2026-01-10", "10", 1, "P-1", 1, "2026-02-01"],
        ["SO-1", world.code, "2026-01-10", "11", 2, "P-1", 1, "2026-02-01"],
    ]
    refused("orders", write(csv_text(rows)), admin, row=3, column="order_number", why="differ from row 2")


def test_order_line_without_sku(write, admin, world):
    rows = [ORDER_HEADER, ["SO-1", world.code, "2026-01-10", "10", 1, "", 1, "2026-02-01"]]
    refused("orders", write(csv_text(rows)), admin, row=2, column="sku", why="is required")


def test_order_line_columns_without_line_number(write, admin, world):
    rows = [ORDER_HEADER, ["SO-1", world.code, "2026-01-10", "10", "", "P-1", 1, "2026-02-01"]]
    refused("orders", write(csv_text(rows)), admin, row=2, column="line_no", why="required")


def test_unknown_customer(write, admin, world):
    rows = [contact(world.code, "P-1"), contact("NOPE", "P-2")]
    refused(
        "contacts",
        write(csv_text([CONTACT_HEADER, *rows])),
        admin,
        row=3,
        column="customer_code",
        why="no customer has this code",
    )


def test_price_benchmark_for_an_unknown_product(write, admin, world):
    rows = [
        ["customer_code", "sku", "observed_on", "our_price", "market_average_price"],
        [world.code, "P-404", "2026-01-01", "1", "1"],
    ]
    refused("price_benchmarks", write(csv_text(rows)), admin, row=2, column="sku", why="no product")


def test_churn_of_an_unknown_customer(write, admin, world):
    rows = [["customer_code", "churned_on", "churn_reason"], ["NOPE", "2026-01-01", "competitor_price"]]
    refused("churn", write(csv_text(rows)), admin, row=2, column="customer_code", why="no customer")


def test_ticket_closed_without_times(write, admin, world):
    header = [
        "external_id",
        "customer_code",
        "kind",
        "category",
        "severity",
        "channel",
        "subject",
        "status",
        "opened_at",
    ]
    rows = [header, ["T-1", world.code, "complaint", "delivery", "high", "email", "Late", "closed", "2026-01-05 09:30"]]
    refused("tickets", write(csv_text(rows)), admin, row=2, column="closed_at", why="closing time")


# Who may import what -------------------------------------------------------------------------
def test_account_manager_may_not_import_orders(write, alice, world):
    rows = [ORDER_HEADER[:4], ["SO-1", world.code, "2026-01-10", "10"]]
    refused("orders", write(csv_text(rows)), alice, why="may not import orders")


def test_account_manager_may_not_import_customers(write, alice, world):
    refused("customers", write(customers(good_customer())), alice, why="may not import customers")


def test_service_desk_may_not_import_contacts(write, sam, world):
    refused("contacts", write(csv_text([CONTACT_HEADER, contact(world.code)])), sam, why="may not import contacts")


def test_account_manager_contacts_of_someone_elses_customer(write, alice, oscars_customer, world):
    rows = [contact(world.code, "P-1"), contact(oscars_customer.code, "P-2"), contact(oscars_customer.code, "P-3")]
    outcome = refused("contacts", write(csv_text([CONTACT_HEADER, *rows])), alice, why="no customer of yours")
    assert [(e["row"], e["column"]) for e in outcome.errors] == [(3, "customer_code"), (4, "customer_code")]


def test_account_manager_updating_someone_elses_contact(write, alice, world):
    # P-oscar is a contact of oscar's customer; the row points it at alice's own customer.
    rows = [contact(world.code, "P-1"), contact(world.code, "P-oscar", name="Taken over")]
    refused(
        "contacts",
        write(csv_text([CONTACT_HEADER, *rows])),
        alice,
        row=3,
        column="external_id",
        why="you do not look after",
    )
    assert Contact.objects.get(external_id="P-oscar").customer != world


def test_account_manager_criteria_of_someone_elses_customer(write, alice, oscars_customer, world):
    rows = [CRITERIA_HEADER, ["PC-9", oscars_customer.code, "Delivery", 3, "yes", "no", "2026-02-01"]]
    refused("criteria", write(csv_text(rows)), alice, row=2, column="customer_code", why="no customer of yours")


# The database refuses -----------------------------------------------------------------------
def test_criteria_clashing_with_another_record(write, admin, world):
    # PC-0 already assesses "Price" for this customer on 2026-01-01.
    rows = [
        CRITERIA_HEADER,
        ["PC-1", world.code, "Delivery", 3, "yes", "no", "2026-01-01"],
        ["PC-2", world.code, "Price", 3, "yes", "no", "2026-01-01"],
    ]
    refused("criteria", write(csv_text(rows)), admin, row=3, column="criterion", why="already has this criterion")
    assert not PurchaseCriterion.objects.filter(external_id__in=["PC-1", "PC-2"]).exists()
    # Fixed, the same import runs again and goes through.
    rows[2][6] = "2026-01-02"
    outcome = run("criteria", write(csv_text(rows), "fixed.csv"), admin, apply=True)
    assert outcome.ok and outcome.applied, outcome.errors
    assert outcome.counts["criteria"] == {"created": 2, "updated": 0, "unchanged": 0}


def test_criteria_clash_left_to_the_database(write, admin, world):
    # Two existing assessments swap dates: each row is fine against the other records once the
    # file is applied, but the database checks the unique key row by row and refuses.
    f.PurchaseCriterionFactory(customer=world, criterion="Price", assessed_on=date(2026, 1, 2), external_id="PC-00")
    rows = [
        CRITERIA_HEADER,
        ["PC-0", world.code, "Price", 3, "yes", "no", "2026-01-02"],
        ["PC-00", world.code, "Price", 3, "yes", "no", "2026-01-01"],
    ]
    refused("criteria", write(csv_text(rows)), admin, why="nothing was written")
