"""The Django admin of the three business apps: every page opens, lists stay cheap, and staff
who are not admins see only their own customers' data there too.
"""

import itertools
import re
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import HistoricalChanges

from accounts import models as am
from accounts.permissions import ROLE_ACCOUNT_MANAGER
from accounts.risk.storage import ensure_snapshot_partitions
from complaints import models as cm
from keyaccounts.tests import factories as f
from relationships import models as rm

APPS = ("accounts", "relationships", "complaints")


def factory_for(model):
    name = f"{model.__name__}Factory"
    found = getattr(f, name, None)
    if found is None:
        pytest.fail(f"{model.__name__} is in the admin but has no {name}: add one to keyaccounts/tests/factories.py")
    return found


def grow_to(model, total):
    """Add rows of `model` until it has `total`."""
    if model is cm.SlaPolicy:
        # One policy per tier and severity: the factory reuses an existing pair.
        for tier, severity in list(itertools.product(am.Tier.values, cm.Severity.values))[:total]:
            f.SlaPolicyFactory(tier=tier, severity=severity)
    else:
        factory_for(model).create_batch(total - model.objects.count())


REGISTERED = sorted(
    (model for model in admin.site._registry if model._meta.app_label in APPS), key=lambda m: m._meta.label
)
WITH_HISTORY = [m for m in REGISTERED if isinstance(admin.site._registry[m], SimpleHistoryAdmin)]
# Written by the nightly jobs, the escalation task or the weekly digest, never by hand.
COMPUTED = {
    am.RiskSnapshot,
    am.RiskStanding,
    am.RiskRun,
    am.ParetoSnapshot,
    am.PortfolioSummary,
    am.BacktestRun,
    am.DigestSend,
    cm.TicketEscalation,
    cm.Notification,
    cm.ComplaintMonth,
    am.ExportJob,
    am.ScoringChunk,
    # Written by the customer page's and the handover page's services (history kept in step).
    am.RelationshipLevelChange,
    am.ChurnEvent,
    am.Handover,
    am.HandoverItem,
}
# Figures over the whole portfolio: admins and executives only, like the dashboard.
PORTFOLIO_WIDE = {am.PortfolioSummary, am.DigestSend, am.BacktestRun, am.Handover}
# Reference data without a customer: every staff user may read all of it.
UNSCOPED = {
    am.Product,
    am.Competitor,
    am.RiskModelVersion,
    am.RiskRun,
    am.ParetoSnapshot,
    cm.SlaPolicy,
    cm.DepartmentHead,
}
# Scoped to a person, not a customer: each sees their own (complaints/tests/test_notifications.py).
PERSONAL = {cm.Notification}
# A log for admins only: who exported what, when (the files are their owners' alone).
ADMINS_ONLY = {am.ExportJob, am.ScoringChunk}
# How each customer-scoped model reaches its customer, when not through `customer`.
CUSTOMER_PATH = {
    am.DeliveryLine: "order__customer",
    cm.TicketEvent: "ticket__customer",
    cm.TicketEscalation: "ticket__customer",
}


def label(model):
    return model._meta.label


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def build_for(model, customer):
    if model is am.Customer:
        return customer
    return factory_for(model)(**{CUSTOMER_PATH.get(model, "customer"): customer})


@pytest.fixture
def staff_alice(alice):
    alice.is_staff = True
    alice.save()
    return alice


# Every page opens ---------------------------------------------------------------------------------


def test_every_model_of_the_business_apps_is_in_the_admin():
    models = {
        model
        for app in APPS
        for model in apps.get_app_config(app).get_models()
        if not issubclass(model, HistoricalChanges)
    }
    assert models - set(REGISTERED) == set()


@pytest.mark.parametrize("model", REGISTERED, ids=label)
def test_changelist_opens_for_superuser(client, superuser, model):
    factory_for(model)()
    client.force_login(superuser)
    assert client.get(admin_url(model, "changelist")).status_code == 200


@pytest.mark.parametrize("model", [m for m in REGISTERED if m not in COMPUTED], ids=label)
def test_add_page_opens_for_superuser(client, superuser, model):
    client.force_login(superuser)
    assert client.get(admin_url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=label)
