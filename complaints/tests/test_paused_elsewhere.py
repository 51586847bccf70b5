"""A ticket waiting for its customer has its SLA clock paused: My accounts and Today do not call
it late for a deadline that passed during the wait, but do when it was late before the wait."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.models import Ticket
from keyaccounts.tests import factories as f

S = Ticket.Status


@pytest.fixture
def waiting(customer):
    now = timezone.now()
    paused_in_time = f.TicketFactory(
        customer=customer,
        subject="Waiting, was on time",
        status=S.WAITING_CUSTOMER,
        first_response_at=now - timedelta(hours=20),
        resolution_due_at=now - timedelta(hours=2),  # passed during the wait
        sla_paused_at=now - timedelta(hours=10),
    )
    paused_late = f.TicketFactory(
        customer=customer,
        subject="Waiting, was late already",
        status=S.WAITING_CUSTOMER,
        first_response_at=now - timedelta(hours=20),
        resolution_due_at=now - timedelta(hours=12),  # passed before the wait began
        sla_paused_at=now - timedelta(hours=10),
    )
    return paused_in_time, paused_late


def test_my_accounts_counts_only_the_ticket_that_was_late_before_its_wait(client, alice, waiting):
    client.force_login(alice)
    row = client.get(reverse("home")).context["listing"].rows[0]
    assert (row.open_tickets, row.overdue_tickets) == (2, 1)


def test_today_lists_only_the_ticket_that_was_late_before_its_wait(client, alice, waiting):
    client.force_login(alice)
    listing = client.get(reverse("today")).context["listing"]
    tickets = [item for card in listing.customers for item in card.items if item.kind == "tickets"]
    assert [item.text.split(" (")[0] for item in tickets] == [f"#{waiting[1].pk} Waiting, was late already"]
