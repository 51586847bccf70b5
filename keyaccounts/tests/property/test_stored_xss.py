"""Stored XSS: a payload in every free-text field of every record a user can write (and in the
names of our people) is shown as text everywhere — on every page and htmx fragment that shows it,
in the charts' JSON (only through json_script), in the API's JSON, in the CSV and XLSX exports
(a formula never starts a cell), and in the notification e-mails (one-line subjects).

The fields are found on the models (every CharField and TextField without choices), not listed
by hand, so a new text field is covered without a change here.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import models
from django.urls import resolve, reverse
from openpyxl import load_workbook

from accounts import models as am
from accounts.spreadsheet_safety import FORMULA_TRIGGERS
from complaints import models as cm
from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f
from keyaccounts.tests.xlsx_export import records_download, xlsx_download
from relationships import models as rm

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</script><script>alert(1)</script>",
    "javascript:alert(1)",
    "{{7*7}}",
    '=HYPERLINK("http://x")',
]
# What must never be in an HTML answer: the payloads as markup.
UNESCAPED = ("<script>alert(1)", "<img src=x onerror", "</script><script>")
# Fields that are not free text a person types (keys the code reads, hashes, language codes).
NOT_TEXT = {"password", "username", "email", "phone", "code", "sku", "number", "link", "language", "external_id"}


def _text_fields(model) -> list[models.Field]:
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField)
        and not field.choices
        and not field.primary_key
        and field.name not in NOT_TEXT
    ]


def fill(obj, payload: str) -> None:
    """Every free-text field of ``obj`` holds the payload (cut to the column's length)."""
    values = {}
    for field in _text_fields(type(obj)):
        limit = field.max_length or len(payload)
        values[field.name] = payload[:limit]
    if values:
        type(obj).objects.filter(pk=obj.pk).update(**values)
        obj.refresh_from_db()


class World:
    def __init__(self, payload: str, alice, bob, tina, erin, sam, customer):
        today = business_today()
        self.payload = payload
        self.customer = customer
        self.contact = f.ContactFactory(customer=customer)
        self.interaction = f.InteractionFactory(customer=customer, occurred_on=today - timedelta(days=3))
        self.interaction.contacts.add(self.contact)
        self.interaction.our_people.add(tina)
        self.cadence = f.CadenceFactory(customer=customer, owner=alice)
        self.criterion = f.PurchaseCriterionFactory(customer=customer, competitor=f.CompetitorFactory())
        self.plan = f.AccountPlanFactory(customer=customer)
        self.need = f.ProductNeedFactory(customer=customer)
        self.incentive = f.IncentiveFactory(
            customer=customer, starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=60)
        )
        self.override = f.RiskOverrideFactory(
            customer=customer, set_by=alice, starts_on=today - timedelta(days=1), expires_on=today + timedelta(days=30)
        )
        self.order = f.OrderFactory(customer=customer, ordered_on=today - timedelta(days=40))
        self.line = f.DeliveryLineFactory(order=self.order)
        self.benchmark = f.PriceBenchmarkFactory(customer=customer, observed_on=today - timedelta(days=20))
        self.snapshot = f.RiskSnapshotFactory(customer=customer, as_of=today - timedelta(days=1))
        self.ticket = f.TicketFactory(customer=customer, contact=self.contact)
        self.event = f.TicketEventFactory(ticket=self.ticket)
        self.alert = f.AlertFactory(customer=customer, as_of=today - timedelta(days=1))
        self.alert.recipients.set([alice])
        self.notification = f.NotificationFactory(
            recipient=alice,
            ticket=self.ticket,
            params={"text": payload, "subject": payload, "customer": payload},
            link=reverse("ticket_detail", args=[self.ticket.pk]),
        )
        records = [
            customer,
            self.contact,
            self.interaction,
            self.cadence,
            self.criterion,
            self.criterion.competitor,
            self.plan,
            self.need,
            self.incentive,
            self.override,
            self.order,
            self.line,
            self.line.product,
            self.benchmark,
            self.ticket,
            self.event,
            self.alert,
        ]
        for record in records:
            fill(record, payload)
        # Our people's names show wherever a person is named.
        get_user_model().objects.filter(pk__in=[alice.pk, bob.pk, tina.pk]).update(
            first_name=payload[:150], last_name=payload[:150]
        )
        self.users = {"alice": alice, "erin": erin, "sam": sam}
        # The dashboard and its export read the nightly summaries: made from the records above.
        from accounts.portfolio.summaries import portfolio_summaries_refresh

        portfolio_summaries_refresh(as_of=today - timedelta(days=1))


