from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import services
from accounts.locking import LockHeld, job_lock
from accounts.models import Alert, AlertKind, RiskBand, RiskOverride
from keyaccounts.tests import factories as f

DAY = date(2026, 3, 31)


def _snapshot(customer, day, band, score, tripwires=(), change_7d=None, version=None):
    return f.RiskSnapshotFactory(
        customer=customer,
        as_of=day,
        band=band,
        computed_band=band,
        score=score,
        tripwires=list(tripwires),
        score_change_7d=change_7d,
        **({"model_version": version} if version else {}),
    )


def test_new_red_alert_is_addressed_to_owner_and_backup(customer, alice, bob, tina):
    first = _snapshot(customer, DAY - timedelta(days=1), RiskBand.AMBER, 55)
    _snapshot(customer, DAY, RiskBand.RED, 70, version=first.model_version)
    services.alerts_raise(as_of=DAY, candidates=services.risk_alert_candidates(as_of=DAY))
    alert = Alert.objects.get(customer=customer, kind=AlertKind.NEW_RED)
    assert set(alert.recipients.all()) == {alice, bob}
    assert alert.details["from"] == RiskBand.AMBER


def test_band_worsened_jump_and_new_tripwire_each_raise_their_own_alert(customer):
    first = _snapshot(customer, DAY - timedelta(days=1), RiskBand.GREEN, 20, tripwires=["revenue_collapse"])
    _snapshot(
        customer,
        DAY,
        RiskBand.AMBER,
        50,
        tripwires=["revenue_collapse", "decision_maker_gone"],
        change_7d=30,
        version=first.model_version,
    )
    services.alerts_raise(as_of=DAY, candidates=services.risk_alert_candidates(as_of=DAY))
    kinds = dict(Alert.objects.filter(customer=customer).values_list("kind", "details"))
    assert set(kinds) == {AlertKind.BAND_WORSENED, AlertKind.SCORE_JUMP, AlertKind.TRIPWIRE}
    assert kinds[AlertKind.TRIPWIRE] == {"tripwires": ["decision_maker_gone"]}
    assert kinds[AlertKind.SCORE_JUMP]["change"] == 30


def test_a_customers_first_scored_night_raises_no_band_change_only_its_tripwires(customer, oscars_customer):
    _snapshot(customer, DAY, RiskBand.RED, 70, tripwires=["decision_maker_gone"])
    _snapshot(oscars_customer, DAY, RiskBand.AMBER, 40)
    kinds = {(c.customer_id, c.kind) for c in services.risk_alert_candidates(as_of=DAY)}
    assert kinds == {(customer.pk, AlertKind.TRIPWIRE)}


def test_a_customer_red_after_a_night_of_insufficient_data_is_new_red(customer):
    first = _snapshot(customer, DAY - timedelta(days=1), RiskBand.GREY, None)
    _snapshot(customer, DAY, RiskBand.RED, 70, version=first.model_version)
    [candidate] = services.risk_alert_candidates(as_of=DAY)
    assert (candidate.kind, candidate.details["from"]) == (AlertKind.NEW_RED, RiskBand.GREY)


def test_a_customer_not_scored_the_night_before_is_compared_with_their_own_latest_night(customer, oscars_customer):
    # Oscar's customer was scored last night; this one last a week ago, amber with a trip-wire,
    # and a green night in an older month before that.
    version = _snapshot(oscars_customer, DAY - timedelta(days=1), RiskBand.GREEN, 10).model_version
    _snapshot(customer, DAY - timedelta(days=40), RiskBand.GREEN, 10, version=version)
    _snapshot(customer, DAY - timedelta(days=7), RiskBand.AMBER, 50, tripwires=["revenue_collapse"], version=version)
    _snapshot(oscars_customer, DAY, RiskBand.RED, 75, version=version)
    _snapshot(customer, DAY, RiskBand.RED, 80, tripwires=["revenue_collapse", "decision_maker_gone"], version=version)
    found = {(c.customer_id, c.kind): c.details for c in services.risk_alert_candidates(as_of=DAY)}
    assert found[(customer.pk, AlertKind.NEW_RED)]["from"] == RiskBand.AMBER
    assert found[(customer.pk, AlertKind.TRIPWIRE)] == {"tripwires": ["decision_maker_gone"]}
    assert found[(oscars_customer.pk, AlertKind.NEW_RED)]["from"] == RiskBand.GREEN
    assert len(found) == 3


