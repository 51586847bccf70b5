"""Hand-built stories shared by the integration and browser tests."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import Max

from accounts.models import RiskModelVersion
from accounts.risk.defaults import DEFAULT_WEIGHTS
from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f
from relationships.models import BuyingRole, Department


@dataclass
class RedAccount:
    customer: object
    general_manager: object
    buyer: object


def red_account_with_a_silent_general_manager(*, owner, name: str = "Ningbo Bearings") -> RedAccount:
    """A key account made red by a trip-wire (an important criterion only a competitor meets),
    whose relationship has gone quiet: the last visit was 200 days ago and nobody of ours has
    met the general manager at executive level.

    The company's active model version has that trip-wire force red (the default model leaves it
    to the score: on the demo book it was not precise enough for red), as an admin may decide.
    """
    today = business_today()
    RiskModelVersion.objects.update(is_active=False)
    RiskModelVersion.objects.create(
        version=(RiskModelVersion.objects.aggregate(m=Max("version"))["m"] or 0) + 1,
        is_active=True,
        weights=dict(DEFAULT_WEIGHTS),
        parameters={"tripwires": {"bands": {"criterion_alarm": "red"}}},
        notes="An important criterion only a competitor meets makes the account red.",
    )
    customer = f.CustomerFactory(name=name, owner=owner, tier="key", customer_since=today - timedelta(days=3 * 365))
    general_manager = f.ContactFactory(
        customer=customer,
        name="Wang Jianguo",
        title="General manager",
        department=Department.EXECUTIVE,
        buying_role=BuyingRole.DECISION_MAKER,
        joined_on=today - timedelta(days=700),
    )
    buyer = f.ContactFactory(
        customer=customer,
        name="Li Na",
        title="Purchasing manager",
        department=Department.PROCUREMENT,
        buying_role=BuyingRole.INFLUENCER,
        joined_on=today - timedelta(days=700),
    )
    visit = f.InteractionFactory(customer=customer, occurred_on=today - timedelta(days=200), subject="Price talk")
    visit.contacts.add(buyer)
    for months_ago in range(1, 13):
        f.OrderFactory(customer=customer, ordered_on=today - timedelta(days=30 * months_ago), amount=Decimal("80000"))
    f.PurchaseCriterionFactory(
        customer=customer,
        criterion="Stock held in a local warehouse",
        importance=5,
        we_meet=False,
        competitor_meets=True,
        competitor=f.CompetitorFactory(name="Hangzhou Precision"),
        assessed_on=today - timedelta(days=20),
    )
    return RedAccount(customer=customer, general_manager=general_manager, buyer=buyer)
