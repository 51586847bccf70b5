from datetime import date
from decimal import Decimal

from accounts.models import Customer, RiskSnapshot
from keyaccounts.bulk import update_rows, upsert
from keyaccounts.tests import factories as f

AWKWARD = 'tab\there, new\nline, back\\slash, quote " and 中文 \\N'


def test_upsert_keeps_awkward_text_in_json_exactly(customer):
    version = f.RiskModelVersionFactory()
    snapshot = RiskSnapshot(
        customer=customer,
        as_of=date(2026, 1, 31),
        model_version=version,
        score=None,
        computed_band="grey",
        band="grey",
        completeness=0.5,
        factors={"price": {"risk": None, "weight": 10, "signals": {"x": [AWKWARD, 1]}}},
        tripwires=[],
        reasons=[{"code": "c", "params": {"name": AWKWARD}}],
        revenue_12m=Decimal("12.34"),
    )
    upsert(RiskSnapshot, [snapshot], unique_fields=["customer", "as_of"], update_fields=["reasons", "factors"])
    stored = RiskSnapshot.objects.get(customer=customer)
    assert stored.reasons[0]["params"]["name"] == AWKWARD
    assert stored.factors["price"]["signals"]["x"] == [AWKWARD, 1]
    assert stored.score is None and stored.revenue_12m == Decimal("12.34")


def test_upsert_updates_the_row_of_the_same_day_instead_of_adding_one(customer):
    version = f.RiskModelVersionFactory()

    def snapshot(score):
        return RiskSnapshot(
            customer=customer,
            as_of=date(2026, 1, 31),
            model_version=version,
            score=score,
            computed_band="green",
            band="green",
            completeness=1,
        )

    upsert(RiskSnapshot, [snapshot(10)], unique_fields=["customer", "as_of"], update_fields=["score"])
    upsert(RiskSnapshot, [snapshot(20)], unique_fields=["customer", "as_of"], update_fields=["score"])
    assert list(RiskSnapshot.objects.values_list("score", flat=True)) == [20]


def test_update_rows_sets_the_fields_of_each_row_by_primary_key(customer, oscars_customer):
    customer.revenue_12m, customer.tier = Decimal("100.50"), "key"
    oscars_customer.revenue_12m = Decimal("7")
    update_rows(Customer, [customer, oscars_customer], ["revenue_12m", "tier"])
    customer.refresh_from_db()
    oscars_customer.refresh_from_db()
    assert (customer.revenue_12m, customer.tier) == (Decimal("100.50"), "key")
    assert (oscars_customer.revenue_12m, oscars_customer.tier) == (Decimal("7"), "regular")
