"""The home page is My accounts (tested in test_my_accounts.py); here what every page around it
relies on: the health check and how people's names are shown in the list."""

from django.urls import reverse

from keyaccounts.tests import factories as f


def test_liveness_answers_ok(client, db):
    assert client.get(reverse("health_live")).json() == {"status": "ok"}


def test_home_is_my_accounts(client, alice, customer):
    client.force_login(alice)
    response = client.get("/")
    assert response.status_code == 200
    assert 'id="my-accounts"' in response.text and customer.name in response.text


def test_chinese_owner_names_show_family_name_first(client, erin, db):
    owner = f.account_manager("gaoli", first_name="丽", last_name="高")
    f.CustomerFactory(owner=owner)
    f.CustomerFactory(owner=f.account_manager("emily", first_name="Emily", last_name="Chen"))
    client.force_login(erin)
    page = client.get(reverse("home")).text
    assert "高丽" in page and "Emily Chen" in page
