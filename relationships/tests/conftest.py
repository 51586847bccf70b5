"""A small relationship network around alice's customer, and how the editors are called."""

from datetime import timedelta

import pytest

from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f
from relationships.models import BuyingRole, Cadence, Contact, Department, Interaction, InteractionKind

HTMX = {"HX-Request": "true"}
EDITORS = ("alice", "tina", "bob")
READ_ONLY = ("erin", "sam")


@pytest.fixture
def today():
    return business_today()


@pytest.fixture
def gm(customer):
    """The customer's general manager: executive level, the decision maker."""
    return f.ContactFactory(
        customer=customer,
        name="Wang Wei",
        title="General manager",
        department=Department.EXECUTIVE,
        buying_role=BuyingRole.DECISION_MAKER,
        influence=5,
        trust=3,
    )


@pytest.fixture
def buyer(customer, alice):
    return f.ContactFactory(
        customer=customer,
        name="Li Na",
        title="Purchasing manager",
        department=Department.PROCUREMENT,
        buying_role=BuyingRole.INFLUENCER,
        influence=3,
        trust=4,
        internal_owner=alice,
    )


@pytest.fixture
def strangers_contact(oscars_customer):
    """A contact of somebody else's customer: never a valid choice here."""
    return f.ContactFactory(customer=oscars_customer, name="Zhao Lei", department=Department.EXECUTIVE)


@pytest.fixture
def visit(customer, buyer, alice, today):
    interaction = f.InteractionFactory(
        customer=customer, occurred_on=today - timedelta(days=10), kind=InteractionKind.VISIT, subject="Line audit"
    )
    interaction.contacts.set([buyer])
    interaction.our_people.set([alice])
    return interaction


@pytest.fixture
def cadence(customer, alice, today):
    return f.CadenceFactory(
        customer=customer,
        name="Quarterly executive meeting",
        interaction_kind=InteractionKind.EXECUTIVE_MEETING,
        interval_days=90,
        starts_on=today - timedelta(days=200),
        owner=alice,
    )


def written() -> tuple:
    """Everything the editors can write, history included: equal before and after = nothing written."""
    return (
        list(Contact.objects.order_by("pk").values()),
        list(Interaction.objects.order_by("pk").values()),
        sorted(Interaction.contacts.through.objects.values_list("interaction_id", "contact_id")),
        sorted(Interaction.our_people.through.objects.values_list("interaction_id", "user_id")),
        list(Cadence.objects.order_by("pk").values()),
        Contact.history.count(),
        Interaction.history.count(),
        Cadence.history.count(),
    )
