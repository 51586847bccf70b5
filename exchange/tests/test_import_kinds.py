"""Every kind of import on good files: preview, apply, re-import, one changed row, and the file
shapes people send (Chinese headers, BOM, GB18030, XLSX, semicolons, columns left out)."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from accounts.models import (
    Competitor,
    Customer,
    CustomerStatus,
    DeliveryLine,
    Order,
    PriceBenchmark,
    Product,
    PurchaseCriterion,
)
from complaints.models import Ticket
from exchange.engine import run
from exchange.tests.conftest import csv_text, row_counts
from keyaccounts.clock import project_zone
from keyaccounts.tests import factories as f
from relationships.models import Contact, Interaction

pytestmark = pytest.mark.django_db


def counts(created=0, updated=0, unchanged=0):
    return {"created": created, "updated": updated, "unchanged": unchanged}


def imported(kind, path, user, *, apply=True):
    outcome = run(kind, path, user, apply=apply)
    assert outcome.ok, outcome.errors
    assert outcome.applied is apply
    return outcome


def latest_history(model, pk):
    return model.history.filter(id=pk).order_by("-history_id").first()


def roundtrip(write, kind, rows, changed_rows, user, model, label=None):
    """Preview, apply, re-import (nothing changes) and import with one row changed.

    Returns the primary keys of the records of the changed row, for the caller to check values."""
    label = label or kind
    n = len(rows) - 1
    before = row_counts()
    preview = imported(kind, write(csv_text(rows), "first.csv"), user, apply=False)
    assert preview.counts[label] == counts(created=n)
    assert row_counts() == before, "a preview wrote to the database"

    applied = imported(kind, write(csv_text(rows), "first.csv"), user)
    assert applied.counts[label] == counts(created=n)
    assert model.objects.count() == before[model._meta.db_table] + n
    created = model.history.filter(history_type="+")
    assert created.count() == n
    assert {h.history_user_id for h in created} == {user.pk}

    history = row_counts()
    again = imported(kind, write(csv_text(rows), "again.csv"), user)
    assert again.counts[label] == counts(unchanged=n)
    assert row_counts() == history, "re-importing the same file changed something"

    preview = imported(kind, write(csv_text(changed_rows), "changed.csv"), user, apply=False)
    assert preview.counts[label] == counts(updated=1, unchanged=n - 1)
    assert row_counts() == history
    changed = imported(kind, write(csv_text(changed_rows), "changed.csv"), user)
    assert changed.counts[label] == counts(updated=1, unchanged=n - 1)
    updates = model.history.filter(history_type="~")
    assert updates.count() == 1
    update = updates.get()
    assert update.history_user_id == user.pk
    assert update.history_change_reason
    return update.id


# Customers -----------------------------------------------------------------------------------
CUSTOMER_HEADER = [
    "code",
    "name",
    "industry",
    "region",
    "owner",
    "backup_owner",
    "account_team",
    "relationship_level",
    "customer_since",
    "tier_pinned",
    "peak_months",
]


def test_customers(write, admin, alice, bob, tina, oscar):
    rows = [
        CUSTOMER_HEADER,
        [
            "K1",
            "华东精密机械有限公司",
            "manufacturing",
            "east",
            "alice",
            "bob@example.com",
            "tina;oscar",
            3,
            "2019-04-01",
            "yes",
            "11;3;4",
        ],
        ["K2", "Beta Motors", "Automotive", "华北", "ALICE", "", "", "", "2020/02/29", "", ""],
    ]
    changed = [rows[0], rows[1], ["K2", "Beta Motors Ltd", *rows[2][2:]]]
    pk = roundtrip(write, "customers", rows, changed, admin, Customer)
    first = Customer.objects.get(code="K1")
    assert first.name == "华东精密机械有限公司"
    assert (first.industry, first.region) == ("manufacturing", "east")
    assert (first.owner, first.backup_owner) == (alice, bob)
    assert set(first.account_team.all()) == {tina, oscar}
    assert first.relationship_level == 3
    assert first.customer_since == date(2019, 4, 1)
    assert first.tier_pinned is True
    assert first.peak_months == [3, 4, 11]
    assert first.status == CustomerStatus.ACTIVE
    second = Customer.objects.get(pk=pk)
    assert second.code == "K2" and second.name == "Beta Motors Ltd"
    assert (second.industry, second.region, second.owner, second.backup_owner) == ("automotive", "north", alice, None)
    assert second.relationship_level == 1 and second.tier_pinned is False and second.peak_months == []
    assert second.customer_since == date(2020, 2, 29)
    assert list(second.account_team.all()) == []


def test_customers_account_team_change_alone_is_an_update(write, admin, alice, tina, oscar):
    header = ["code", "name", "industry", "region", "owner", "customer_since", "account_team"]
    imported(
        "customers", write(csv_text([header, ["K1", "A", "retail", "south", "alice", "2020-01-01", "tina"]])), admin
    )
    customer = Customer.objects.get(code="K1")
    outcome = imported(
        "customers",
        write(csv_text([header, ["K1", "A", "retail", "south", "alice", "2020-01-01", "tina;oscar"]])),
        admin,
    )
    assert outcome.counts["customers"] == counts(updated=1)
    assert set(customer.account_team.all()) == {tina, oscar}
    update = latest_history(Customer, customer.pk)
    assert update.history_type == "~" and update.history_user == admin
    assert {m.user_id for m in update.account_team.all()} == {tina.pk, oscar.pk}


def test_customers_with_chinese_headers_and_labels(write, admin, alice):
    rows = [
        ["客户编码", "客户名称", "行业", "区域", "客户经理", "合作起始日", "旺季月份"],
        ["K1", "杭州机电", "制造业", "华东", "alice", "2021-05-06", "1；12"],
    ]
    imported("customers", write(csv_text(rows)), admin)
    customer = Customer.objects.get(code="K1")
    assert (customer.name, customer.industry, customer.region, customer.owner) == (
        "杭州机电",
        "manufacturing",
        "east",
        alice,
    )
    assert customer.peak_months == [1, 12]


def test_customers_utf8_bom(write, admin, alice):
    rows = [
        CUSTOMER_HEADER[:5] + ["customer_since"],
        ["K1", "无锡轴承", "manufacturing", "east", "alice", "2021-01-01"],
    ]
    path = write("\ufeff" + csv_text(rows))
    imported("customers", path, admin)
    assert Customer.objects.get(code="K1").name == "无锡轴承"


def test_customers_gb18030(write, admin, alice):
    rows = [
        ["客户编码", "客户名称", "行业", "区域", "客户经理", "合作起始日"],
        ["K1", "广州精密齿轮有限公司", "制造业", "华南", "alice", "2021-01-01"],
    ]
    path = write(csv_text(rows), encoding="gb18030")
    imported("customers", path, admin)
    customer = Customer.objects.get(code="K1")
    assert (customer.name, customer.region) == ("广州精密齿轮有限公司", "south")


def test_customers_semicolon_separated(write, admin, alice, tina, oscar):
    rows = [
        ["code", "name", "industry", "region", "owner", "customer_since", "account_team"],
        ["K1", "Gamma, Inc", "retail", "south", "alice", "2021-01-01", "tina,oscar"],
    ]
    imported("customers", write(csv_text(rows, delimiter=";")), admin)
    customer = Customer.objects.get(code="K1")
    assert customer.name == "Gamma, Inc"
    assert set(customer.account_team.all()) == {tina, oscar}


def test_customers_xlsx_with_date_and_number_cells(write_xlsx, admin, alice):
    rows = [
        ["code", "name", "industry", "region", "owner", "relationship_level", "customer_since", "peak_months"],
        ["K1", "Delta", "energy", "europe", "alice", 2, datetime(2018, 7, 1), 6],
        [1042, "Epsilon", "Energy", "Europe", "alice", 3.0, date(2019, 1, 31), "6;7"],
    ]
    outcome = imported("customers", write_xlsx(rows), admin)
    assert outcome.counts["customers"] == counts(created=2)
    first, second = Customer.objects.get(code="K1"), Customer.objects.get(code="1042")
    assert (first.relationship_level, first.customer_since, first.peak_months) == (2, date(2018, 7, 1), [6])
    assert (second.relationship_level, second.customer_since, second.peak_months) == (3, date(2019, 1, 31), [6, 7])
    again = imported("customers", write_xlsx(rows, "again.xlsx"), admin)
    assert again.counts["customers"] == counts(unchanged=2)


def test_customers_left_out_columns_stay(write, admin, alice, bob, tina):
    rows = [
        [
            "code",
            "name",
            "industry",
            "region",
            "owner",
            "backup_owner",
            "account_team",
            "customer_since",
            "tier_pinned",
            "peak_months",
            "relationship_level",
        ],
        ["K1", "Zeta", "retail", "south", "alice", "bob", "tina", "2021-01-01", "yes", "2;3", 3],
    ]
    imported("customers", write(csv_text(rows)), admin)
    short = [
        ["code", "name", "industry", "region", "owner", "customer_since"],
        ["K1", "Zeta Group", "retail", "south", "alice", "2021-01-01"],
    ]
    outcome = imported("customers", write(csv_text(short), "short.csv"), admin)
    assert outcome.counts["customers"] == counts(updated=1)
    customer = Customer.objects.get(code="K1")
    assert customer.name == "Zeta Group"
    assert customer.backup_owner == bob
    assert list(customer.account_team.all()) == [tina]
    assert (customer.tier_pinned, customer.peak_months, customer.relationship_level) == (True, [2, 3], 3)
    again = imported("customers", write(csv_text(short), "short.csv"), admin)
    assert again.counts["customers"] == counts(unchanged=1)
    update = latest_history(Customer, customer.pk)
    assert (update.history_type, update.name) == ("~", "Zeta Group")
    assert [m.user_id for m in update.account_team.all()] == [tina.pk], "the audit row lost the account team"


# Contacts, interactions, criteria ------------------------------------------------------------
CONTACT_HEADER = [
    "external_id",
    "customer_code",
    "name",
    "title",
    "department",
    "buying_role",
    "influence",
    "trust",
    "email",
    "phone",
    "joined_on",
    "left_on",
    "internal_owner",
]


def test_contacts(write, admin, customer, alice):
    code = customer.code
    rows = [
        CONTACT_HEADER,
        [
            "P-1",
            code,
            "王伟",
            "采购经理",
            "procurement",
            "decision_maker",
            4,
            5,
            "wang@example.com",
            "+86 21 5555",
            "2021-06-01",
            "",
            "alice",
        ],
        ["P-2", code, "Li Na", "", "采购", "决策者", "", "", "", "", "2022-01-01", "2023-02-01", ""],
    ]
    changed = [rows[0], rows[1], ["P-2", code, "Li Na", "Director", *rows[2][4:]]]
    pk = roundtrip(write, "contacts", rows, changed, admin, Contact)
    first = Contact.objects.get(external_id="P-1")
    assert (first.customer, first.name, first.title, first.department, first.buying_role) == (
        customer,
        "王伟",
        "采购经理",
        "procurement",
        "decision_maker",
    )
    assert (first.influence, first.trust, first.email, first.phone) == (4, 5, "wang@example.com", "+86 21 5555")
    assert (first.joined_on, first.left_on, first.internal_owner) == (date(2021, 6, 1), None, alice)
    second = Contact.objects.get(pk=pk)
    assert (second.external_id, second.title, second.department, second.buying_role) == (
        "P-2",
        "Director",
        "procurement",
        "decision_maker",
    )
    assert (second.influence, second.trust, second.email, second.internal_owner) == (3, 3, "", None)
    assert second.left_on == date(2023, 2, 1)


def test_contacts_by_their_account_manager(write, alice, customer):
    rows = [CONTACT_HEADER[:6] + ["joined_on"], ["P-1", customer.code, "Wang", "", "quality", "user", "2021-01-01"]]
    changed = [rows[0], ["P-1", customer.code, "Wang Wei", "", "quality", "user", "2021-01-01"]]
    rows.append(["P-2", customer.code, "Zhao", "", "finance", "gatekeeper", "2021-01-01"])
    changed.append(rows[2])
    roundtrip(write, "contacts", rows, changed, alice, Contact)
    assert Contact.objects.get(external_id="P-1").name == "Wang Wei"


def test_contacts_left_out_columns_stay(write, admin, customer, alice):
    imported(
        "contacts",
        write(
            csv_text(
                [
                    CONTACT_HEADER,
                    [
                        "P-1",
                        customer.code,
                        "Wang",
                        "Boss",
                        "executive",
                        "champion",
                        5,
                        2,
                        "w@example.com",
                        "123",
                        "2021-01-01",
                        "",
                        "alice",
                    ],
                ]
            )
        ),
        admin,
    )
    short = [
        ["external_id", "customer_code", "name", "department", "buying_role", "joined_on"],
        ["P-1", customer.code, "Wang", "executive", "champion", "2021-01-01"],
    ]
    outcome = imported("contacts", write(csv_text(short), "short.csv"), admin)
    assert outcome.counts["contacts"] == counts(unchanged=1)
    contact = Contact.objects.get(external_id="P-1")
    assert (contact.title, contact.influence, contact.trust, contact.email, contact.phone, contact.internal_owner) == (
        "Boss",
        5,
        2,
        "w@example.com",
        "123",
        alice,
    )


def test_interactions(write, alice, customer, tina):
    code = customer.code
    rows = [
        ["external_id", "customer_code", "occurred_on", "kind", "subject", "notes", "logged_by"],
        ["V-1", code, "2026-03-02", "visit", "季度业务回顾", "long\nnotes", "tina"],
        ["V-2", code, "2026-03-05", "拜访", "Follow-up", "", ""],
    ]
    rows[1][5] = "long, with a comma\nand a tab\there\\N"
    changed = [rows[0], rows[1], ["V-2", code, "2026-03-06", "visit", "Follow-up", "", ""]]
    pk = roundtrip(write, "interactions", rows, changed, alice, Interaction)
    first = Interaction.objects.get(external_id="V-1")
    assert (first.customer, first.occurred_on, first.kind, first.subject, first.notes, first.logged_by) == (
        customer,
        date(2026, 3, 2),
        "visit",
        "季度业务回顾",
        "long, with a comma\nand a tab\there\\N",
        tina,
    )
    second = Interaction.objects.get(pk=pk)
    assert (second.occurred_on, second.kind, second.logged_by) == (date(2026, 3, 6), "visit", None)


def test_interactions_without_logged_by_are_logged_by_the_importer(write, alice, customer):
    rows = [
        ["external_id", "customer_code", "occurred_on", "kind", "subject"],
        ["V-1", customer.code, "2026-03-02", "visit", "Hello"],
    ]
    imported("interactions", write(csv_text(rows)), alice)
    assert Interaction.objects.get(external_id="V-1").logged_by == alice


def test_interaction_imports_keep_the_cadences_due_dates(write, alice, customer):
    other = f.CustomerFactory(owner=alice)
    visits = f.CadenceFactory(customer=customer, interaction_kind="visit", interval_days=30, starts_on=date(2025, 1, 1))
    theirs = f.CadenceFactory(customer=other, interaction_kind="visit", interval_days=30, starts_on=date(2025, 1, 1))
    header = ["external_id", "customer_code", "occurred_on", "kind", "subject"]
    rows = [
        header,
        ["V-1", customer.code, "2026-03-02", "visit", "Hello"],
        ["V-2", other.code, "2026-04-01", "visit", "Hi"],
    ]
    imported("interactions", write(csv_text(rows)), alice)
    visits.refresh_from_db()
    theirs.refresh_from_db()
    assert (visits.last_met_on, visits.due_on) == (date(2026, 3, 2), date(2026, 4, 1))
    assert (theirs.last_met_on, theirs.due_on) == (date(2026, 4, 1), date(2026, 5, 1))
    # V-2 moves to the first customer: the second customer's cadence loses it.
    moved = [header, ["V-2", customer.code, "2026-04-01", "visit", "Hi"]]
    imported("interactions", write(csv_text(moved), "moved.csv"), alice)
    visits.refresh_from_db()
    theirs.refresh_from_db()
    assert (visits.last_met_on, visits.due_on) == (date(2026, 4, 1), date(2026, 5, 1))
    assert (theirs.last_met_on, theirs.due_on) == (None, date(2025, 1, 31))


CRITERIA_HEADER = [
    "external_id",
    "customer_code",
    "criterion",
    "importance",
    "we_meet",
    "competitor_meets",
    "competitor",
    "assessed_on",
    "notes",
]


def test_criteria(write, alice, customer):
    code = customer.code
    rows = [
        CRITERIA_HEADER,
        ["PC-1", code, "交期稳定", 5, "yes", "no", "", "2026-02-01", "key"],
        ["PC-2", code, "Price", 4, "否", "是", "恒达机械", "2026-02-01", ""],
    ]
    changed = [rows[0], rows[1], ["PC-2", code, "Price", 3, "否", "是", "恒达机械", "2026-02-01", ""]]
    pk = roundtrip(write, "criteria", rows, changed, alice, PurchaseCriterion)
    first = PurchaseCriterion.objects.get(external_id="PC-1")
    assert (first.customer, first.criterion, first.importance, first.we_meet, first.competitor_meets) == (
        customer,
        "交期稳定",
        5,
        True,
        False,
    )
    assert (first.competitor, first.assessed_on, first.notes) == (None, date(2026, 2, 1), "key")
    second = PurchaseCriterion.objects.get(pk=pk)
    assert (second.importance, second.we_meet, second.competitor_meets) == (3, False, True)
    assert second.competitor == Competitor.objects.get(name="恒达机械")


# Orders and delivery lines -------------------------------------------------------------------
ORDER_HEADER = [
    "order_number",
    "customer_code",
    "ordered_on",
    "amount",
    "line_no",
    "sku",
    "product_name",
    "quantity_ordered",
    "quantity_delivered",
    "promised_on",
    "delivered_on",
]


def test_orders_with_lines_in_any_order(write, admin, alice):
    f.ProductFactory(sku="P-100", name="Bearing")
    imported(
        "customers",
        write(
            csv_text(
                [
                    ["code", "name", "industry", "region", "owner", "customer_since"],
                    ["K1", "A", "retail", "east", "alice", "2020-01-01"],
                    ["K2", "B", "retail", "east", "alice", "2020-01-01"],
                ]
            ),
            "customers.csv",
        ),
        admin,
    )
    rows = [
        ORDER_HEADER,
        ["SO-2", "K2", "2026-02-14", "1,250.50", 2, "P-200", "New part", "10", "", "2026-03-01", ""],
        ["SO-1", "K1", "2026-01-10", "99.00", 1, "P-100", "", "500", "500", "2026-02-01", "2026-01-30"],
        ["SO-3", "K1", "2026-01-11", "10", "", "", "", "", "", "", ""],
        ["SO-2", "K2", "2026-02-14", "1250.5", 1, "P-100", "", "2.5", "1", "2026-03-01", "2026-02-20"],
        ["SO-1", "K1", "2026-01-10", "99", 2, "P-200", "", "3", "0", "2026-02-01", ""],
    ]
    preview = imported("orders", write(csv_text(rows)), admin, apply=False)
    assert preview.counts["orders"] == counts(created=3)
    assert preview.counts["delivery_lines"] == counts(created=4)
    assert preview.counts["products"] == counts(created=1)
    outcome = imported("orders", write(csv_text(rows)), admin)
    assert outcome.counts["delivery_lines"] == counts(created=4)
    assert Product.objects.get(sku="P-200").name == "New part"
    so1, so2, so3 = (Order.objects.get(number=n) for n in ("SO-1", "SO-2", "SO-3"))
    assert (so1.customer.code, so1.ordered_on, so1.amount) == ("K1", date(2026, 1, 10), Decimal("99.00"))
    assert (so2.customer.code, so2.amount) == ("K2", Decimal("1250.50"))
    assert (so3.amount, so3.lines.count()) == (Decimal("10.00"), 0)
    lines = {(line.order.number, line.line_no): line for line in DeliveryLine.objects.all()}
    assert set(lines) == {("SO-1", 1), ("SO-1", 2), ("SO-2", 1), ("SO-2", 2)}
    line = lines[("SO-2", 1)]
    assert (line.product.sku, line.quantity_ordered, line.quantity_delivered) == (
        "P-100",
        Decimal("2.50"),
        Decimal("1.00"),
    )
    assert (line.promised_on, line.delivered_on) == (date(2026, 3, 1), date(2026, 2, 20))
    assert lines[("SO-1", 2)].delivered_on is None and lines[("SO-1", 2)].quantity_delivered == 0
    assert DeliveryLine.history.filter(history_type="+", history_user=admin).count() == 4

    history = row_counts()
    again = imported("orders", write(csv_text(rows[:1] + rows[:0:-1]), "reversed.csv"), admin)
    assert again.counts["orders"] == counts(unchanged=3)
    assert again.counts["delivery_lines"] == counts(unchanged=4)
    assert row_counts() == history

    rows[4][7] = "3"
    changed = imported("orders", write(csv_text(rows), "changed.csv"), admin)
    assert changed.counts["orders"] == counts(unchanged=3)
    assert changed.counts["delivery_lines"] == counts(updated=1, unchanged=3)
    line.refresh_from_db()
    assert line.quantity_ordered == Decimal("3.00")
    update = DeliveryLine.history.get(history_type="~")
    assert (update.id, update.history_user) == (line.pk, admin)


def test_orders_only_file_then_lines_added(write, admin, customer):
    rows = [
        ["order_number", "customer_code", "ordered_on", "amount"],
        ["SO-1", customer.code, "2026-01-10", "100"],
        ["SO-2", customer.code, "2026-01-11", "200"],
    ]
    changed = [rows[0], rows[1], ["SO-2", customer.code, "2026-01-11", "250.75"]]
    pk = roundtrip(write, "orders", rows, changed, admin, Order)
    assert Order.objects.get(pk=pk).amount == Decimal("250.75")
    f.ProductFactory(sku="P-1")
    lines = [
        ORDER_HEADER[:6] + ["quantity_ordered", "promised_on"],
        ["SO-1", customer.code, "2026-01-10", "100", 1, "P-1", 5, "2026-02-01"],
    ]
    outcome = imported("orders", write(csv_text(lines), "lines.csv"), admin)
    assert outcome.counts["orders"] == counts(unchanged=1)
    assert outcome.counts["delivery_lines"] == counts(created=1)


def test_orders_xlsx(write_xlsx, admin, customer):
    f.ProductFactory(sku="P-1")
    rows = [
        ORDER_HEADER,
        [
            "SO-1",
            customer.code,
            datetime(2026, 1, 10),
            1234.5,
            1,
            "P-1",
            None,
            12,
            12,
            date(2026, 2, 1),
            date(2026, 1, 31),
        ],
        [
            "SO-1",
            customer.code,
            date(2026, 1, 10),
            "1234.50",
            2.0,
            "P-1",
            None,
            0.1 + 0.2,
            None,
            date(2026, 2, 1),
            None,
        ],
    ]
    outcome = imported("orders", write_xlsx(rows), admin)
    assert outcome.counts["delivery_lines"] == counts(created=2)
    order = Order.objects.get(number="SO-1")
    assert order.amount == Decimal("1234.50")
    assert [line.quantity_ordered for line in order.lines.order_by("line_no")] == [Decimal("12.00"), Decimal("0.30")]


# Price benchmarks ----------------------------------------------------------------------------
def test_price_benchmarks(write, admin, customer):
    f.ProductFactory(sku="P-100")
    code = customer.code
    rows = [
        ["customer_code", "sku", "observed_on", "our_price", "market_average_price", "competitor", "competitor_quote"],
        [code, "P-100", "2026-01-15", "98.50", "95", "恒达机械", "91.00"],
        [code, "P-100", "2026-02-15", "97", "95.5", "", ""],
    ]
    changed = [rows[0], rows[1], [code, "P-100", "2026-02-15", "96", "95.5", "", ""]]
    pk = roundtrip(write, "price_benchmarks", rows, changed, admin, PriceBenchmark)
    first = PriceBenchmark.objects.get(observed_on=date(2026, 1, 15))
    assert (first.customer, first.product.sku, first.our_price, first.market_average_price) == (
        customer,
        "P-100",
        Decimal("98.50"),
        Decimal("95.00"),
    )
    assert (first.competitor.name, first.competitor_quote) == ("恒达机械", Decimal("91.00"))
    second = PriceBenchmark.objects.get(pk=pk)
    assert (second.our_price, second.competitor, second.competitor_quote) == (Decimal("96.00"), None, None)


# Tickets -------------------------------------------------------------------------------------
TICKET_HEADER = [
    "external_id",
    "customer_code",
    "kind",
    "category",
    "severity",
    "channel",
    "subject",
    "description",
    "status",
    "department",
    "assigned_to",
    "opened_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "satisfaction",
    "root_cause",
    "corrective_action",
]


def test_tickets_with_timestamps_and_sla(write, admin, customer, sam):
    f.SlaPolicyFactory(tier=customer.tier, severity="high", response_hours=4, resolution_hours=48)
    f.SlaPolicyFactory(tier=customer.tier, severity="low", response_hours=24, resolution_hours=240)
    code = customer.code
    rows = [
        TICKET_HEADER,
        [
            "T-1",
            code,
            "complaint",
            "产品质量",
            "high",
            "24 小时热线",
            "批次尺寸超差",
            "desc",
            "closed",
            "technical",
            "sam",
            "2026-01-05 09:30",
            "2026-01-05 10:10",
            "2026-01-07 16:00",
            "2026-01-08 09:00",
            4,
            "cause",
            "action",
        ],
        [
            "T-2",
            code,
            "Service request",
            "delivery",
            "low",
            "email",
            "Where is it",
            "",
            "new",
            "",
            "",
            "2026-02-01 08:00",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
    ]
    changed = [rows[0], rows[1], [*rows[2][:8], "acknowledged", *rows[2][9:12], "2026-02-01 09:00", *rows[2][13:]]]
    pk = roundtrip(write, "tickets", rows, changed, admin, Ticket)
    zone = project_zone()
    first = Ticket.objects.get(external_id="T-1")
    opened = datetime(2026, 1, 5, 9, 30, tzinfo=zone)
    assert (first.customer, first.kind, first.category, first.severity, first.channel) == (
        customer,
        "complaint",
        "product_quality",
        "high",
        "hotline",
    )
    assert (first.subject, first.description, first.status, first.department, first.assigned_to) == (
        "批次尺寸超差",
        "desc",
        "closed",
        "technical",
        sam,
    )
    assert first.opened_at == opened
    assert first.first_response_at == datetime(2026, 1, 5, 10, 10, tzinfo=zone)
    assert first.resolved_at == datetime(2026, 1, 7, 16, 0, tzinfo=zone)
    assert first.closed_at == datetime(2026, 1, 8, 9, 0, tzinfo=zone)
    assert (first.satisfaction, first.root_cause, first.corrective_action) == (4, "cause", "action")
    assert first.response_due_at == opened + timedelta(hours=4)
    assert first.resolution_due_at == opened + timedelta(hours=48)
    second = Ticket.objects.get(pk=pk)
    assert (second.kind, second.status, second.department, second.assigned_to) == (
        "service_request",
        "acknowledged",
        "service",
        None,
    )
    assert second.first_response_at == datetime(2026, 2, 1, 9, 0, tzinfo=zone)
    assert second.response_due_at == datetime(2026, 2, 1, 8, 0, tzinfo=zone) + timedelta(hours=24)


# Churn ---------------------------------------------------------------------------------------
def test_churn_marks_customers_churned(write, admin, customer, oscars_customer):
    rows = [
        ["customer_code", "churned_on", "churn_reason", "churn_notes"],
        [customer.code, "2026-05-31", "competitor_price", "lost to 恒达"],
        [oscars_customer.code, "2026-04-30", "竞争对手以价格取胜", ""],
    ]
    changed = [rows[0], rows[1], [oscars_customer.code, "2026-04-30", "needs_not_met", ""]]
    preview = imported("churn", write(csv_text(rows)), admin, apply=False)
    assert preview.counts["customers"] == counts(updated=2)
    applied = imported("churn", write(csv_text(rows)), admin)
    assert applied.counts["customers"] == counts(updated=2)
    customer.refresh_from_db()
    assert (customer.status, customer.churned_on, customer.churn_reason, customer.churn_notes) == (
        CustomerStatus.CHURNED,
        date(2026, 5, 31),
        "competitor_price",
        "lost to 恒达",
    )
    history = row_counts()
    again = imported("churn", write(csv_text(rows), "again.csv"), admin)
    assert again.counts["customers"] == counts(unchanged=2)
    assert row_counts() == history
    imported("churn", write(csv_text(changed), "changed.csv"), admin)
    oscars_customer.refresh_from_db()
    assert oscars_customer.churn_reason == "needs_not_met"
    update = latest_history(Customer, oscars_customer.pk)
    assert (update.history_type, update.history_user, update.status) == ("~", admin, CustomerStatus.CHURNED)
    update = latest_history(Customer, customer.pk)
    assert {m.user_id for m in update.account_team.all()} == {m.pk for m in customer.account_team.all()} != set()


def test_tickets_xlsx_with_datetime_cells(write_xlsx, admin, customer):
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
        "resolved_at",
    ]
    rows = [
        header,
        [
            "T-1",
            customer.code,
            "complaint",
            "delivery",
            "high",
            "email",
            "Late",
            "resolved",
            datetime(2026, 1, 5, 9, 30),
            date(2026, 1, 6),
        ],
    ]
    imported("tickets", write_xlsx(rows), admin)
    ticket = Ticket.objects.get(external_id="T-1")
    assert ticket.opened_at == datetime(2026, 1, 5, 9, 30, tzinfo=project_zone())
    assert ticket.resolved_at == datetime(2026, 1, 6, 0, 0, tzinfo=project_zone())
    assert imported("tickets", write_xlsx(rows, "again.xlsx"), admin).counts["tickets"] == counts(unchanged=1)


def test_more_rows_than_one_batch(write, alice, customer):
    header = ["external_id", "customer_code", "occurred_on", "kind", "subject"]
    rows = [header] + [[f"V-{n}", customer.code, "2026-03-02", "call", f"Call {n}"] for n in range(6001)]
    assert imported("interactions", write(csv_text(rows)), alice).counts["interactions"] == counts(created=6001)
    rows[5500][4] = "Changed"
    outcome = imported("interactions", write(csv_text(rows), "changed.csv"), alice)
    assert outcome.counts["interactions"] == counts(updated=1, unchanged=6000)
    assert Interaction.objects.get(external_id="V-5499").subject == "Changed"