def test_change_page_opens_for_superuser(client, superuser, model):
    obj = factory_for(model)()
    client.force_login(superuser)
    assert client.get(admin_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", WITH_HISTORY, ids=label)
def test_history_page_opens_for_superuser(client, superuser, model):
    obj = factory_for(model)()
    client.force_login(superuser)
    assert client.get(admin_url(model, "history", obj.pk)).status_code == 200


# Lists stay cheap as data grows -------------------------------------------------------------------


def add_customers_of(owner, count):
    """Customers with a team member and a risk snapshot each: what the changelist reads per row."""
    for _ in range(count):
        snapshot = f.RiskSnapshotFactory(customer__owner=owner)
        snapshot.customer.account_team.add(f.UserFactory())


@pytest.mark.parametrize("who", ["superuser", "staff_alice"])
def test_customer_changelist_queries_do_not_grow_with_customers(client, staff_alice, who, request):
    client.force_login(request.getfixturevalue(who))
    url = admin_url(am.Customer, "changelist")
    add_customers_of(staff_alice, 2)
    client.get(url)
    with CaptureQueriesContext(connection) as with_two:
        client.get(url)
    add_customers_of(staff_alice, 18)
    with CaptureQueriesContext(connection) as with_twenty:
        response = client.get(url)
    assert len(response.context["cl"].result_list) == 20
    assert len(with_twenty) == len(with_two)


@pytest.mark.parametrize("model", REGISTERED, ids=label)
def test_changelist_queries_do_not_grow_with_rows(client, superuser, model):
    client.force_login(superuser)
    url = admin_url(model, "changelist")
    grow_to(model, 2)
    client.get(url)
    with CaptureQueriesContext(connection) as with_two:
        client.get(url)
    grow_to(model, 8)
    with CaptureQueriesContext(connection) as with_eight:
        response = client.get(url)
    assert response.context["cl"].result_count == 8
    assert len(with_eight) == len(with_two)


# Computed values ----------------------------------------------------------------------------------


def test_customer_changelist_shows_band_of_latest_snapshot(client, superuser, customer):
    f.RiskSnapshotFactory(customer=customer, as_of=date(2026, 1, 1), band=am.RiskBand.RED)
    f.RiskSnapshotFactory(customer=customer, as_of=date(2026, 2, 1), band=am.RiskBand.GREEN)
    client.force_login(superuser)
    response = client.get(admin_url(am.Customer, "changelist"), headers={"accept-language": "en"})
    cells = re.findall(r'<td class="field-latest_risk_band">(.*?)</td>', response.text)
    assert cells == ["Green"]


@pytest.mark.parametrize("view", ["add", "change"])
def test_risk_snapshot_cannot_be_written_in_admin(client, superuser, view):
    snapshot = f.RiskSnapshotFactory()
    client.force_login(superuser)
    url = admin_url(am.RiskSnapshot, view, *([snapshot.pk] if view == "change" else []))
    response = client.post(url, {"band": am.RiskBand.GREEN})
    assert response.status_code == 403
    snapshot.refresh_from_db()
    assert snapshot.band == am.RiskBand.AMBER


def test_risk_model_version_used_by_snapshots_cannot_change_its_weights(client, superuser):
    snapshot = f.RiskSnapshotFactory()
    client.force_login(superuser)
    response = client.get(admin_url(am.RiskModelVersion, "change", snapshot.model_version.pk))
    assert "weights" not in response.context["adminform"].form.fields


def test_risk_override_added_in_admin_is_set_by_the_admin(client, superuser, customer):
    client.force_login(superuser)
    response = client.post(
        admin_url(am.RiskOverride, "add"),
        {
            "customer": customer.pk,
            "band": am.RiskBand.RED,
            "reason": "Their purchasing manager moved to a competitor",
            "starts_on": "2026-01-01",
            "expires_on": "2026-02-01",
        },
    )
    assert response.status_code == 302
    assert am.RiskOverride.objects.get(customer=customer).set_by == superuser


def test_customer_page_lists_open_tickets_but_not_closed_ones(client, superuser, customer):
    open_ticket = f.TicketFactory(customer=customer, subject="Housing cracks under load")
    closed_at = timezone.now() - timedelta(days=1)
    f.TicketFactory(
        customer=customer,
        subject="Late invoice copy",
        status=cm.Ticket.Status.CLOSED,
        resolved_at=closed_at,
        closed_at=closed_at,
    )
    client.force_login(superuser)
    response = client.get(admin_url(am.Customer, "change", customer.pk))
    assert open_ticket.subject in response.text
    assert "Late invoice copy" not in response.text


def test_ticket_page_shows_past_events_without_letting_them_be_edited(client, superuser):
    event = f.TicketEventFactory(comment="Called the customer back")
    client.force_login(superuser)
    response = client.get(admin_url(cm.Ticket, "change", event.ticket.pk))
    assert event.comment in response.text
    assert 'name="events-0-comment"' not in response.text


# Staff who are not admins see only their customers ------------------------------------------------


def test_account_manager_group_gets_its_model_permissions_after_migrate(db):
    group = Group.objects.get(name=ROLE_ACCOUNT_MANAGER)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"view_customer", "change_customer", "add_ticket", "view_product"} <= codenames
    assert "delete_customer" not in codenames


