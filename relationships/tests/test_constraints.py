"""Every database constraint of the relationships app, broken one at a time.

See accounts/tests/test_constraints.py for how a case is checked and for the meta-test that
keeps this list complete.
"""

from datetime import date

import pytest

from accounts.tests.test_constraints import assert_constraint_enforced, case_registry
from keyaccounts.tests import factories as f

CASES, breaks = case_registry()


@breaks("contact_influence_range")
def contact_without_influence():
    contact = f.ContactFactory()
    contact.influence = 0
    return contact


@breaks("contact_trust_range")
def contact_trusted_beyond_five():
    contact = f.ContactFactory()
    contact.trust = 6
    return contact


@breaks("contact_left_after_joined")
def contact_leaving_before_joining():
    contact = f.ContactFactory(joined_on=date(2020, 1, 1))
    contact.left_on = date(2019, 12, 31)
    return contact


@breaks("contact_department_valid", field="department")
def contact_in_an_unknown_department():
    contact = f.ContactFactory()
    contact.department = "canteen"
    return contact


@breaks("contact_buying_role_valid", field="buying_role")
def contact_with_an_unknown_buying_role():
    contact = f.ContactFactory()
    contact.buying_role = "bystander"
    return contact


@breaks("interaction_kind_valid", field="kind")
def interaction_of_unknown_kind():
    interaction = f.InteractionFactory()
    interaction.kind = "telepathy"
    return interaction


@breaks("cadence_interval_range")
def cadence_every_zero_days():
    cadence = f.CadenceFactory()
    cadence.interval_days = 0
    return cadence


@breaks("cadence_ends_after_start")
def cadence_ending_before_it_starts():
    cadence = f.CadenceFactory(starts_on=date(2025, 1, 1))
    cadence.ends_on = date(2024, 12, 31)
    return cadence


@breaks("cadence_unique_kind_start")
def second_cadence_of_a_kind_from_the_same_day():
    first = f.CadenceFactory(starts_on=date(2025, 1, 1))
    second = f.CadenceFactory(
        customer=first.customer, interaction_kind=first.interaction_kind, starts_on=date(2025, 7, 1)
    )
    second.starts_on = first.starts_on
    return second


@breaks("contact_unique_external_id")
def second_contact_with_the_same_external_id():
    f.ContactFactory(external_id="P-1")
    return f.ContactFactory.build(customer=f.CustomerFactory(), external_id="P-1")


@breaks("interaction_unique_external_id")
def second_interaction_with_the_same_external_id():
    f.InteractionFactory(external_id="V-1")
    return f.InteractionFactory.build(customer=f.CustomerFactory(), external_id="V-1")


@pytest.mark.django_db
@pytest.mark.parametrize("constraint_name", CASES)
def test_constraint_refuses_a_row_that_breaks_it(constraint_name):
    build, field = CASES[constraint_name]
    assert_constraint_enforced(build(), constraint_name, field)


@pytest.mark.django_db
def test_records_entered_here_all_have_an_empty_external_id_and_do_not_clash():
    customer = f.CustomerFactory()
    f.ContactFactory(customer=customer, external_id="")
    f.ContactFactory(customer=customer, external_id="")
    f.InteractionFactory(customer=customer, external_id="")
    f.InteractionFactory(customer=customer, external_id="")
