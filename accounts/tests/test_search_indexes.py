"""On PostgreSQL the contains-searches are served by trigram indexes, not by reading every row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.workspace.search import search
from keyaccounts.tests import factories as f
from relationships.models import Contact

pytestmark = [pytest.mark.needs_postgres, pytest.mark.django_db]


def _plans(user, query: str) -> tuple[str, str]:
    """The plan of each query the search sends, with sequential scans priced out as a big table
    would price them: a test table is so small that PostgreSQL would rightly read it whole, and
    without the seq scan it would read a B-tree whole instead."""
    with CaptureQueriesContext(connection) as captured:
        search(user=user, query=query)
    plans = {}
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        for executed in captured.captured_queries:
            sql = executed["sql"]
            if " LIKE " not in sql:
                continue
            cursor.execute("EXPLAIN " + sql)
            table = "contacts" if 'FROM "relationships_contact"' in sql else "customers"
            plans[table] = "\n".join(row[0] for row in cursor.fetchall())
    return plans["customers"], plans["contacts"]


def test_customer_and_contact_search_use_the_trigram_indexes(postgres_only, erin):
    customer = f.CustomerFactory(name="苏州精密光学有限公司", code="SZ-0042")
    f.ContactFactory(customer=customer, name="王建国", phone="+86 512-6688 1234", email="wang@szoptics.cn")
    customers, contacts = _plans(erin, "精密光")
    assert "customer_name_trgm" in customers, customers
    assert "contact_name_trgm" in contacts, contacts
    # One or two characters match the start of names: the same indexes serve that too.
    customers, contacts = _plans(erin, "苏州")
    assert "customer_name_trgm" in customers, customers
    assert "contact_name_trgm" in contacts, contacts
    _, contacts = _plans(erin, "6688-1234")
    assert "contact_phone_compact_trgm" in contacts, contacts
    _, contacts = _plans(erin, "szoptics")
    assert "contact_email_trgm" in contacts, contacts


def test_the_search_still_finds_what_it_found_before(postgres_only, erin):
    customer = f.CustomerFactory(name="苏州精密光学有限公司", code="SZ-0042")
    f.ContactFactory(customer=customer, name="王建国", phone="+86 512-6688 1234")
    assert [c.name for c in search(user=erin, query="精密光").customers] == ["苏州精密光学有限公司"]
    assert [c.name for c in search(user=erin, query="苏州").customers] == ["苏州精密光学有限公司"]
    assert [c.name for c in search(user=erin, query="王").contacts] == ["王建国"]
    assert [c.name for c in search(user=erin, query="66881234").contacts] == ["王建国"]
    assert Contact.objects.count() == 1