SCOPED = [m for m in REGISTERED if m not in UNSCOPED | PERSONAL | PORTFOLIO_WIDE | ADMINS_ONLY]


@pytest.mark.parametrize("model", sorted(ADMINS_ONLY, key=label), ids=label)
def test_only_admins_read_the_admins_logs(client, staff_alice, erin, superuser, model):
    obj = factory_for(model)()
    for who in (staff_alice, erin):
        who.is_staff = True
        who.save()
        client.force_login(who)
        assert client.get(admin_url(model, "changelist")).status_code == 403
        assert client.get(admin_url(model, "change", obj.pk)).status_code in (302, 403)
    client.force_login(superuser)
    assert obj.pk in {row.pk for row in client.get(admin_url(model, "changelist")).context["cl"].result_list}


@pytest.mark.parametrize("model", sorted(PORTFOLIO_WIDE, key=label), ids=label)
def test_only_admins_and_executives_read_portfolio_wide_figures(client, staff_alice, erin, model):
    obj = factory_for(model)()
    client.force_login(staff_alice)
    assert client.get(admin_url(model, "changelist")).status_code == 403
    assert client.get(admin_url(model, "change", obj.pk)).status_code in (302, 403)
    erin.is_staff = True
    erin.save()
    client.force_login(erin)
    response = client.get(admin_url(model, "changelist"))
    assert obj.pk in {row.pk for row in response.context["cl"].result_list}


@pytest.mark.parametrize("model", SCOPED, ids=label)
def test_account_manager_changelist_shows_own_customers_rows_only(
    client, staff_alice, customer, oscars_customer, model
):
    mine, theirs = build_for(model, customer), build_for(model, oscars_customer)
    client.force_login(staff_alice)
    response = client.get(admin_url(model, "changelist"))
    listed = {obj.pk for obj in response.context["cl"].result_list}
    assert mine.pk in listed
    assert theirs.pk not in listed


@pytest.mark.parametrize("model", SCOPED, ids=label)
def test_account_manager_cannot_open_outsiders_row(client, staff_alice, oscars_customer, model):
    theirs = build_for(model, oscars_customer)
    client.force_login(staff_alice)
    response = client.get(admin_url(model, "change", theirs.pk))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


@pytest.mark.parametrize("model", sorted(UNSCOPED, key=label), ids=label)
def test_account_manager_reads_reference_data(client, staff_alice, model):
    obj = factory_for(model)()
    client.force_login(staff_alice)
    response = client.get(admin_url(model, "changelist"))
    assert obj.pk in {row.pk for row in response.context["cl"].result_list}


AUTOCOMPLETES = [
    pytest.param(cm.Ticket, "customer", am.Customer, id="ticket-customer"),
    pytest.param(cm.Ticket, "contact", rm.Contact, id="ticket-contact"),
    pytest.param(rm.Interaction, "contacts", rm.Contact, id="interaction-contacts"),
    pytest.param(am.DeliveryLine, "order", am.Order, id="deliveryline-order"),
    pytest.param(cm.TicketEvent, "ticket", cm.Ticket, id="ticketevent-ticket"),
]


@pytest.mark.parametrize(("source", "field", "target"), AUTOCOMPLETES)
def test_autocomplete_offers_only_own_customers_rows(
    client, staff_alice, customer, oscars_customer, source, field, target
):
    mine, theirs = build_for(target, customer), build_for(target, oscars_customer)
    client.force_login(staff_alice)
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": source._meta.app_label, "model_name": source._meta.model_name, "field_name": field},
    )
    offered = {int(result["id"]) for result in response.json()["results"]}
    assert mine.pk in offered
    assert theirs.pk not in offered


