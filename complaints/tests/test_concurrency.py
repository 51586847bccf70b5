"""Two people working the same ticket at the same moment, each in a database connection of its
own (PostgreSQL, real row locks): exactly one change wins, the other is refused as stale."""

import threading

import pytest
from django.db import connection

from complaints import services
from complaints.models import Ticket
from keyaccounts.editing import StaleEdit, edit_version
from keyaccounts.tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


def _race(*changes):
    """Run the changes in threads released together; return what each raised (or None)."""
    barrier = threading.Barrier(len(changes))
    outcome = [None] * len(changes)

    def run(i, change):
        try:
            barrier.wait()
            change()
        except Exception as exc:  # noqa: BLE001 (the outcome is what the test asserts on)
            outcome[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(changes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcome


def test_two_people_moving_the_same_ticket_at_once_one_wins_the_other_is_refused(postgres_only):
    sam, tina = f.service_desk("sam"), f.account_manager("tina")
    ticket = Ticket.objects.get(pk=f.TicketFactory().pk)
    version = edit_version(ticket)
    outcome = _race(
        lambda: services.ticket_transition(ticket=ticket, to="resolved", by=sam, version=version),
        lambda: services.ticket_assign(ticket=ticket, by=tina, department="logistics", version=version),
    )
    assert sorted(type(o).__name__ for o in outcome) == ["NoneType", "StaleEdit"]
    ticket.refresh_from_db()
    won = outcome.index(None)
    assert (ticket.status == "resolved") == (won == 0) and (ticket.department == "logistics") == (won == 1)
    assert ticket.events.exclude(kind="created").count() == 1
    assert isinstance(outcome[1 - won], StaleEdit)


def test_two_bulk_assigns_of_the_same_tickets_at_once_both_finish_without_deadlock(postgres_only):
    sam, tina = f.service_desk("sam"), f.account_manager("tina")
    tickets = f.TicketFactory.create_batch(6, customer=f.CustomerFactory(owner=tina))
    outcome = _race(
        lambda: services.ticket_assign_bulk(tickets=tickets, by=sam, department="technical"),
        lambda: services.ticket_assign_bulk(tickets=list(reversed(tickets)), by=tina, assigned_to=tina),
    )
    assert outcome == [None, None]
    assert set(Ticket.objects.values_list("department", "assigned_to")) == {("technical", tina.pk)}