@pytest.fixture(params=PAYLOADS, ids=range(len(PAYLOADS)))
def world(request, alice, bob, tina, erin, sam, customer):
    return World(request.param, alice, bob, tina, erin, sam, customer)


def _pages(w: World) -> list[tuple[str, str, dict]]:
    """(who, url, query) of every page and fragment that shows the world's records."""
    c = w.customer.pk
    q = {"q": w.payload[:20]}
    return [
        ("alice", reverse("customer_detail", args=[c]), {}),
        ("alice", reverse("customer_timeline", args=[c]), {}),
        ("alice", reverse("relationship_section", args=[c]), {}),
        ("alice", reverse("supply_section", args=[c]), {}),
        ("alice", reverse("pricing_section", args=[c]), {}),
        ("alice", reverse("intel_section", args=[c]), {}),
        ("alice", reverse("account_section", args=[c]), {}),
        ("alice", reverse("criteria_section", args=[c]), {}),
        ("alice", reverse("strategy_section", args=[c]), {}),
        ("alice", reverse("criterion_assess", args=[c]), {"criterion": w.criterion.pk}),
        ("alice", reverse("account_plan_edit", args=[c]), {}),
        ("alice", reverse("need_status", args=[c, w.need.pk]), {}),
        ("alice", reverse("incentive_edit", args=[c, w.incentive.pk]), {}),
        ("alice", reverse("incentive_end", args=[c, w.incentive.pk]), {}),
        ("alice", reverse("contact_create", args=[c]), {}),
        ("alice", reverse("contact_update", args=[c, w.contact.pk]), {}),
        ("alice", reverse("contact_left", args=[c, w.contact.pk]), {}),
        ("alice", reverse("interaction_log", args=[c]), {}),
        ("alice", reverse("interaction_update", args=[c, w.interaction.pk]), {}),
        ("alice", reverse("cadence_create", args=[c]), {}),
        ("alice", reverse("cadence_update", args=[c, w.cadence.pk]), {}),
        ("alice", reverse("cadence_end", args=[c, w.cadence.pk]), {}),
        ("alice", reverse("ticket_quick_open", args=[c]), {}),
        ("alice", reverse("home"), {}),
        ("alice", reverse("home"), q),
        ("alice", reverse("today"), {}),
        ("alice", reverse("today_badge"), {}),
        ("alice", reverse("search"), q),
        ("alice", reverse("search_live"), q),
        ("alice", reverse("notification_list"), {}),
        ("alice", reverse("notification_badge"), {}),
        ("alice", reverse("ticket_detail", args=[w.ticket.pk]), {}),
        ("alice", reverse("profile"), {}),
        ("sam", reverse("ticket_queue"), {}),
        ("sam", reverse("ticket_queue"), {"customer": w.payload}),
        ("sam", reverse("hotline"), q),
        ("sam", reverse("hotline_record", args=[c]), {"contact": w.contact.pk}),
        ("erin", reverse("portfolio_dashboard"), {}),
        ("erin", reverse("complaint_analytics"), {}),
        ("erin", reverse("risk_quality"), {}),
        ("erin", reverse("customer_detail", args=[c]), {}),
        ("erin", reverse("relationship_section", args=[c]), {}),
        ("erin", reverse("customer_timeline", args=[c]), {}),
    ]


def assert_html_safe(body: str, what: str) -> None:
    for marker in UNESCAPED:
        assert marker not in body, f"{what}: {marker!r} unescaped"
    lowered = body.lower()
    for attribute in ('href="javascript:', "href='javascript:", 'src="javascript:', 'action="javascript:'):
        assert attribute not in lowered, f"{what}: a javascript: URL in an attribute"


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_every_page_shows_the_payloads_as_text(client, world, htmx):
    shown = 0
    for who, url, query in _pages(world):
        client.force_login(world.users[who])
        response = client.get(url, query, headers={"HX-Request": "true"} if htmx else {})
        what = f"GET {url} {query} as {who}{' (htmx)' if htmx else ''}"
        assert response.status_code in (200, 302), f"{what}: {response.status_code}"
        if response.status_code == 200:
            body = response.content.decode()
            assert_html_safe(body, what)
            shown += body.count("alert(1)") + body.count("{{7*7}}") + body.count("HYPERLINK")
    assert shown, "no page showed the payload at all: the world is not what the test means"


