"""The demo book reads like a real one: a Chinese company's records are in Chinese, a foreign
company's in English, and the service desk looks live today (recent open tickets, a few breached,
escalations and notifications)."""

import re
from datetime import date, timedelta

import pytest
from django.core.management import call_command

from accounts.demo import names
from accounts.demo.tickets import STILL_OPEN
from accounts.models import AccountPlan, CompetitorIntel, Customer, Incentive, ProductNeed, PurchaseCriterion
from complaints.escalation import tickets_escalate
from complaints.models import Notification, Ticket, TicketEvent
from keyaccounts.clock import day_start
from relationships.models import Cadence, Contact, Interaction

TODAY = date(2026, 3, 1)
# The desk of the 200-customer book as of this day holds four open tickets, one of them past its
# target (at 60 customers none is open; the day moves the key tier, and with it the targets).
DESK_TODAY = date(2026, 12, 1)
CJK = re.compile(r"[\u4e00-\u9fff]")

pytestmark = pytest.mark.django_db


def seed(customers: int, today: date = TODAY) -> None:
    args = ["--customers", str(customers), "--seed", "7", "--today", today.isoformat()]
    call_command("seed_demo", *args, verbosity=0)


def test_the_vocabulary_lists_are_parallel():
    """Each text is drawn by index from a list as long as the one drawn before, so the draws stay the same."""
    assert names.TICKET_DETAILS.keys() == names.TICKET_SUBJECTS.keys()
    for category, subjects in names.TICKET_SUBJECTS.items():
        assert len(names.TICKET_DETAILS[category]) == len(subjects)
    assert names.CORRECTIVE_ACTIONS.keys() == names.ROOT_CAUSES.keys()
    for category, causes in names.ROOT_CAUSES.items():
        assert len(names.CORRECTIVE_ACTIONS[category]) == len(causes)
    assert len(names.TICKET_REQUESTS) == len(names.TICKET_COMMENTS)
    pairs = [
        *names.TICKET_REQUESTS,
        *names.ONSITE_REPORTS,
        *(pair for texts in names.TICKET_DETAILS.values() for pair in texts),
        *(pair for texts in names.CORRECTIVE_ACTIONS.values() for pair in texts),
    ]
    assert all(CJK.search(zh) and not CJK.search(en) for zh, en in pairs)


def test_a_chinese_companys_records_are_in_chinese_and_a_foreign_companys_in_english():
    seed(60)
    chinese = {pk: bool(CJK.search(name)) for pk, name in Customer.objects.values_list("pk", "name")}
    assert any(chinese.values()) and not all(chinese.values())
    texts = [
        (Cadence.objects.values_list("customer_id", "name"), True),
        (PurchaseCriterion.objects.values_list("customer_id", "criterion"), True),
        (PurchaseCriterion.objects.exclude(notes="").values_list("customer_id", "notes"), False),
        (Ticket.objects.values_list("customer_id", "subject"), True),
        (Ticket.objects.values_list("customer_id", "description"), True),
        (Ticket.objects.exclude(root_cause="").values_list("customer_id", "root_cause"), True),
        (Ticket.objects.exclude(corrective_action="").values_list("customer_id", "corrective_action"), True),
        (Ticket.objects.exclude(onsite_report="").values_list("customer_id", "onsite_report"), False),
        (TicketEvent.objects.exclude(comment="").values_list("ticket__customer_id", "comment"), True),
        (Interaction.objects.values_list("customer_id", "subject"), True),
        (Interaction.objects.exclude(notes="").values_list("customer_id", "notes"), True),
        (Contact.objects.values_list("customer_id", "title"), True),
        (AccountPlan.objects.values_list("customer_id", "customer_strategy"), False),
        (AccountPlan.objects.values_list("customer_id", "our_actions"), False),
        (ProductNeed.objects.values_list("customer_id", "description"), True),
        (Incentive.objects.values_list("customer_id", "description"), False),
        (CompetitorIntel.objects.values_list("customer_id", "note"), False),
        (Customer.objects.exclude(churn_notes="").values_list("pk", "churn_notes"), False),
    ]
    for rows, both_kinds in texts:
        rows = list(rows)
        assert rows
        wrong = [(pk, text) for pk, text in rows if bool(CJK.search(text)) != chinese[pk]]
        assert wrong == []
        if both_kinds:
            # Seen for both kinds of company, so the check above is not empty on either side.
            assert {chinese[pk] for pk, _text in rows} == {True, False}, rows[:3]


def test_a_closed_complaint_has_its_root_cause_and_corrective_action():
    seed(60)
    closed = Ticket.objects.filter(kind=Ticket.Kind.COMPLAINT, status=Ticket.Status.CLOSED)
    assert closed.exists()
    assert not closed.filter(root_cause="").exists()
    assert not closed.filter(corrective_action="").exists()
    assert not Ticket.objects.filter(onsite_done_at__isnull=False, onsite_report="").exists()


def test_the_desk_today_has_mostly_recent_open_tickets_a_few_breached_and_escalations():
    seed(200, DESK_TODAY)
    now = day_start(DESK_TODAY)
    running = Ticket.objects.exclude(status__in=(Ticket.Status.RESOLVED, Ticket.Status.CLOSED))
    rows = list(running.values_list("opened_at", "kind", "resolution_due_at"))
    ages = [now - opened for opened, _kind, _due in rows]
    assert ages
    # Most were opened in the last two weeks; only a complaint past its target lies open for long.
    assert sum(age <= timedelta(days=14) for age in ages) > len(ages) / 2
    assert all(
        now - opened < STILL_OPEN or (kind, due < now) == (Ticket.Kind.COMPLAINT, True) for opened, kind, due in rows
    )
    breached = running.filter(resolution_due_at__lt=now).count()
    assert 1 <= breached <= len(ages) / 2

    result = tickets_escalate(now=now)
    assert result.tickets >= 1
    assert Notification.objects.filter(kind=Notification.Kind.ESCALATION).count() == result.notifications > 0