def test_the_apps_postgresql_connections_run_without_the_jit_compiler(db, postgres_only):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_unchanged_band_raises_nothing(customer):
    first = _snapshot(customer, DAY - timedelta(days=1), RiskBand.RED, 80)
    _snapshot(customer, DAY, RiskBand.RED, 81, version=first.model_version)
    assert services.risk_alert_candidates(as_of=DAY) == []


def test_repeat_alert_refreshes_the_open_one_instead_of_duplicating(customer):
    candidate = [services.AlertCandidate(customer.pk, AlertKind.NEW_RED, {"score": 70})]
    services.alerts_raise(as_of=DAY, candidates=candidate)
    services.alerts_raise(
        as_of=DAY + timedelta(days=1),
        candidates=[services.AlertCandidate(customer.pk, AlertKind.NEW_RED, {"score": 75})],
    )
    alert = Alert.objects.get(customer=customer, kind=AlertKind.NEW_RED)
    assert alert.as_of == DAY + timedelta(days=1) and alert.details == {"score": 75}


def test_a_closed_alert_does_not_stop_a_new_one(customer, alice):
    services.alerts_raise(as_of=DAY, candidates=[services.AlertCandidate(customer.pk, AlertKind.NEW_RED)])
    Alert.objects.filter(customer=customer).update(closed_at=timezone.now(), closed_by=alice)
    services.alerts_raise(as_of=DAY, candidates=[services.AlertCandidate(customer.pk, AlertKind.NEW_RED)])
    assert Alert.objects.filter(customer=customer).count() == 2
    assert Alert.objects.open().filter(customer=customer).count() == 1


def test_override_expires_on_its_date_is_audited_and_raises_an_alert(customer, alice):
    override = services.override_set(
        customer=customer,
        band=RiskBand.GREEN,
        reason="New CEO signed the frame deal",
        by=alice,
        expires_on=DAY,
        today=DAY - timedelta(days=10),
    )
    assert services.overrides_expire(as_of=DAY - timedelta(days=1)) == 0
    assert services.overrides_expire(as_of=DAY) == 1
    override.refresh_from_db()
    assert override.ended_on == DAY
    assert override.history.count() == 2
    assert Alert.objects.get(customer=customer).kind == AlertKind.OVERRIDE_EXPIRED
    assert services.overrides_expire(as_of=DAY) == 0


def test_new_override_ends_the_previous_one(customer, alice):
    services.override_set(customer=customer, band=RiskBand.GREEN, reason="one", by=alice, today=DAY)
    services.override_set(customer=customer, band=RiskBand.RED, reason="two", by=alice, today=DAY)
    assert RiskOverride.objects.filter(customer=customer, ended_on__isnull=True).get().band == RiskBand.RED


@pytest.mark.parametrize(
    ("reason", "days"), [("", 30), ("   ", 30), ("ok", 91), ("ok", 0)], ids=["empty", "blank", "91-days", "today"]
)
def test_override_needs_a_reason_and_an_expiry_within_90_days(customer, alice, reason, days):
    with pytest.raises(ValidationError):
        services.override_set(
            customer=customer,
            band=RiskBand.RED,
            reason=reason,
            by=alice,
            expires_on=DAY + timedelta(days=days),
            today=DAY,
        )
    assert not RiskOverride.objects.exists()


def test_job_lock_refuses_a_second_holder_and_frees_after_release(db):
    from accounts.tests.test_nightly import held_by_another_run

    with held_by_another_run("test-lock"), pytest.raises(LockHeld), job_lock("test-lock", wait_seconds=0):
        pass
    # The other session's server process lets go of the lock as it exits, a moment after the
    # session is closed: the next holder waits for it.
    with job_lock("test-lock", wait_seconds=5):
        pass
