"""Fields that change in place are scored as they were on the as-of date, read from their history.

Each test records a value well before the as-of date (``recorded_on``), changes it after the
date (``changed_on``), and scores the date and a later one: the first sees the old value, the
second the new one.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from accounts.models import Customer, Tier
from accounts.risk.tiering import tiering_run
from accounts.tests.test_risk_factors import AFTER, AS_OF, at, days_before, order, reason, recorded_on, score, signal
from complaints.models import Ticket
from keyaccounts.tests import factories as f
from relationships.models import BuyingRole, Contact, Department

CHANGED = AFTER + timedelta(days=5)
LATER = AS_OF + timedelta(days=30)
LONG_AGO = days_before(400)


def changed_on(record, day: date) -> None:
    """Date the history rows written since ``recorded_on`` (those after the as-of date) on ``day``."""
    type(record).history.filter(id=record.pk, history_date__gt=at(AFTER, 0)).update(history_date=at(day))


@pytest.fixture
def old_customer(customer):
    """alice's customer (bob backs it up, tina is on the team), all of it recorded long ago."""
    recorded_on(customer, LONG_AGO)
    return customer


def contact(customer, **fields) -> Contact:
    record = f.ContactFactory(customer=customer, joined_on=LONG_AGO, **fields)
    recorded_on(record, LONG_AGO)
    return record


def test_trust_lowered_after_the_date_is_read_as_it_was_then(old_customer):
    trusted = contact(old_customer, trust=5)
    contact(old_customer, trust=4)
    trusted.trust = 1
    trusted.save()
    changed_on(trusted, CHANGED)

    assert signal(score(old_customer), "relationship", "trust")["value"] == 4.5
    assert signal(score(old_customer, LATER), "relationship", "trust")["value"] == 2.5


def test_department_and_buying_role_are_read_as_they_were_then(old_customer):
    moved = contact(old_customer, department=Department.FINANCE, buying_role=BuyingRole.USER)
    contact(old_customer, department=Department.PROCUREMENT, buying_role=BuyingRole.USER)
    moved.department = Department.EXECUTIVE
    moved.buying_role = BuyingRole.DECISION_MAKER
    moved.save()
    changed_on(moved, CHANGED)

    then, later = score(old_customer), score(old_customer, LATER)

    assert signal(then, "relationship", "department_coverage")["value"] == 1
    assert signal(later, "relationship", "department_coverage")["value"] == 2
    assert "executive" in reason(then, "departments_uncovered")["params"]["missing"]
    assert "executive" not in reason(later, "departments_uncovered")["params"]["missing"]


def test_a_key_person_is_one_by_the_buying_role_held_on_the_date(old_customer):
    departed = contact(old_customer, buying_role=BuyingRole.DECISION_MAKER, trust=4)
    departed.left_on = days_before(30)
    departed.save()
    contact(old_customer, department=Department.TECHNICAL, buying_role=BuyingRole.USER)
    recorded_on(departed, days_before(30))
    # Months later someone decides the person had only been an influencer.
    departed.buying_role = BuyingRole.INFLUENCER
    departed.save()
    changed_on(departed, CHANGED)

    assert signal(score(old_customer), "relationship", "key_person_left")["value"] == 1
    assert signal(score(old_customer, LATER), "relationship", "key_person_left")["value"] == 0


def test_relationship_level_is_read_as_it_was_then(alice):
    customer = f.CustomerFactory(owner=alice, relationship_level=3)
    f.AccountPlanFactory(customer=customer, reviewed_on=LONG_AGO)
    recorded_on(customer, LONG_AGO)
    customer.relationship_level = 1
    customer.save()
    changed_on(customer, CHANGED)

    assert signal(score(customer), "strategy", "relationship_level")["value"] == 3
    assert signal(score(customer, LATER), "strategy", "relationship_level")["value"] == 1


def test_backup_owner_and_account_team_are_read_as_they_were_then(old_customer, tina, oscar):
    contact(old_customer)
    old_customer.backup_owner = None
    old_customer.save()
    old_customer.account_team.remove(tina)
    old_customer.account_team.add(oscar)
    changed_on(old_customer, CHANGED)

    # Then: alice, bob and tina. Later: alice and oscar.
    assert signal(score(old_customer), "relationship", "our_people")["value"] == 3
    assert signal(score(old_customer, LATER), "relationship", "our_people")["value"] == 2


