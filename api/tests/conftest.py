"""Fixtures of the API's tests: a token client for any user."""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from keyaccounts.tests import factories as f


class TokenClient(Client):
    """A test client sending ``Authorization: Token <key>`` and JSON bodies."""

    def __init__(self, user, **kwargs):
        super().__init__(**kwargs)
        self.token = Token.objects.get_or_create(user=user)[0]
        self.defaults["HTTP_AUTHORIZATION"] = f"Token {self.token.key}"

    def post_json(self, url, data):
        return self.post(url, data=data, content_type="application/json")


@pytest.fixture
def api_client():
    return TokenClient


@pytest.fixture
def adam(db):
    from accounts.permissions import ROLE_ADMIN

    return f.UserFactory(username="adam", role=ROLE_ADMIN, is_staff=True)
