"""The account-data section of the customer page: relationship level (dated, audited, read as of
its effective date), peak months, backup owner and team, churn and win-back by the owner."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import (
    CONTROLLABLE_CHURN_REASONS,
    ChurnEvent,
    ChurnReason,
    Customer,
    CustomerStatus,
    RelationshipLevelChange,
)
from accounts.services import churn_record, churn_recover, recovered_count
from accounts.tests.test_handover import recorded_on
from keyaccounts.clock import business_today
from keyaccounts.editing import edit_version
from keyaccounts.tests import factories as f

TODAY = business_today()
HTMX = {"HTTP_HX_REQUEST": "true"}


def post(client, name, customer, data):
    data = {"version": edit_version(Customer.objects.get(pk=customer.pk)), **data}
    return client.post(reverse(name, args=[customer.pk]), data, **HTMX)


def level_as_of(customer, day):
    from django.db import connection

    from accounts.risk.as_of import records_as_of_sql

    sql, params = records_as_of_sql(
        Customer, ["relationship_level"], as_of=day, columns=["id"], where_sql="c.id = %s", where_params=[customer.pk]
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT relationship_level FROM ({sql}) x", params)
        return cursor.fetchone()[0]


# Relationship level ------------------------------------------------------------------------------


def test_the_owner_changes_the_level_and_it_shows_with_its_history(client, alice, customer):
    client.force_login(alice)
    response = post(
        client,
        "account_level_change",
        customer,
        {"to_level": 3, "effective_on": TODAY.isoformat(), "lock_in": "joint_venture", "reason": "JV signed"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="section-account"' in html and "JV signed" in html
    customer.refresh_from_db()
    assert customer.relationship_level == 3
    change = RelationshipLevelChange.objects.get()
    assert (change.from_level, change.to_level, change.lock_in, change.recorded_by) == (2, 3, "joint_venture", alice)
    assert change.history.count() == 1
    assert Customer.history.filter(id=customer.pk, relationship_level=3, history_user=alice).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"to_level": 3, "lock_in": "", "reason": "partners"}, "lock-in"),
        ({"to_level": 1, "reason": ""}, "required"),
        ({"to_level": 2, "reason": "same"}, "already at this level"),
        ({"to_level": 1, "reason": "later", "effective_on": (TODAY + timedelta(days=1)).isoformat()}, "future"),
        ({"to_level": 1, "reason": "too early", "effective_on": "2019-12-31"}, "customer-since"),
    ],
)
def test_a_bad_level_change_is_refused_and_changes_nothing(client, alice, customer, data, message):
    client.force_login(alice)
    history = Customer.history.count()
    response = post(client, "account_level_change", customer, {"effective_on": TODAY.isoformat(), **data})
    assert response.status_code == 422
    assert message in response.content.decode()
    customer.refresh_from_db()
    assert customer.relationship_level == 2
    assert not RelationshipLevelChange.objects.exists() and Customer.history.count() == history


def test_a_level_change_dated_back_is_read_from_its_effective_date(client, alice, customer):
    long_ago, effective = TODAY - timedelta(days=200), TODAY - timedelta(days=40)
    recorded_on(customer, long_ago)
    client.force_login(alice)
    response = post(
        client,
        "account_level_change",
        customer,
        {"to_level": 1, "effective_on": effective.isoformat(), "reason": "lost the service contract"},
    )
    assert response.status_code == 200
    assert level_as_of(customer, effective - timedelta(days=1)) == 2
    assert level_as_of(customer, effective) == 1
    assert level_as_of(customer, TODAY) == 1


def test_a_level_change_cannot_take_effect_before_the_last_one(client, alice, customer):
    client.force_login(alice)
    post(client, "account_level_change", customer, {"to_level": 1, "effective_on": TODAY.isoformat(), "reason": "a"})
    response = post(
        client,
        "account_level_change",
        customer,
        {"to_level": 2, "effective_on": (TODAY - timedelta(days=3)).isoformat(), "reason": "b"},
    )
    assert response.status_code == 422
    assert RelationshipLevelChange.objects.count() == 1


def test_a_stale_edit_is_refused(client, alice, customer):
    client.force_login(alice)
    stale = edit_version(customer)
    Customer.objects.filter(pk=customer.pk).update(peak_months=[1])
    response = client.post(
        reverse("account_peak_months", args=[customer.pk]), {"version": stale, "months": [7]}, **HTMX
    )
    assert response.status_code == 422
    customer.refresh_from_db()
    assert customer.peak_months == [1]


# Peak months, backup and team --------------------------------------------------------------------


def test_peak_months_are_saved_and_audited(client, alice, customer):
    client.force_login(alice)
    response = post(client, "account_peak_months", customer, {"months": [12, 7, 8]})
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.peak_months == [7, 8, 12]
    assert Customer.history.filter(id=customer.pk, peak_months=[7, 8, 12], history_user=alice).exists()
    assert "July" in response.content.decode()


def test_a_month_outside_1_to_12_is_refused(client, alice, customer):
    client.force_login(alice)
    response = post(client, "account_peak_months", customer, {"months": [13]})
    assert response.status_code == 422
    customer.refresh_from_db()
    assert customer.peak_months == []


def test_backup_owner_and_team_are_set(client, alice, bob, tina, oscar, customer):
    client.force_login(alice)
    response = post(client, "account_people", customer, {"backup_owner": tina.pk, "team": [bob.pk, oscar.pk]})
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.backup_owner == tina
    assert set(customer.account_team.all()) == {bob, oscar}
    latest = Customer.history.filter(id=customer.pk).order_by("-history_date", "-history_id").first()
    assert {m.user_id for m in latest.account_team.all()} == {bob.pk, oscar.pk}


@pytest.mark.parametrize("field", ["backup_owner", "team"])
def test_someone_who_may_not_hold_a_customer_is_refused_by_name(client, alice, erin, customer, field):
    client.force_login(alice)
    value = erin.pk if field == "backup_owner" else [erin.pk]
    response = post(client, "account_people", customer, {field: value})
    assert response.status_code == 422
    assert "erin may not hold a customer" in response.content.decode()
    customer.refresh_from_db()
    assert customer.backup_owner.username == "bob"
    assert [u.username for u in customer.account_team.all()] == ["tina"]


# Churn and win-back ------------------------------------------------------------------------------


def test_the_owner_records_churn_with_lost_revenue_defaulting_to_12_months(client, alice, customer):
    Customer.objects.filter(pk=customer.pk).update(revenue_12m=Decimal("120000"))
    competitor = f.CompetitorFactory(name="Rival Co")
    client.force_login(alice)
    form = client.get(reverse("account_churn", args=[customer.pk]), **HTMX)
    assert 'value="120000.00"' in form.content.decode()
    response = post(
        client,
        "account_churn",
        customer,
        {
            "churned_on": TODAY.isoformat(),
            "reason": ChurnReason.COMPETITOR_PRICE,
            "lost_revenue": "",
            "competitor": competitor.pk,
            "notes": "Lost on price",
        },
    )
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.status == CustomerStatus.CHURNED and customer.churn_reason == ChurnReason.COMPETITOR_PRICE
    event = ChurnEvent.objects.get()
    assert event.lost_revenue == Decimal("120000") and event.competitor == competitor
    assert "Rival Co" in response.content.decode()


@pytest.mark.parametrize(
    "day", [(TODAY + timedelta(days=1)).isoformat(), "2019-06-01"], ids=["future", "before_customer_since"]
)
def test_a_churn_date_in_the_future_or_before_customer_since_is_refused(client, alice, customer, day):
    client.force_login(alice)
    response = post(client, "account_churn", customer, {"churned_on": day, "reason": ChurnReason.NEEDS_NOT_MET})
    assert response.status_code == 422
    customer.refresh_from_db()
    assert customer.status == CustomerStatus.ACTIVE and not ChurnEvent.objects.exists()


def test_a_win_back_makes_the_customer_active_and_is_counted(alice, customer):
    customer.refresh_from_db()
    day = TODAY - timedelta(days=20)
    churn_record(
        customer=customer,
        version=edit_version(customer),
        churned_on=day,
        reason=ChurnReason.COMPETITOR_SERVICE,
        by=alice,
    )
    customer.refresh_from_db()
    churn_recover(customer=customer, version=edit_version(customer), recovered_on=TODAY, by=alice)
    customer.refresh_from_db()
    assert customer.status == CustomerStatus.ACTIVE and customer.churned_on is None
    assert list(ChurnEvent.objects.order_by("pk").values_list("kind", flat=True)) == ["churned", "recovered"]
    assert recovered_count(start=TODAY - timedelta(days=30), end=TODAY) == 1
    assert recovered_count(start=TODAY - timedelta(days=60), end=TODAY - timedelta(days=31)) == 0


def test_a_win_back_before_the_churn_date_is_refused(client, alice, customer):
    customer.refresh_from_db()
    churn_record(
        customer=customer, version=edit_version(customer), churned_on=TODAY, reason=ChurnReason.NEEDS_NOT_MET, by=alice
    )
    client.force_login(alice)
    response = post(client, "account_win_back", customer, {"recovered_on": (TODAY - timedelta(days=1)).isoformat()})
    assert response.status_code == 422
    customer.refresh_from_db()
    assert customer.status == CustomerStatus.CHURNED


def test_controllable_churn_reasons_are_data():
    assert ChurnReason.COMPETITOR_PRICE in CONTROLLABLE_CHURN_REASONS
    assert ChurnReason.DIRECTION_CHANGE not in CONTROLLABLE_CHURN_REASONS
    assert ChurnReason.controllable() == set(CONTROLLABLE_CHURN_REASONS)
    assert ChurnReason.uncontrollable() == {ChurnReason.DIRECTION_CHANGE, ChurnReason.MOVED_UPSTREAM}


# Who may --------------------------------------------------------------------------------------------


EDITORS = ["account_level_change", "account_peak_months", "account_people", "account_churn"]


@pytest.mark.parametrize("name", EDITORS)
@pytest.mark.parametrize(
    ("who", "status"),
    [("alice", 200), ("bob", 403), ("tina", 403), ("oscar", 404), ("erin", 403), ("superuser", 200)],
)
def test_only_the_owner_and_admins_open_the_editors(client, request, customer, name, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse(name, args=[customer.pk])).status_code == status


@pytest.mark.parametrize(("who", "status"), [("bob", 403), ("erin", 403), ("oscar", 404)])
def test_a_post_by_someone_else_changes_nothing(client, request, customer, who, status):
    client.force_login(request.getfixturevalue(who))
    response = post(client, "account_peak_months", customer, {"months": [3]})
    assert response.status_code == status
    customer.refresh_from_db()
    assert customer.peak_months == []


@pytest.mark.parametrize(("who", "editable"), [("alice", True), ("bob", False), ("erin", False)])
def test_the_section_shows_to_everyone_who_sees_the_customer(client, request, customer, who, editable):
    client.force_login(request.getfixturevalue(who))
    # The customer page loads the section after it, from the section's own URL.
    page = client.get(reverse("customer_detail", args=[customer.pk])).content.decode()
    section_url = reverse("account_section", args=[customer.pk])
    assert f'<section id="section-account" class="section-deferred mt-3" hx-get="{section_url}"' in page
    section = client.get(section_url, **HTMX)
    html = section.content.decode()
    assert section.status_code == 200
    assert 'data-testid="section-account"' in html
    assert ('data-testid="account-level"' in html) is editable


def test_a_manager_who_does_not_see_the_customer_gets_404_for_the_section(client, oscar, customer):
    client.force_login(oscar)
    assert client.get(reverse("account_section", args=[customer.pk])).status_code == 404


@pytest.mark.parametrize("n", [3, 30])
def test_the_section_costs_the_same_queries_with_a_longer_history(
    client, alice, customer, n, django_assert_num_queries
):
    for month in range(n):
        customer.peak_months = [month % 12 + 1]
        customer.save()
    client.force_login(alice)
    client.get(reverse("account_section", args=[customer.pk]))
    with django_assert_num_queries(SECTION_QUERIES):
        client.get(reverse("account_section", args=[customer.pk]))


SECTION_QUERIES = 9
