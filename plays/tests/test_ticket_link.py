"""A critical-complaint play names the complaint that raised it, and its page links to the ticket."""

from datetime import date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AlertKind
from complaints.models import Severity
from keyaccounts.tests import factories as f
from plays.models import Play, Trigger
from plays.opening import plays_open_night

NIGHT = date(2026, 3, 10)


def at(day: date, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


@pytest.fixture
def playbook(db):
    book = f.PlaybookFactory(trigger=Trigger.CRITICAL_COMPLAINT, name="Fix the critical complaint", countermeasure=5)
    f.PlaybookStepFactory(playbook=book, day_offset=2, title="Visit with the quality engineer")
    return book


def tripwire_night(customer):
    f.AlertFactory(
        customer=customer,
        kind=AlertKind.TRIPWIRE,
        as_of=NIGHT,
        details={"tripwires": ["critical_complaint_past_sla"]},
    )
    plays_open_night(as_of=NIGHT)
    return Play.objects.get(customer=customer, trigger=Trigger.CRITICAL_COMPLAINT)


def critical(customer, opened: date, **kwargs):
    kwargs.setdefault("resolution_due_at", at(opened + timedelta(days=3)))
    return f.TicketFactory(customer=customer, severity=Severity.CRITICAL, opened_at=at(opened), **kwargs)


def test_the_play_names_the_oldest_critical_complaint_past_its_target(alice, playbook):
    customer = f.CustomerFactory(owner=alice)
    critical(customer, NIGHT - timedelta(days=20), resolved_at=at(NIGHT - timedelta(days=15)))  # resolved
    f.TicketFactory(customer=customer, severity=Severity.HIGH, opened_at=at(NIGHT - timedelta(days=30)))
    critical(customer, NIGHT - timedelta(days=1))  # still within its target
    late = critical(customer, NIGHT - timedelta(days=9))
    critical(customer, NIGHT - timedelta(days=6))  # late too, but newer
    critical(f.CustomerFactory(owner=alice), NIGHT - timedelta(days=40))  # another customer's

    assert tripwire_night(customer).ticket == late


def test_a_missed_response_target_counts_until_the_desk_answered(alice, playbook):
    customer = f.CustomerFactory(owner=alice)
    opened = NIGHT - timedelta(days=2)
    answered = critical(
        customer,
        opened - timedelta(days=1),
        response_due_at=at(opened - timedelta(days=1), 11),
        resolution_due_at=at(NIGHT + timedelta(days=5)),
        first_response_at=at(opened - timedelta(days=1), 10),
    )
    unanswered = critical(
        customer, opened, response_due_at=at(opened, 11), resolution_due_at=at(NIGHT + timedelta(days=5))
    )
    play = tripwire_night(customer)
    assert play.ticket == unanswered != answered


def test_the_play_page_links_to_its_ticket_for_those_who_see_the_customer(client, alice, oscar, playbook):
    customer = f.CustomerFactory(owner=alice)
    ticket = critical(customer, NIGHT - timedelta(days=9), subject="Cracked bearing housings")
    play = tripwire_night(customer)

    client.force_login(alice)
    html = client.get(reverse("play_detail", args=[play.pk]), HTTP_ACCEPT_LANGUAGE="en").text
    assert f'href="{reverse("ticket_detail", args=[ticket.pk])}"' in html
    assert "Cracked bearing housings" in html

    client.force_login(oscar)
    assert client.get(reverse("play_detail", args=[play.pk])).status_code == 404


def test_other_plays_name_no_ticket(alice, playbook):
    customer = f.CustomerFactory(owner=alice)
    critical(customer, NIGHT - timedelta(days=9))
    f.PlaybookStepFactory(playbook=f.PlaybookFactory(trigger=Trigger.NEW_RED))
    f.AlertFactory(customer=customer, kind=AlertKind.NEW_RED, as_of=NIGHT)
    plays_open_night(as_of=NIGHT)
    assert Play.objects.get(customer=customer, trigger=Trigger.NEW_RED).ticket is None
