"""The night's last step (accounts.nightly.vacuum_after_night): the tables it changed much are
vacuumed and analysed at once, the others are left alone, and nothing is tried where VACUUM cannot
run."""

import pytest
from django.db import connection

from accounts import nightly
from accounts.models import Customer
from accounts.tests.test_risk_factors import AS_OF
from keyaccounts.tests import factories as f


def flush_statistics() -> None:
    """Make this connection's counts of changed rows visible in pg_stat_user_tables now (they are
    otherwise sent at most once a second)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT 1")


def last_vacuum(table: str):
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_vacuum, last_analyze FROM pg_stat_user_tables WHERE relname = %s", [table])
        return cursor.fetchone()


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_table_the_night_changed_much_is_vacuumed_and_a_quiet_one_is_not(postgres_only, monkeypatch, alice):
    monkeypatch.setattr(nightly, "CHANGED_MIN_ROWS", 20)
    flush_statistics()
    nightly.vacuum_after_night()  # what earlier tests left behind
    customers = [f.CustomerFactory(owner=alice) for _ in range(25)]  # 25 rows inserted
    Customer.objects.filter(pk__in=[c.pk for c in customers]).update(tier_months_below_cutoff=1)
    flush_statistics()
    before, _analysed = last_vacuum("accounts_customer")

    vacuumed = nightly.vacuum_after_night()

    assert "accounts_customer" in vacuumed
    assert "relationships_cadence" not in vacuumed  # untouched
    vacuumed_at, analysed_at = last_vacuum("accounts_customer")
    assert vacuumed_at is not None and analysed_at is not None
    assert before is None or vacuumed_at > before
    # Nothing changed since: the next night leaves the table alone.
    flush_statistics()
    assert "accounts_customer" not in nightly.vacuum_after_night()


@pytest.mark.django_db
def test_inside_a_transaction_or_off_postgresql_nothing_is_vacuumed(alice):
    # pytest-django's test runs in a transaction: VACUUM could not run, so none is tried.
    for n in range(3):
        f.CustomerFactory(owner=alice, tier_months_below_cutoff=n)
    assert nightly.vacuum_after_night() == []


@pytest.mark.django_db
def test_the_night_s_steps_end_with_the_upkeep(alice):
    f.CustomerFactory(owner=alice)
    result = nightly.nightly_jobs(as_of=AS_OF)
    assert result.outcome == "succeeded"
    assert list(result.steps)[-1] == "upkeep"
