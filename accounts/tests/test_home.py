import pytest
from django.urls import reverse

from keyaccounts.tests import factories as f


@pytest.mark.parametrize("who", ["alice", "bob", "tina"])
def test_owner_backup_and_teammate_see_the_customer_on_home(client, customer, oscars_customer, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert customer.name in response.text
    assert oscars_customer.name not in response.text


def test_outsider_manager_does_not_see_other_managers_customers(client, oscar, customer, oscars_customer):
    client.force_login(oscar)
    response = client.get(reverse("home"))
    assert oscars_customer.name in response.text
    assert customer.name not in response.text


def test_outsider_cannot_find_other_customer_by_search(client, oscar, customer):
    client.force_login(oscar)
    response = client.get(reverse("home"), {"q": customer.code})
    assert customer.name not in response.text
    assert "No customer matches" in response.text or "没有客户匹配" in response.text


@pytest.mark.parametrize("who", ["erin", "sam"])
def test_executive_and_service_desk_see_every_customer(client, customer, oscars_customer, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("home"))
    assert customer.name in response.text and oscars_customer.name in response.text


def test_home_requires_login(client, customer):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_htmx_search_returns_only_the_table_fragment(client, alice, customer):
    client.force_login(alice)
    response = client.get(reverse("home"), {"q": "Shanghai"}, headers={"HX-Request": "true"})
    assert customer.name in response.text
    assert "<html" not in response.text


def test_home_shows_latest_risk_band(client, alice, customer):
    version = f.RiskModelVersionFactory()
    for day, band in [("2026-01-01", "green"), ("2026-02-01", "red")]:
        customer.risk_snapshots.create(
            as_of=day,
            model_version=version,
            score=70 if band == "red" else 10,
            band=band,
            computed_band=band,
            completeness=1,
        )
    client.force_login(alice)
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    assert "band-red" in response.text and "band-green" not in response.text


def test_home_query_count_does_not_grow_with_customers(client, alice, django_assert_num_queries):
    client.force_login(alice)
    f.CustomerFactory.create_batch(2, owner=alice)
    client.get(reverse("home"))  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("home"))
    f.CustomerFactory.create_batch(20, owner=alice)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    assert len(many) == len(few)


def test_health_answers_ok(client, db):
    assert client.get(reverse("health")).json() == {"status": "ok"}


def test_chinese_owner_names_show_family_name_first(client, erin, db):
    owner = f.account_manager("gaoli", first_name="丽", last_name="高")
    f.CustomerFactory(owner=owner)
    f.CustomerFactory(owner=f.account_manager("emily", first_name="Emily", last_name="Chen"))
    client.force_login(erin)
    page = client.get(reverse("home")).text
    assert "高丽" in page and "Emily Chen" in page