def test_account_manager_cannot_file_contact_under_outsiders_customer(client, staff_alice, oscars_customer):
    client.force_login(staff_alice)
    response = client.post(
        admin_url(rm.Contact, "add"),
        {
            "customer": oscars_customer.pk,
            "name": "Planted contact",
            "department": rm.Department.PROCUREMENT,
            "buying_role": rm.BuyingRole.USER,
            "influence": 3,
            "trust": 3,
            "joined_on": "2026-01-01",
        },
    )
    assert response.status_code == 200
    assert "customer" in response.context["adminform"].form.errors
    assert not rm.Contact.objects.filter(name="Planted contact").exists()


def test_account_manager_cannot_read_outsiders_customer_history(client, staff_alice, oscars_customer):
    client.force_login(staff_alice)
    response = client.get(admin_url(am.Customer, "history", oscars_customer.pk))
    assert response.status_code == 404


def test_account_manager_cannot_open_or_revert_outsiders_customer_version(client, staff_alice, oscars_customer):
    version = oscars_customer.history.first()
    client.force_login(staff_alice)
    response = client.get(admin_url(am.Customer, "simple_history", oscars_customer.pk, version.history_id))
    assert response.status_code == 404


def test_account_manager_cannot_pin_the_tier(client, staff_alice, customer):
    client.force_login(staff_alice)
    response = client.get(admin_url(am.Customer, "change", customer.pk))
    assert response.status_code == 200
    assert "tier_pinned" not in response.context["adminform"].form.fields


def test_admin_can_pin_the_tier(client, superuser, customer):
    client.force_login(superuser)
    response = client.get(admin_url(am.Customer, "change", customer.pk))
    assert "tier_pinned" in response.context["adminform"].form.fields


# Tables of millions of rows: the list opens on the newest rows and its filters read no rows ------

# Each with the field its model orders by first: the older row is given the value that would
# list it first by that order.
LARGE = [
    (am.Order, "ordered_on"),
    (am.PriceBenchmark, "observed_on"),
    (am.PurchaseCriterion, "importance"),
    (am.AccountPlan, "reviewed_on"),
    (am.ProductNeed, "identified_on"),
    (am.RiskSnapshot, "as_of"),
    (rm.Interaction, "occurred_on"),
]


@pytest.mark.parametrize("model, field", LARGE, ids=str)
def test_large_table_lists_the_newest_entry_first(client, superuser, model, field):
    older, newer = factory_for(model)(), factory_for(model)()
    first, later = (5, 1) if field == "importance" else (date(2026, 3, 20), date(2026, 3, 10))
    ensure_snapshot_partitions(date(2026, 3, 1))
    model.objects.filter(pk=older.pk).update(**{field: first})
    model.objects.filter(pk=newer.pk).update(**{field: later})
    client.force_login(superuser)
    response = client.get(admin_url(model, "changelist"))
    assert [row.pk for row in response.context["cl"].result_list] == [newer.pk, older.pk]


@pytest.mark.parametrize(
    "model, field", [(am.Order, "ordered_on"), (rm.Interaction, "occurred_on"), (cm.Ticket, "opened_at")], ids=str
)
def test_large_table_filters_by_date_without_reading_its_years(client, superuser, model, field):
    old = factory_for(model)()
    recent = factory_for(model)()
    now = timezone.now()
    for row, moment in ((old, now - timedelta(days=400)), (recent, now - timedelta(hours=1))):
        model.objects.filter(pk=row.pk).update(
            **{field: moment if field == "opened_at" else timezone.localdate(moment)}
        )
    client.force_login(superuser)
    url = admin_url(model, "changelist")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert "Past 7 days" in response.content.decode()
    # The date hierarchy it replaces read the distinct years of every row.
    assert not [q["sql"] for q in queries.captured_queries if "date_trunc" in q["sql"].lower()]
    by_date = next(c for c in response.context["cl"].filter_specs if getattr(c, "field_path", "") == field)
    link = next(
        choice["query_string"]
        for choice in by_date.choices(response.context["cl"])
        if choice["display"] == "Past 7 days"
    )
    listed = client.get(url + link).context["cl"].result_list
    assert [row.pk for row in listed] == [recent.pk]


def test_contact_scales_offer_every_value_without_reading_the_contacts(client, superuser):
    f.ContactFactory(trust=3, influence=4)
    client.force_login(superuser)
    url = admin_url(rm.Contact, "changelist")
    with CaptureQueriesContext(connection) as queries:
        content = client.get(url).content.decode()
    for value in range(1, 6):
        assert f"?trust={value}" in content and f"?influence={value}" in content
    assert not [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"]]
    assert client.get(url + "?trust=5").context["cl"].result_count == 0
    assert client.get(url + "?trust=3&influence=4").context["cl"].result_count == 1
