"""The import's side of exports: the formula apostrophe, ``KA-<pk>`` keys, kept ticket deadlines."""

from datetime import timedelta

import pytest

from complaints import models as cm
from exchange import cells
from exchange.engine import run
from exchange.exporting import guard
from exchange.staging import local_pk
from keyaccounts.clock import project_zone
from keyaccounts.tests import factories as f
from relationships import models as rm

pytestmark = pytest.mark.django_db

CONTACT_HEADER = "external_id,customer_code,name,department,buying_role,joined_on\n"


@pytest.mark.parametrize(
    "raw, read",
    [
        ("'=SUM(A1)", "=SUM(A1)"),
        ("'+86 21", "+86 21"),
        ("'-", "-"),
        ("'@home", "@home"),
        ("''=x", "'=x"),
        ("'''-x", "''-x"),
        ("  '=x  ", "=x"),
        ("'quoted", "'quoted"),
        ("O'Brien", "O'Brien"),
        ("'", "'"),
        ("=x", "=x"),
    ],
)
def test_text_drops_one_apostrophe_before_a_formula_trigger(raw, read):
    assert cells.text(raw) == read


@pytest.mark.parametrize(
    "value", ["=SUM(A1)", "'=x", "''@y", "'quoted", "plain", "-", "+86", "'", "O'Brien", "@", "'-'"]
)
def test_guard_and_text_are_inverse(value):
    assert cells.text(guard(value)) == value


def test_guard_removes_control_characters_before_looking_for_a_formula():
    assert guard("\x01=cmd") == "'=cmd"
    assert guard("\x00\x1f@x") == "'@x"
    assert guard("line\nbreak\ttab") == "line\nbreak\ttab"


def test_local_pk():
    assert local_pk("KA-12") == 12
    assert local_pk("KA-0") is None
    assert local_pk("KA-12x") is None
    assert local_pk("ka-12") is None
    assert local_pk("") is None
    assert local_pk("KA-" + "9" * 19) is None


def test_a_local_id_finds_the_record_without_an_external_id_and_gives_it_none(write, admin, alice):
    customer = f.CustomerFactory(code="C1", owner=alice)
    contact = f.ContactFactory(customer=customer, name="Wang", department="procurement")
    path = write(CONTACT_HEADER + f"KA-{contact.pk},C1,Wang Wei,procurement,decision_maker,2020-01-01\n")
    outcome = run("contacts", path, admin, apply=True)
    assert outcome.ok, outcome.errors
    assert outcome.counts["contacts"] == {"created": 0, "updated": 1, "unchanged": 0}
    contact.refresh_from_db()
    assert (contact.name, contact.external_id) == ("Wang Wei", "")
    assert rm.Contact.objects.count() == 1


def test_a_local_id_never_takes_a_record_that_has_an_external_id(write, admin, alice):
    customer = f.CustomerFactory(code="C1", owner=alice)
    keyed = f.ContactFactory(customer=customer, external_id="P-1")
    path = write(CONTACT_HEADER + f"KA-{keyed.pk},C1,Someone,procurement,decision_maker,2020-01-01\n")
    outcome = run("contacts", path, admin, apply=True)
    assert outcome.counts["contacts"]["created"] == 1
    assert rm.Contact.objects.get(external_id=f"KA-{keyed.pk}").name == "Someone"
    keyed.refresh_from_db()
    assert keyed.external_id == "P-1"


def test_an_external_id_of_the_same_form_wins_over_the_pk(write, admin, alice):
    customer = f.CustomerFactory(code="C1", owner=alice)
    local = f.ContactFactory(customer=customer, name="Local")
    named = f.ContactFactory(customer=customer, name="Named", external_id=f"KA-{local.pk}")
    path = write(CONTACT_HEADER + f"KA-{local.pk},C1,Renamed,procurement,decision_maker,2020-01-01\n")
    assert run("contacts", path, admin, apply=True).ok
    local.refresh_from_db()
    named.refresh_from_db()
    assert (local.name, named.name) == ("Local", "Renamed")


def test_a_ticket_keeps_its_deadlines_while_what_they_come_from_stays(write, admin, alice):
    customer = f.CustomerFactory(code="C1", owner=alice)
    ticket = f.TicketFactory(customer=customer, external_id="T-1", subject="Old")
    moved = ticket.opened_at + timedelta(days=9)
    cm.Ticket.objects.filter(pk=ticket.pk).update(response_due_at=moved, resolution_due_at=moved)
    opened = ticket.opened_at.astimezone(project_zone()).isoformat(sep=" ")
    header = "external_id,customer_code,kind,category,severity,channel,subject,status,opened_at\n"
    line = f"T-1,C1,complaint,product_quality,high,hotline,New subject,new,{opened}\n"
    outcome = run("tickets", write(header + line), admin, apply=True)
    assert outcome.ok, outcome.errors
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.response_due_at, ticket.resolution_due_at) == ("New subject", moved, moved)
    # A new severity sets the deadlines from the policy again.
    outcome = run("tickets", write(header + line.replace(",high,", ",low,"), "b.csv"), admin, apply=True)
    assert outcome.ok, outcome.errors
    ticket.refresh_from_db()
    assert ticket.response_due_at != moved
