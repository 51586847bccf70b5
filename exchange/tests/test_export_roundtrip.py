"""Exports in the import's format: what an export holds, for whom, and that importing it back
changes nothing — or, after rows were deleted, recreates them as they were."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from accounts import models as am
from complaints import models as cm
from exchange import exporting
from exchange.engine import run
from exchange.formats import FORMATS
from keyaccounts.clock import project_zone
from keyaccounts.tests import factories as f
from keyaccounts.tests.xlsx_export import records_download
from relationships import models as rm

pytestmark = pytest.mark.django_db

KINDS = list(FORMATS)
MODELS = (
    am.Customer,
    am.Customer.account_team.through,
    rm.Contact,
    rm.Interaction,
    am.Order,
    am.DeliveryLine,
    am.PriceBenchmark,
    am.PurchaseCriterion,
    cm.Ticket,
    am.Product,
    am.Competitor,
)


def at(*parts, micro=0):
    return datetime(*parts, micro, tzinfo=project_zone())


@pytest.fixture
def world(alice, bob, tina, oscar, sam):
    mine = f.CustomerFactory(
        code="C-ALICE", owner=alice, backup_owner=bob, team=[tina, oscar], peak_months=[3, 11], tier_pinned=True
    )
    lost = f.CustomerFactory(
        code="C-LOST",
        owner=alice,
        status=am.CustomerStatus.CHURNED,
        churned_on=date(2026, 2, 1),
        churn_reason=am.ChurnReason.DIRECTION_CHANGE,
        churn_notes="Moved production\nabroad",
    )
    theirs = f.CustomerFactory(code="C-OSCAR", owner=oscar, relationship_level=3)
    rival = f.CompetitorFactory(name="Hengda")
    product = f.ProductFactory(sku="P-100", name="Bearing 6205")
    for customer in (mine, lost, theirs):
        f.ContactFactory(customer=customer, external_id=f"P-{customer.code}", email="wang@example.com")
        f.ContactFactory(
            customer=customer, phone="+86 21 5555", left_on=date(2025, 6, 1), internal_owner=customer.owner
        )
        f.InteractionFactory(customer=customer, notes="Two lines,\nwith a comma", logged_by=customer.owner)
        f.InteractionFactory(customer=customer, external_id=f"V-{customer.code}")
        order = f.OrderFactory(customer=customer, amount=Decimal("125000.10"))
        f.DeliveryLineFactory(
            order=order, line_no=1, product=product, quantity_delivered=Decimal("0"), delivered_on=None
        )
        f.DeliveryLineFactory(order=order, line_no=2, quantity_ordered=Decimal("2.50"))
        f.OrderFactory(customer=customer)  # no lines
        f.PriceBenchmarkFactory(customer=customer, product=product, competitor=rival, competitor_quote=Decimal("91"))
        f.PriceBenchmarkFactory(customer=customer, product=product, observed_on=date(2026, 2, 1))
        f.PurchaseCriterionFactory(customer=customer, competitor_meets=True, competitor=rival, notes="note")
        f.PurchaseCriterionFactory(customer=customer, external_id=f"PC-{customer.code}", we_meet=False)
        f.TicketFactory(customer=customer, opened_at=at(2026, 1, 5, 9, 30, 12, micro=123456), assigned_to=sam)
        f.TicketFactory(
            customer=customer,
            external_id=f"T-{customer.code}",
            status=cm.Ticket.Status.CLOSED,
            department=cm.Ticket.Department.TECHNICAL,
            opened_at=at(2026, 1, 5, 9, 30),
            first_response_at=at(2026, 1, 5, 10, 10),
            resolved_at=at(2026, 1, 7, 16, 0),
            closed_at=at(2026, 1, 8, 9, 0),
            satisfaction=4,
            description="=1+1",
            root_cause="'=quoted already",
            corrective_action="-",
        )
    return {"mine": mine, "lost": lost, "theirs": theirs}


def snapshot(model, *, leave_out=()):
    fields = [f.attname for f in model._meta.concrete_fields if f.attname not in leave_out]
    return [tuple(row) for row in model.objects.order_by("pk").values_list(*fields)]


def lines():
    fields = [f.attname for f in am.DeliveryLine._meta.concrete_fields if f.attname not in ("id", "order_id")]
    return sorted(am.DeliveryLine.objects.values_list("order__number", *fields))


def everything():
    return {model.__name__: snapshot(model) for model in MODELS}


def download(client, kind, extension, tmp_path, **headers):
    response = records_download(client, kind, extension, **headers)
    assert response.status_code == 200, response
    path = tmp_path / f"{kind}.{extension}"
    path.write_bytes(b"".join(response.streaming_content))
    return response, path


def as_rows(path):
    if str(path).endswith(".csv"):
        text = path.read_bytes().decode("utf-8")
        assert text.startswith("\ufeff")
        return list(csv.reader(io.StringIO(text[1:])))
    sheet = load_workbook(path, read_only=True).active
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def assert_unchanged(outcome):
    assert outcome.ok, outcome.errors
    assert outcome.applied
    for label, counts in outcome.counts.items():
        assert counts["created"] == counts["updated"] == 0, (label, counts)
        assert counts["unchanged"] > 0, (label, counts)


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_every_kind_imported_back_changes_nothing(world, admin, tmp_path, extension):
    before = everything()
    client = signed_in(admin)
    for kind in KINDS:
        _response, path = download(client, kind, extension, tmp_path)
        outcome = run(kind, str(path), admin, apply=True)
        assert_unchanged(outcome)
        assert everything() == before, kind


def test_every_kind_has_its_columns_and_all_rows(world, admin, tmp_path):
    client = signed_in(admin)
    expected = {
        "customers": 3,
        "contacts": 6,
        "interactions": 6,
        "orders": 9,  # two lines and an order without lines, per customer
        "price_benchmarks": 6,
        "criteria": 6,
        "tickets": 6,
        "churn": 1,
    }
    for kind in KINDS:
        _response, path = download(client, kind, "csv", tmp_path)
        header, *data = as_rows(path)
        assert header == [column.key for column in FORMATS[kind].columns]
        assert len(data) == expected[kind], kind


def test_values_are_written_as_the_import_reads_them(world, admin):
    customers = {row[0]: row for row in exporting.rows("customers", admin)}
    assert customers["C-ALICE"][2:] == ["manufacturing", "east", "alice", "bob", "oscar;tina", "2", "2020-01-01"] + [
        "yes",
        "3;11",
    ]
    assert customers["C-LOST"][5:7] == ["", ""]
    assert list(exporting.rows("churn", admin)) == [
        ["C-LOST", "2026-02-01", "direction_change", "Moved production\nabroad"]
    ]
    tickets = list(exporting.rows("tickets", admin))
    local = [row for row in tickets if row[0].startswith("KA-")][0]
    assert local[11] == "2026-01-05 09:30:12.123456"
    closed = [row for row in tickets if row[0] == "T-C-ALICE"][0]
    assert closed[11:15] == ["2026-01-05 09:30:00", "2026-01-05 10:10:00", "2026-01-07 16:00:00", "2026-01-08 09:00:00"]
    orders = [row for row in exporting.rows("orders", admin) if row[1] == "C-ALICE"]
    assert orders[0][3:8] == ["125000.10", "1", "P-100", "Bearing 6205", "100.00"]
    assert orders[2][4:] == [""] * 7
    contact = world["mine"].contacts.get(external_id="")
    assert [f"KA-{contact.pk}", "C-ALICE"] == [
        row[:2] for row in exporting.rows("contacts", admin) if row[0] == f"KA-{contact.pk}"
    ][0]


def test_chinese_page_exports_chinese_headers_which_import_too(world, admin, tmp_path):
    client = signed_in(admin)
    response, path = download(client, "contacts", "csv", tmp_path, HTTP_ACCEPT_LANGUAGE="zh-hans")
    header = as_rows(path)[0]
    assert header[:2] == ["外部编号", "客户编码"]
    assert response["Content-Disposition"].startswith('attachment; filename="contacts-')
    assert_unchanged(run("contacts", str(path), admin, apply=True))


def test_deleted_rows_are_recreated_as_they_were(world, admin, tmp_path):
    client = signed_in(admin)
    files = {kind: download(client, kind, "csv", tmp_path)[1] for kind in KINDS}
    leave_out = ("id", "external_id", "created_at", "updated_at", "response_due_at", "resolution_due_at")
    gone = {
        rm.Contact: rm.Contact.objects.filter(customer=world["mine"]),
        rm.Interaction: rm.Interaction.objects.filter(customer=world["mine"]),
        am.PurchaseCriterion: am.PurchaseCriterion.objects.filter(customer=world["mine"]),
        cm.Ticket: cm.Ticket.objects.filter(customer=world["mine"]),
        am.PriceBenchmark: am.PriceBenchmark.objects.filter(customer=world["mine"]),
        am.Order: am.Order.objects.filter(customer=world["mine"]),
    }
    before = {model: snapshot(model, leave_out=leave_out) for model in gone}
    lines_before = lines()
    old_local_ids = {
        model: sorted(qs.filter(external_id="").values_list("pk", flat=True))
        for model, qs in gone.items()
        if model not in (am.PriceBenchmark, am.Order)
    }
    for qs in gone.values():
        qs.delete()
    for kind in KINDS:
        outcome = run(kind, str(files[kind]), admin, apply=True)
        assert outcome.ok, (kind, outcome.errors)
    after = {model: snapshot(model, leave_out=leave_out) for model in before}
    for model in gone:
        assert sorted(after[model], key=repr) == sorted(before[model], key=repr), model.__name__
    assert lines() == lines_before
    # Records that had no external id come back under the key they were exported with, so a
    # second import finds them instead of creating them again.
    for model, pks in old_local_ids.items():
        assert sorted(
            model.objects.filter(external_id__startswith="KA-").values_list("external_id", flat=True)
        ) == sorted(f"KA-{pk}" for pk in pks)
    for kind in KINDS:
        assert_unchanged(run(kind, str(files[kind]), admin, apply=True))


# Who sees what -----------------------------------------------------------------------------------


def codes(kind, user):
    position = [c.key for c in FORMATS[kind].columns].index("code" if kind == "customers" else "customer_code")
    return {row[position] for row in exporting.rows(kind, user)}


@pytest.mark.parametrize("kind", KINDS)
def test_account_managers_export_their_customers_only(world, alice, bob, tina, oscar, erin, sam, admin, kind):
    every = {"C-ALICE", "C-LOST", "C-OSCAR"} if kind != "churn" else {"C-LOST"}
    assert codes(kind, alice) == every - {"C-OSCAR"}
    assert codes(kind, bob) == {"C-ALICE"} & every
    # oscar is on the team of alice's first customer: he sees it, and not her churned one.
    assert codes(kind, oscar) == {"C-ALICE", "C-OSCAR"} & every
    for whole_book in (erin, sam, admin):
        assert codes(kind, whole_book) == every


def test_outsider_exports_nothing_of_another_managers_customers(world, tmp_path):
    outsider = f.account_manager("olga")
    assert all(not list(exporting.rows(kind, outsider)) for kind in KINDS)
    _response, path = download(signed_in(outsider), "contacts", "xlsx", tmp_path)
    assert as_rows(path) == [[c.key for c in FORMATS["contacts"].columns]]


def test_nobody_without_a_role_gets_headers_only(world, tmp_path):
    _response, path = download(signed_in(f.UserFactory()), "tickets", "csv", tmp_path)
    assert len(as_rows(path)) == 1


def test_a_manager_cannot_take_over_another_managers_record_by_its_local_id(world, alice, tmp_path):
    theirs = world["theirs"].contacts.get(external_id="")
    path = tmp_path / "contacts.csv"
    path.write_text(
        "external_id,customer_code,name,department,buying_role,joined_on\n"
        f"KA-{theirs.pk},C-ALICE,Taken,procurement,decision_maker,2021-01-01\n",
        encoding="utf-8",
    )
    outcome = run("contacts", str(path), alice, apply=True)
    assert not outcome.ok
    assert "customer you do not look after" in outcome.errors[0]["why"]
    theirs.refresh_from_db()
    assert theirs.customer == world["theirs"]


def test_unknown_kind_or_extension_is_not_found(admin):
    client = signed_in(admin)
    assert client.get("/import/export/secrets.csv").status_code == 404
    assert client.get("/import/export/contacts.pdf").status_code == 404
    assert Client().get("/import/export/contacts.csv").status_code == 302


# Streaming: the same queries for one row as for many ---------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_export_queries_do_not_grow_with_rows(world, alice, kind):
    def queries():
        user = type(alice).objects.get(pk=alice.pk)  # a fresh user: roles not yet cached
        with CaptureQueriesContext(connection) as captured:
            list(exporting.rows(kind, user))
        return len(captured)

    few = queries()
    customer = f.CustomerFactory(owner=alice, team=[f.UserFactory(), f.UserFactory()])
    for _ in range(3):
        f.ContactFactory(customer=customer)
        f.DeliveryLineFactory(order=f.OrderFactory(customer=customer))
        f.TicketFactory(customer=customer)
        f.InteractionFactory(customer=customer)
        f.PurchaseCriterionFactory(customer=customer)
    assert queries() == few


# Formula injection -------------------------------------------------------------------------------


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_formulas_export_as_text_and_read_back(world, admin, tmp_path, extension):
    formula = '=HYPERLINK("http://evil.example","click")'
    plain = f.ContactFactory(customer=world["mine"], name=formula)
    hidden = f.ContactFactory(customer=world["mine"], name="\x01=cmd|' /C calc'!A0")
    quoted = f.ContactFactory(customer=world["mine"], name="'@already quoted")
    _response, path = download(signed_in(admin), "contacts", extension, tmp_path)
    names = {row[0]: row[2] for row in as_rows(path)[1:]}
    assert names[f"KA-{plain.pk}"] == "'" + formula
    assert names[f"KA-{hidden.pk}"] == "'=cmd|' /C calc'!A0"
    assert names[f"KA-{quoted.pk}"] == "''@already quoted"
    if extension == "xlsx":
        sheet = load_workbook(path).active
        assert all(cell.data_type == "s" for row in sheet.iter_rows(min_row=2) for cell in row if cell.value)
    outcome = run("contacts", str(path), admin, apply=True)
    assert outcome.ok, outcome.errors
    assert outcome.counts["contacts"]["updated"] == 1  # the control character is gone, the rest is as it was
    for contact in (plain, quoted):
        before = contact.name
        contact.refresh_from_db()
        assert contact.name == before
    hidden.refresh_from_db()
    assert hidden.name == "=cmd|' /C calc'!A0"


@pytest.mark.django_db(transaction=True)
def test_the_csv_streams_outside_a_transaction_too(tmp_path):
    """As in production: the rows are read while the response streams, after the view returned
    (on PostgreSQL through server-side cursors, two at once for the customers and their teams)."""
    owner = f.account_manager("ann")
    for number in range(3):
        f.CustomerFactory(code=f"S{number}", owner=owner, team=[f.UserFactory(username=f"mate{number}")])
    admin = f.UserFactory(username="boss", is_superuser=True)
    _response, path = download(signed_in(admin), "customers", "csv", tmp_path)
    rows = as_rows(path)[1:]
    assert [(row[0], row[6]) for row in rows] == [("S0", "mate0"), ("S1", "mate1"), ("S2", "mate2")]
