# ruff: noqa: F811 (the version fixture is imported from test_my_accounts)
"""The whole book's band lists read the kept standing of the latest day (accounts.standing):
they follow a manual band set, ended or expired, and a new night's scores, at once; and ranked by
score they come in the order a manager's list sorts the same customers in."""

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import RiskBand, RiskSnapshot, RiskStanding
from accounts.risk.engine import risk_recompute
from accounts.services.alerts import override_end, override_set, overrides_expire
from accounts.tests.test_my_accounts import scored, version  # noqa: F401
from accounts.tests.test_my_accounts_counts import by_hand
from accounts.tests.test_risk_engine import populate
from accounts.tests.test_risk_factors import AS_OF
from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f

HOME = reverse("home")


def shown(client, user, **params) -> list[str]:
    client.force_login(user)
    listing = client.get(HOME, params).context["listing"]
    assert listing.page.paginator.count == len(listing.rows)
    return [row.customer.name for row in listing.rows]


def test_a_manual_band_set_and_ended_moves_the_customer_between_the_whole_books_lists(client, alice, erin, version):
    customer = f.CustomerFactory(name="Lanxin", owner=alice)
    scored(customer, version, band=RiskBand.GREEN, score=12)
    assert shown(client, erin, band="green") == ["Lanxin"]

    override_set(customer=customer, band=RiskBand.RED, reason="Buyer left for a rival", by=alice)
    assert shown(client, erin, band="red") == ["Lanxin"]
    assert shown(client, erin, band="green") == []

    override_end(customer=customer)
    assert shown(client, erin, band="red") == []
    assert shown(client, erin, band="green") == ["Lanxin"]


def test_a_manual_band_that_expires_leaves_the_band_it_set(client, alice, erin, version):
    customer = f.CustomerFactory(name="Hengda", owner=alice)
    scored(customer, version, band=RiskBand.GREEN, score=12)
    override = by_hand(customer, alice, RiskBand.RED)
    assert shown(client, erin, band="red") == ["Hengda"]

    assert overrides_expire(as_of=override.expires_on) == 1
    assert shown(client, erin, band="red") == []
    assert shown(client, erin, band="green") == ["Hengda"]


@pytest.mark.django_db(transaction=True)
def test_a_new_scored_day_replaces_the_standing_of_the_day_before(client, customer, alice, erin, version):
    # Scored the day before by hand: red, and the only one in the red list then.
    yesterday_only = f.CustomerFactory(name="Scored the day before only", owner=alice)
    scored(yesterday_only, version, band=RiskBand.RED, score=90, days_ago=(business_today() - AS_OF).days + 1)
    assert shown(client, erin, band="red") == ["Scored the day before only"]

    # AS_OF is scored for the other customer alone, which has a manual green band in force.
    populate(customer, user=alice)
    risk_recompute(as_of=AS_OF, model_version=version, customer_ids=[customer.pk])
    snapshot = RiskSnapshot.objects.get(customer=customer, as_of=AS_OF)
    standing = RiskStanding.objects.get()
    assert (standing.customer, standing.as_of, standing.band, standing.score) == (
        customer,
        AS_OF,
        RiskBand.GREEN,
        snapshot.score,
    )
    assert shown(client, erin, band="red") == []
    assert shown(client, erin, band="none") == ["Scored the day before only"]


