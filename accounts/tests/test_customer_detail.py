from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import RiskBand, RiskOverride
from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f


@pytest.fixture
def scored(customer):
    """A red snapshot with a trip-wire and a reason, and one from 7 days before."""
    today = business_today()
    factors = {
        "price": {"risk": 80.0, "weight": 10, "signals": {}},
        "supply": {"risk": 20.0, "weight": 10, "signals": {}},
    }
    first = f.RiskSnapshotFactory(
        customer=customer,
        as_of=today - timedelta(days=7),
        score=40,
        band="amber",
        computed_band="amber",
        factors={**factors, "price": {"risk": 40.0, "weight": 10}},
    )
    return f.RiskSnapshotFactory(
        customer=customer,
        as_of=today,
        score=70,
        band="red",
        computed_band="red",
        model_version=first.model_version,
        factors=factors,
        tripwires=["revenue_collapse"],
        score_change_7d=30,
        reasons=[
            {
                "factor": "price",
                "code": "price_above_market",
                "countermeasure": 10,
                "action": "review_price",
                "params": {"pct": 18, "worst_product": "Bearing X", "worst_pct": 25},
            }
        ],
    )


def url(customer, name="customer_detail"):
    return reverse(name, args=[customer.pk])


@pytest.mark.parametrize("who", ["alice", "bob", "tina", "erin", "sam", "superuser"])
def test_people_who_may_see_the_customer_get_its_risk_page(client, scored, customer, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get(url(customer), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert customer.name in response.text
    assert "Revenue down by more than half year on year" in response.text


def test_another_managers_customer_is_a_404(client, oscar, scored, customer):
    client.force_login(oscar)
    assert client.get(url(customer)).status_code == 404
    response = client.post(
        url(customer, "override_create"),
        {"band": "green", "reason": "x", "expires_on": business_today() + timedelta(days=5)},
    )
    assert response.status_code == 404
    assert not RiskOverride.objects.exists()


def test_another_manager_cannot_remove_a_manual_band(client, alice, oscar, scored, customer):
    from accounts.services import override_set

    override_set(customer=customer, band=RiskBand.GREEN, reason="agreed", by=alice)
    client.force_login(oscar)
    assert client.post(url(customer, "override_end")).status_code == 404
    assert RiskOverride.objects.get().ended_on is None


def test_unknown_customer_is_a_404(client, alice):
    client.force_login(alice)
    assert client.get(reverse("customer_detail", args=[999999])).status_code == 404


def test_risk_page_explains_factors_reasons_and_the_7_day_change(client, alice, scored, customer):
    client.force_login(alice)
    response = client.get(url(customer), HTTP_ACCEPT_LANGUAGE="en")
    factors = {row["name"]: row for row in response.context["risk"]["factors"]}
    assert factors["price"]["points"] == pytest.approx(40.0)
    assert factors["price"]["change_7d"] == pytest.approx(20.0)
    assert "Countermeasure" in response.text and "10 · Competitive price" in response.text


def test_owner_sets_a_manual_band_shown_beside_the_computed_score(client, alice, scored, customer):
    client.force_login(alice)
    response = client.post(
        url(customer, "override_create"),
        {
            "band": "green",
            "reason": "CEO renewed the frame contract yesterday",
            "expires_on": (business_today() + timedelta(days=30)).isoformat(),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    override = RiskOverride.objects.get(customer=customer)
    assert override.set_by == alice and override.history.first().history_user == alice
    page = client.get(url(customer), HTTP_ACCEPT_LANGUAGE="en").text
    assert "CEO renewed the frame contract yesterday" in page
    assert 'data-testid="computed-score">70' in page
    assert '<span data-testid="displayed-band"><span class="badge band-badge band-green">' in page


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"band": "green", "reason": "   ", "expires_on": 30}, "reason"),
        ({"band": "green", "reason": "ok", "expires_on": 91}, "at most 90 days"),
        ({"band": "green", "reason": "ok", "expires_on": 0}, "after today"),
        ({"band": "purple", "reason": "ok", "expires_on": 10}, "valid choice"),
        ({"band": "green", "reason": "ok", "expires_on": "not-a-date"}, "valid date"),
    ],
    ids=["blank-reason", "too-long", "today", "bad-band", "bad-date"],
)
def test_bad_override_input_gets_a_message_and_changes_nothing(client, alice, scored, customer, data, error):
    client.force_login(alice)
    if isinstance(data["expires_on"], int):
        data = {**data, "expires_on": (business_today() + timedelta(days=data["expires_on"])).isoformat()}
    response = client.post(url(customer, "override_create"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert error in response.text, response.text[-3000:]
    assert not RiskOverride.objects.exists()


@pytest.mark.parametrize("who", ["erin", "sam"])
def test_executives_and_service_desk_cannot_override(client, scored, customer, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.post(
        url(customer, "override_create"),
        {"band": "green", "reason": "no", "expires_on": (business_today() + timedelta(days=5)).isoformat()},
    )
    assert response.status_code == 403
    assert not RiskOverride.objects.exists()
    assert "Set the band by hand" not in client.get(url(customer), HTTP_ACCEPT_LANGUAGE="en").text


def test_removing_a_manual_band_ends_it_and_keeps_its_history(client, alice, bob, scored, customer):
    client.force_login(alice)
    client.post(
        url(customer, "override_create"),
        {"band": "green", "reason": "ok", "expires_on": (business_today() + timedelta(days=5)).isoformat()},
    )
    client.force_login(bob)
    assert client.post(url(customer, "override_end")).status_code == 302
    override = RiskOverride.objects.get()
    assert override.ended_on == business_today()
    assert override.history.first().history_user == bob


def test_override_end_without_an_override_is_a_404(client, alice, customer):
    client.force_login(alice)
    assert client.post(url(customer, "override_end")).status_code == 404


def test_detail_page_query_count_does_not_grow_with_history(client, alice, scored, customer):
    client.force_login(alice)
    client.get(url(customer))
    with CaptureQueriesContext(connection) as few:
        client.get(url(customer))
    for day in range(8, 60):
        f.RiskSnapshotFactory(
            customer=customer, as_of=business_today() - timedelta(days=day), model_version=scored.model_version
        )
    f.ContactFactory.create_batch(5, customer=customer)
    customer.account_team.add(*f.UserFactory.create_batch(3))
    with CaptureQueriesContext(connection) as many:
        client.get(url(customer))
    assert len(many) == len(few)


def test_home_lists_open_alerts_addressed_to_me(client, alice, oscar, customer, oscars_customer):
    from accounts.services import AlertCandidate, alerts_raise

    alerts_raise(
        as_of=business_today(),
        candidates=[
            AlertCandidate(customer.pk, "new_red", {"score": 70, "from": "amber"}),
            AlertCandidate(oscars_customer.pk, "new_red", {"score": 80, "from": "green"}),
        ],
    )
    client.force_login(alice)
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").text
    assert "Now red (risk 70)" in page and oscars_customer.name not in page


def _alert_for(customer):
    from accounts.models import Alert
    from accounts.services import AlertCandidate, alerts_raise

    alerts_raise(as_of=business_today(), candidates=[AlertCandidate(customer.pk, "new_red", {"score": 70})])
    return Alert.objects.get(customer=customer)


def test_recipient_marks_an_alert_as_dealt_with(client, bob, customer):
    alert = _alert_for(customer)
    client.force_login(bob)
    response = client.post(reverse("alert_close", args=[alert.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.text == ""
    alert.refresh_from_db()
    assert alert.closed_by == bob and alert.closed_at is not None
    assert "Now red" not in client.get(reverse("home")).text


def test_another_manager_cannot_close_an_alert_of_a_customer_not_theirs(client, oscar, customer):
    alert = _alert_for(customer)
    client.force_login(oscar)
    assert client.post(reverse("alert_close", args=[alert.pk])).status_code == 404
    alert.refresh_from_db()
    assert alert.closed_at is None


def test_executive_cannot_close_alerts(client, erin, customer):
    alert = _alert_for(customer)
    client.force_login(erin)
    assert client.post(reverse("alert_close", args=[alert.pk])).status_code == 403
    assert client.get(reverse("alert_close", args=[alert.pk])).status_code == 405