def test_someone_who_joined_the_team_after_the_date_does_not_count_on_it(old_customer, oscar):
    contact(old_customer)
    old_customer.account_team.add(oscar)
    changed_on(old_customer, CHANGED)

    assert signal(score(old_customer), "relationship", "our_people")["value"] == 3
    assert signal(score(old_customer, LATER), "relationship", "our_people")["value"] == 4


def test_the_tier_is_read_as_it_was_then(old_customer):
    order(old_customer, days_before(10))
    old_customer.tier = Tier.KEY
    old_customer.save()
    changed_on(old_customer, CHANGED)

    assert score(old_customer).tier == Tier.REGULAR
    assert score(old_customer, LATER).tier == Tier.KEY


def test_peak_months_are_read_as_they_were_then(old_customer):
    old_customer.peak_months = [3]
    old_customer.save()
    recorded_on(old_customer, LONG_AGO)
    old_customer.peak_months = [11]
    old_customer.save()
    changed_on(old_customer, CHANGED)
    spring = order(old_customer, date(2026, 2, 20))
    f.DeliveryLineFactory(order=spring, promised_on=date(2026, 3, 10), quantity_delivered=Decimal("60"))
    f.DeliveryLineFactory(order=spring, promised_on=date(2026, 3, 12))

    assert signal(score(old_customer), "supply", "peak_season")["value"] == 0.5


def test_a_record_first_recorded_after_the_date_reads_its_first_recorded_value(old_customer):
    # Entered (or imported) after the date, joined long before it; changed again since.
    late = f.ContactFactory(customer=old_customer, joined_on=LONG_AGO, trust=4)
    changed_on(late, CHANGED)
    late.trust = 2
    late.save()
    Contact.history.filter(id=late.pk, history_date__gt=at(CHANGED)).update(history_date=at(CHANGED + timedelta(3)))

    assert signal(score(old_customer), "relationship", "trust")["value"] == 4.0
    assert signal(score(old_customer, LATER), "relationship", "trust")["value"] == 2.0


def test_a_record_without_history_reads_its_current_value(old_customer):
    plain = contact(old_customer, trust=2)
    Contact.history.filter(id=plain.pk).delete()

    assert signal(score(old_customer), "relationship", "trust")["value"] == 2.0


def resolved_ticket(customer) -> Ticket:
    ticket = f.TicketFactory(
        customer=customer,
        opened_at=at(days_before(40)),
        resolved_at=at(days_before(30)),
        status=Ticket.Status.RESOLVED,
    )
    recorded_on(ticket, days_before(30))
    return ticket


def test_a_satisfaction_given_after_the_date_does_not_count_on_it(old_customer):
    ticket = resolved_ticket(old_customer)
    ticket.satisfaction = 1
    ticket.save()
    changed_on(ticket, CHANGED)

    assert signal(score(old_customer), "quality", "satisfaction")["value"] is None
    assert signal(score(old_customer, LATER), "quality", "satisfaction")["value"] == 1.0


def test_a_satisfaction_given_by_the_date_counts_and_a_later_change_does_not(old_customer):
    ticket = resolved_ticket(old_customer)
    ticket.satisfaction = 2
    ticket.save()
    Ticket.history.filter(id=ticket.pk, history_date__gt=at(AFTER, 0)).update(history_date=at(days_before(20)))
    ticket.satisfaction = 5
    ticket.save()
    changed_on(ticket, CHANGED)

    assert signal(score(old_customer), "quality", "satisfaction")["value"] == 2.0
    assert signal(score(old_customer, LATER), "quality", "satisfaction")["value"] == 5.0


def test_every_history_row_of_a_customer_stores_its_whole_team(customer, tina, oscar):
    """What the team as of a date relies on (django-simple-history's m2m_fields)."""
    customer.account_team.add(oscar)
    customer.name = "Renamed"
    customer.save()

    rows = list(Customer.history.filter(id=customer.pk).order_by("history_date", "history_id"))
    teams = [sorted(m.user_id for m in row.account_team.all()) for row in rows]
    assert teams[-2:] == [sorted([tina.pk, oscar.pk])] * 2


def test_a_tier_change_of_a_tiering_run_is_in_the_history_with_the_team(old_customer):
    contact(old_customer)
    order(old_customer, days_before(10))
    Customer.objects.filter(pk=old_customer.pk).update(tier_pinned=True)

    result = tiering_run(as_of=AS_OF)

    assert [c.customer_id for c in result.changes] == [old_customer.pk]
    snapshot = score(old_customer)
    assert snapshot.tier == Tier.KEY
    assert signal(snapshot, "relationship", "our_people")["value"] == 3