def test_the_customer_page_shows_the_payload_escaped(client, world):
    from django.utils.html import escape

    client.force_login(world.users["alice"])
    body = client.get(reverse("customer_detail", args=[world.customer.pk])).content.decode()
    assert escape(world.payload) in body


def test_the_charts_json_is_embedded_only_through_json_script(client, world):
    """The charts' data is a <script type="application/json"> block whose text cannot end it early."""
    import re

    for who, url in [
        ("erin", reverse("portfolio_dashboard")),
        ("erin", reverse("complaint_analytics")),
        ("alice", reverse("customer_detail", args=[world.customer.pk])),
        ("alice", reverse("supply_section", args=[world.customer.pk])),
    ]:
        client.force_login(world.users[who])
        body = client.get(url).content.decode()
        for block in re.findall(r'<script id="[^"]+" type="application/json">(.*?)</script>', body, re.S):
            assert "<" not in block, f"{url}: a json_script block holds a raw '<'"
            json.loads(block)


def test_the_api_gives_the_payload_as_json_data(client, world):
    client.force_login(world.users["alice"])
    for url in [
        "/api/v1/customers/",
        f"/api/v1/customers/{world.customer.pk}/",
        "/api/v1/contacts/",
        "/api/v1/interactions/",
        "/api/v1/tickets/",
        "/api/v1/alerts/",
        "/api/v1/orders/",
        "/api/v1/deliveries/",
        "/api/v1/risk-snapshots/",
    ]:
        response = client.get(url, HTTP_ACCEPT="application/json")
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("application/json"), url
        data = json.loads(response.content)
        assert data is not None
    customer = json.loads(client.get(f"/api/v1/customers/{world.customer.pk}/").content)
    assert customer["name"] == world.payload[: am.Customer._meta.get_field("name").max_length]


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _cells_of(content: bytes, extension: str) -> list:
    if extension == "csv":
        return [cell for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for cell in row]
    book = load_workbook(io.BytesIO(content))
    return [cell.value for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def _exports(world) -> list[tuple[str, str, str]]:
    exports = [("alice", reverse("export_csv"), "csv"), ("alice", reverse("export_xlsx"), "xlsx")]
    exports += [("erin", reverse("portfolio_dashboard_xlsx"), "xlsx")]
    for kind in ("customers", "contacts", "interactions", "criteria", "tickets", "orders", "price_benchmarks"):
        for extension in ("csv", "xlsx"):
            exports.append(("erin", reverse("export_records", args=[kind, extension]), extension))
    return exports


def test_no_exported_cell_starts_with_a_formula(client, world):
    found = 0
    for who, url, extension in _exports(world):
        client.force_login(world.users[who])
        if url == reverse("export_xlsx"):
            response = xlsx_download(client)
        elif resolve(url).url_name == "export_records":
            response = records_download(client, *resolve(url).kwargs.values())
        else:
            response = client.get(url)
        if response.status_code == 404:
            continue  # a kind without an export
        assert response.status_code == 200, f"{url}: {response.status_code}"
        for cell in _cells_of(_content(response), extension):
            if isinstance(cell, str):
                assert not cell.startswith(FORMULA_TRIGGERS), f"{url}: the cell {cell[:60]!r} starts a formula"
                found += world.payload[:10] in cell
    assert found, "no export held the payload: the world is not what the test means"


def test_an_import_job_page_shows_hostile_headers_and_cells_as_text(client, world, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world.users["alice"])
    p = world.payload
    content = f"name,customer_code,{p}\n{p},{p},{p}\n".encode()
    response = client.post(
        reverse("import_index"), {"kind": "contacts", "file": SimpleUploadedFile("contacts.csv", content)}
    )
    assert response.status_code == 302
    job = client.get(response["Location"])
    assert job.status_code == 200
    assert_html_safe(job.content.decode(), "the import job page")


@pytest.mark.parametrize(
    "subject", ["<script>alert(1)</script>", "Broken\r\nBcc: evil@example.com", "=cmd|' /C calc'!A0"]
)
def test_notification_emails_carry_the_text_as_text_with_one_line_subjects(
    client, sam, alice, customer, subject, django_capture_on_commit_callbacks
):
    from accounts.permissions import ROLE_ADMIN

    get_user_model().objects.filter(pk=alice.pk).update(email="alice@example.com")
    for user in [f.UserFactory(username="adam", role=ROLE_ADMIN, email="adam@example.com")]:
        f.DepartmentHeadFactory(user=user)

    client.force_login(sam)
    body = {
        "subject": subject,
        "kind": cm.Ticket.Kind.COMPLAINT,
        "category": cm.Ticket.Category.values[0],
        "severity": cm.Severity.HIGH,
        "channel": cm.Ticket.Channel.HOTLINE,
        "description": subject,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("hotline_record", args=[customer.pk]), body)
    assert response.status_code in (200, 302), response.status_code
    assert cm.Ticket.objects.exists()
    assert mail.outbox, "recording a complaint sent no e-mail: the test does not test anything"
    for message in mail.outbox:
        assert "\n" not in message.subject and "\r" not in message.subject
        assert message.content_subtype == "plain"
        for alternative, mimetype in getattr(message, "alternatives", []):
            if "html" in mimetype:
                assert_html_safe(alternative, "an e-mail's HTML part")


def test_the_weekly_digest_carries_the_names_as_text_with_a_one_line_subject(world, erin):
    from accounts.portfolio.digest import digest_send_weekly

    get_user_model().objects.filter(pk=erin.pk).update(email="erin@example.com")
    assert digest_send_weekly(today=business_today()) == 1
    (message,) = mail.outbox
    assert "\n" not in message.subject and "\r" not in message.subject
    assert message.content_subtype == "plain" and not getattr(message, "alternatives", [])


def test_the_relationship_models_have_text_fields_to_fill():
    """The field discovery finds what a person types (a guard on `_text_fields`)."""
    names = {
        f"{model.__name__}.{field.name}"
        for model in (rm.Contact, rm.Interaction, cm.Ticket)
        for field in _text_fields(model)
    }
    assert {"Contact.name", "Contact.title", "Interaction.notes", "Ticket.subject", "Ticket.description"} <= names


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_imported_rows_with_payloads_show_as_text_and_export_without_formulas(
    client, alice, customer, payload, tmp_path
):
    """Rows arriving by import (contacts, interactions, criteria) take the same way to the pages."""
    from exchange.engine import run

    today = business_today().isoformat()
    files = {
        "contacts": [
            ["external_id", "customer_code", "name", "title", "department", "buying_role", "joined_on"],
            ["X-1", customer.code, payload, payload, "procurement", "user", today],
        ],
        "interactions": [
            ["external_id", "customer_code", "occurred_on", "kind", "subject", "notes"],
            ["X-2", customer.code, today, "call", payload, payload],
        ],
        "criteria": [
            [
                "external_id",
                "customer_code",
                "criterion",
                "importance",
                "we_meet",
                "competitor_meets",
                "assessed_on",
                "notes",
            ],
            ["X-3", customer.code, payload, "3", "yes", "no", today, payload],
        ],
    }
    for kind, rows in files.items():
        path = tmp_path / f"{kind}.csv"
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        path.write_text(out.getvalue(), encoding="utf-8")
        outcome = run(kind, path, alice, apply=True)
        assert outcome.applied, f"{kind}: {outcome.errors}"
    client.force_login(alice)
    for url in (
        reverse("customer_detail", args=[customer.pk]),
        reverse("customer_timeline", args=[customer.pk]),
        reverse("relationship_section", args=[customer.pk]),
        reverse("criteria_section", args=[customer.pk]),
        reverse("search") + "?q=" + "X",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_html_safe(response.content.decode(), url)
    for kind in files:
        for extension in ("csv", "xlsx"):
            response = records_download(client, kind, extension)
            for cell in _cells_of(_content(response), extension):
                assert not (isinstance(cell, str) and cell.startswith(FORMULA_TRIGGERS)), (kind, extension, cell)
