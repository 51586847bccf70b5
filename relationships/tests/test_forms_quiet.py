"""Opening a form writes nothing to the error log."""

import logging

import pytest
from django.urls import reverse

from keyaccounts.tests import factories as f


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["contact_create", "interaction_log", "cadence_create"])
def test_opening_a_new_record_form_logs_no_warning(client, caplog, name):
    alice = f.account_manager("alice")
    customer = f.CustomerFactory(owner=alice)
    client.force_login(alice)
    with caplog.at_level(logging.WARNING):
        response = client.get(reverse(name, args=[customer.pk]))
    assert response.status_code == 200
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
