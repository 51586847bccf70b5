"""Recent competitor intelligence as evidence in the criteria and price reasons: the sentences say
it, in both languages, and no score, band or reason code changes because of it."""

from datetime import timedelta

import pytest
from django.utils import translation

from accounts.models import CompetitorIntel, RiskSnapshot
from accounts.risk.reasons import render_reason
from accounts.risk.signals import INTEL_RECENT_DAYS
from accounts.tests.test_risk_factors import AS_OF, days_before, score
from keyaccounts.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def rival(db):
    return f.CompetitorFactory(name="Nippon Bearing Works")


@pytest.fixture
def exposed(customer, rival):
    """A customer with a criterion only the rival meets, one it meets as well as we do, and a quote
    below our price: criteria and price reasons."""
    f.PurchaseCriterionFactory(
        customer=customer, criterion="Lead time", we_meet=False, competitor_meets=True, competitor=rival, importance=3
    )
    f.PurchaseCriterionFactory(
        customer=customer, criterion="Price", we_meet=True, competitor_meets=True, competitor=rival, importance=5
    )
    f.PriceBenchmarkFactory(
        customer=customer, observed_on=days_before(5), competitor=rival, competitor_quote=80, our_price=100
    )
    f.AccountPlanFactory(customer=customer, reviewed_on=days_before(100))
    return customer


def scored(snapshot: RiskSnapshot) -> dict:
    return {
        "score": snapshot.score,
        "band": snapshot.band,
        "computed_band": snapshot.computed_band,
        "factors": {name: values.get("risk") for name, values in snapshot.factors.items()},
        "codes": [reason["code"] for reason in snapshot.reasons],
        "tripwires": snapshot.tripwires,
    }


def intel_reasons(snapshot: RiskSnapshot) -> list[dict]:
    return [r for r in snapshot.reasons if r["factor"] in ("criteria", "price")]


def test_the_criteria_and_price_reasons_carry_the_latest_intelligence_and_the_score_stays(exposed, rival, alice):
    without = score(exposed)
    assert intel_reasons(without) and not any("intel_count" in r["params"] for r in without.reasons)
    before = scored(without)
    RiskSnapshot.objects.all().delete()

    f.CompetitorIntelFactory(customer=exposed, competitor=f.CompetitorFactory(), noted_on=days_before(30))
    f.CompetitorIntelFactory(
        customer=exposed, competitor=rival, noted_on=days_before(3), kind=CompetitorIntel.Kind.CONTACT_APPROACH
    )
    # Not evidence as of the date: too old, and noted after it.
    f.CompetitorIntelFactory(customer=exposed, competitor=rival, noted_on=days_before(INTEL_RECENT_DAYS))
    f.CompetitorIntelFactory(customer=exposed, competitor=rival, noted_on=AS_OF + timedelta(days=1))
    with_intel = score(exposed)

    assert scored(with_intel) == before
    reasons = intel_reasons(with_intel)
    assert {r["code"] for r in reasons} >= {"criterion_alarm", "criteria_caution", "competitor_undercut"}
    for reason in reasons:
        assert reason["params"]["intel_count"] == 2
        assert reason["params"]["intel_competitor"] == "Nippon Bearing Works"
        assert reason["params"]["intel_kind"] == "contact_approach"
        assert reason["params"]["intel_on"] == days_before(3).isoformat()
    other = [r for r in with_intel.reasons if r["factor"] not in ("criteria", "price")]
    assert not any("intel_count" in r["params"] for r in other)


def test_the_evidence_is_rendered_in_english_and_chinese(exposed, rival):
    f.CompetitorIntelFactory(
        customer=exposed, competitor=rival, noted_on=days_before(3), kind=CompetitorIntel.Kind.PRICE_MOVE
    )
    undercut = next(r for r in score(exposed).reasons if r["code"] == "competitor_undercut")
    with translation.override("en"):
        text = render_reason(undercut)
    assert text.startswith("Nippon Bearing Works quoted 20% below our price")
    assert "1 report of competitor activity in the last 90 days" in text
    assert "Nippon Bearing Works: Price move" in text
    with translation.override("zh-hans"):
        chinese = render_reason(undercut)
    assert "Nippon Bearing Works" in chinese and "90" in chinese


def test_a_reason_without_intelligence_reads_as_before(exposed):
    undercut = next(r for r in score(exposed).reasons if r["code"] == "competitor_undercut")
    with translation.override("en"):
        assert "competitor activity" not in render_reason(undercut)


def test_the_trip_wire_of_a_criterion_alarm_carries_the_evidence_too(customer, rival):
    f.PurchaseCriterionFactory(
        customer=customer,
        criterion="Certification",
        we_meet=False,
        competitor_meets=True,
        competitor=rival,
        importance=5,
    )
    f.CompetitorIntelFactory(customer=customer, competitor=rival, noted_on=days_before(1))
    tripwire = next(r for r in score(customer).reasons if r["code"] == "tripwire_criterion_alarm")
    assert tripwire["params"]["intel_count"] == 1
    with translation.override("en"):
        assert "1 report of competitor activity" in render_reason(tripwire)
