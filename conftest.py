"""Shared fixtures: the standing cast of users and a customer each of them relates to differently.

alice owns the customer, bob backs it up, tina is on its account team, oscar is an account manager
with customers of his own (an outsider here), erin is an executive, sam works the service desk.
"""

import pytest

from keyaccounts.tests import factories as f


@pytest.fixture
def alice(db):
    return f.account_manager("alice")


@pytest.fixture
def bob(db):
    return f.account_manager("bob")


@pytest.fixture
def tina(db):
    return f.account_manager("tina")


@pytest.fixture
def oscar(db):
    return f.account_manager("oscar")


@pytest.fixture
def erin(db):
    return f.executive("erin")


@pytest.fixture
def sam(db):
    return f.service_desk("sam")


@pytest.fixture
def superuser(db):
    return f.UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def customer(alice, bob, tina):
    """alice's customer, backed up by bob, with tina on the account team."""
    return f.CustomerFactory(name="Shanghai Precision Motors", owner=alice, backup_owner=bob, team=[tina])


@pytest.fixture
def oscars_customer(oscar):
    return f.CustomerFactory(name="Oscar's Other Account", owner=oscar)