def test_the_whole_books_band_ranked_by_score_comes_in_the_managers_order(client, alice, erin, version):
    for name, band, score in [
        ("Delta", RiskBand.RED, 70),
        ("Alpha", RiskBand.RED, 70),
        ("Charlie", RiskBand.RED, 91),
        ("Bravo", RiskBand.AMBER, 50),
        ("Echo", RiskBand.AMBER, 66),
        ("Foxtrot", RiskBand.GREEN, 95),
    ]:
        scored(f.CustomerFactory(name=name, owner=alice), version, band=band, score=score)
    # Red by hand: one with a low score, one never scored (ranked after every score).
    made_red = f.CustomerFactory(name="Golf", owner=alice)
    scored(made_red, version, band=RiskBand.GREEN, score=3)
    by_hand(made_red, alice, RiskBand.RED)
    by_hand(f.CustomerFactory(name="Hotel", owner=alice), alice, RiskBand.RED)
    by_hand(f.CustomerFactory(name="Aardvark", owner=alice), alice, RiskBand.AMBER)

    expected = {
        "red": ["Charlie", "Alpha", "Delta", "Golf", "Hotel"],
        "at_risk": ["Charlie", "Alpha", "Delta", "Echo", "Bravo", "Golf", "Aardvark", "Hotel"],
    }
    for band, names in expected.items():
        assert shown(client, erin, band=band, sort="-score") == names  # the whole book: the standing
        assert shown(client, alice, band=band, sort="-score") == names  # a manager's book: the joins


def test_a_customer_deleted_takes_its_standing_with_it(alice, version):
    customer = f.CustomerFactory(owner=alice)
    scored(customer, version, band=RiskBand.RED, score=80)
    by_hand(customer, alice, RiskBand.GREEN)
    assert RiskStanding.objects.get().band == RiskBand.GREEN
    customer.delete()
    assert not RiskStanding.objects.exists()


def test_an_older_day_scored_again_leaves_the_latest_days_standing(alice, version):
    customer = f.CustomerFactory(owner=alice)
    scored(customer, version, band=RiskBand.GREEN, score=10)
    scored(customer, version, band=RiskBand.RED, score=90, days_ago=3)
    standing = RiskStanding.objects.get()
    assert (standing.band, standing.score, standing.as_of) == (RiskBand.GREEN, 10, business_today())
    assert business_today() - timedelta(days=3) < standing.as_of


@pytest.mark.parametrize("who", ["alice", "erin"])  # a manager's Today, and the whole book's
def test_today_ranks_by_the_band_shown_manual_bands_included_and_the_unscored_last(
    client, alice, version, who, request
):
    made = {}
    for name in ("Unscored", "Amber", "Red by hand, never scored", "Green made red by hand", "Red"):
        made[name] = f.CustomerFactory(name=name, owner=alice)
        f.ProductNeedFactory(customer=made[name])  # something to do about each
    scored(made["Red"], version, band=RiskBand.RED, score=80)
    scored(made["Amber"], version, band=RiskBand.AMBER, score=99)
    scored(made["Green made red by hand"], version, band=RiskBand.GREEN, score=5)
    by_hand(made["Green made red by hand"], alice, RiskBand.RED)
    by_hand(made["Red by hand, never scored"], alice, RiskBand.RED)
    client.force_login(request.getfixturevalue(who))
    cards = client.get(reverse("today")).context["listing"].customers
    assert [card.customer.name for card in cards] == [
        "Red",
        "Green made red by hand",
        "Red by hand, never scored",
        "Amber",
        "Unscored",
    ]
    assert [card.band for card in cards] == [RiskBand.RED, RiskBand.RED, RiskBand.RED, RiskBand.AMBER, None]


def test_a_manual_band_deleted_or_moved_in_the_admin_leaves_the_band_it_set(client, alice, erin, superuser, version):
    first = f.CustomerFactory(name="Lanxin", owner=alice)
    second = f.CustomerFactory(name="Hengda", owner=alice)
    for customer in (first, second):
        scored(customer, version, band=RiskBand.GREEN, score=12)
    override = by_hand(first, alice, RiskBand.RED)
    assert shown(client, erin, band="red") == ["Lanxin"]

    client.force_login(superuser)
    change = reverse("admin:accounts_riskoverride_change", args=[override.pk])
    form = client.get(change).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    response = client.post(change, {**data, "customer": second.pk})
    assert response.status_code == 302
    assert shown(client, erin, band="red") == ["Hengda"]

    client.force_login(superuser)
    delete = reverse("admin:accounts_riskoverride_delete", args=[override.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert shown(client, erin, band="red") == []
    assert shown(client, erin, band="green") == ["Hengda", "Lanxin"]
