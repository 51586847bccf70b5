"""The story the browser journey tells, checked against the real nightly job without a browser."""

import pytest

from accounts.models import RiskSnapshot
from accounts.nightly import risk_nightly
from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f
from keyaccounts.tests.journeys import red_account_with_a_silent_general_manager
from relationships.models import InteractionKind

pytestmark = pytest.mark.django_db


def _relationship_risk(customer):
    snapshot = RiskSnapshot.objects.get(customer=customer, as_of=business_today())
    return snapshot.band, snapshot.factors["relationship"]["risk"]


def test_the_story_account_is_red_and_an_executive_meeting_lowers_its_relationship_risk():
    alice = f.account_manager("alice")
    story = red_account_with_a_silent_general_manager(owner=alice)
    risk_nightly(as_of=business_today())
    band, before = _relationship_risk(story.customer)
    assert band == "red"

    meeting = f.InteractionFactory(
        customer=story.customer, occurred_on=business_today(), kind=InteractionKind.EXECUTIVE_MEETING
    )
    meeting.contacts.add(story.general_manager)
    risk_nightly(as_of=business_today())

    band, after = _relationship_risk(story.customer)
    assert after < before - 5, (before, after)
    assert before > 30, before
    assert band == "red"  # the trip-wire still holds it red: a meeting does not fix the warehouse
