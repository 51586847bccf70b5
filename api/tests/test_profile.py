"""The profile page: a signed-in user creates, regenerates and revokes their own API token."""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(alice):
    client = Client(enforce_csrf_checks=False)
    client.force_login(alice)
    return client


def test_the_profile_needs_a_sign_in():
    assert Client().get("/profile/").status_code == 302


def test_create_regenerate_and_revoke(browser, alice, customer):
    page = browser.get("/profile/")
    assert page.status_code == 200 and "You have no API token." in page.content.decode()
    assert 'href="/profile/"' in page.content.decode()  # linked from the user menu

    browser.post("/profile/", {"action": "create"})
    key = Token.objects.get(user=alice).key
    shown = browser.get("/profile/").content.decode()
    assert key in shown
    assert key not in browser.get("/profile/").content.decode()  # shown once only
    assert Client().get("/api/v1/customers/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200

    browser.post("/profile/", {"action": "regenerate"})
    new_key = Token.objects.get(user=alice).key
    assert new_key != key
    assert Client().get("/api/v1/customers/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401

    browser.post("/profile/", {"action": "revoke"})
    assert not Token.objects.filter(user=alice).exists()
    assert Client().get("/api/v1/customers/", HTTP_AUTHORIZATION=f"Token {new_key}").status_code == 401


def test_an_unknown_action_is_refused(browser, alice):
    assert browser.post("/profile/", {"action": "steal"}).status_code == 400
    assert not Token.objects.filter(user=alice).exists()


def test_the_forms_carry_the_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post("/profile/", {"action": "create"}).status_code == 403
    assert "csrfmiddlewaretoken" in client.get("/profile/").content.decode()
