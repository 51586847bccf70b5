from keyaccounts.tests import factories as f


def test_standing_cast_customer_links_owner_backup_and_team(customer, alice, bob, tina):
    assert customer.owner == alice
    assert customer.backup_owner == bob
    assert list(customer.account_team.all()) == [tina]


def test_every_factory_saves_a_valid_row(db):
    for factory in [
        f.DeliveryLineFactory,
        f.PriceBenchmarkFactory,
        f.PurchaseCriterionFactory,
        f.AccountPlanFactory,
        f.ProductNeedFactory,
        f.IncentiveFactory,
        f.RiskModelVersionFactory,
        f.ContactFactory,
        f.InteractionFactory,
        f.CadenceFactory,
        f.SlaPolicyFactory,
        f.TicketEventFactory,
    ]:
        obj = factory()
        obj.full_clean()
        assert obj.pk is not None
