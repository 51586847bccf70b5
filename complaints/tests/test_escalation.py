"""SLA escalation: each step at its time, to its people, once — under repeats and concurrent workers."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import translation

from complaints import escalation
from complaints.models import DepartmentHead, EscalationStep, Notification, Ticket, TicketEscalation, TicketEvent
from complaints.notifications import render_notification
from complaints.services import ticket_open
from complaints.templatetags.tickets import event_summary
from keyaccounts.celery import app
from keyaccounts.tests import factories as f

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
STEP = TicketEscalation.Reason


@pytest.fixture
def hank(db):
    """Head of the service department."""
    head = f.UserFactory(username="hank")
    DepartmentHead.objects.create(department=Ticket.Department.SERVICE, user=head)
    return head


@pytest.fixture
def desk(alice, bob, erin, sam, hank):
    """Everyone the ladder can reach: the assignee sam, head hank, owner alice, backup bob, erin."""
    return {"assignee": sam, "head": hank, "owner": alice, "backup": bob, "executive": erin}


def open_ticket(customer, *, response_hours=10, resolution_hours=40, opened=NOW - timedelta(hours=1), **fields):
    defaults = {
        "kind": Ticket.Kind.COMPLAINT,
        "category": Ticket.Category.SERVICE,
        "department": Ticket.Department.SERVICE,
        "opened_at": opened,
        "response_due_at": opened + timedelta(hours=response_hours),
        "resolution_due_at": opened + timedelta(hours=resolution_hours),
    }
    return f.TicketFactory(customer=customer, **{**defaults, **fields})


def at_share(ticket, share, *, clock="response"):
    """The moment `share` of the ticket's window (opening to the clock's deadline) has passed."""
    due = ticket.response_due_at if clock == "response" else ticket.resolution_due_at
    return ticket.opened_at + (due - ticket.opened_at) * share


def steps(ticket):
    return list(TicketEscalation.objects.filter(ticket=ticket).order_by("step").values_list("step", "reason"))


def told(ticket, step):
    return set(TicketEscalation.objects.get(ticket=ticket, step=step).notified.values_list("username", flat=True))


def inbox(user):
    return list(Notification.objects.filter(recipient=user).values_list("ticket_id", "params__step"))


def test_nothing_happens_before_eighty_percent_of_the_window(customer, desk):
    ticket = open_ticket(customer, assigned_to=desk["assignee"])
    result = escalation.tickets_escalate(now=at_share(ticket, 0.79))
    assert result.steps == 0
    assert not TicketEscalation.objects.exists() and not Notification.objects.exists()


def test_step_one_warns_the_assignee_at_eighty_percent_of_the_response_window(customer, desk):
    ticket = open_ticket(customer, assigned_to=desk["assignee"])
    result = escalation.tickets_escalate(now=at_share(ticket, 0.8))
    assert (result.tickets, result.steps, result.notifications) == (1, 1, 1)
    assert steps(ticket) == [(1, STEP.RESPONSE_NEAR)]
    assert told(ticket, 1) == {"sam"}
    assert inbox(desk["assignee"]) == [(ticket.pk, 1)]
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1
    event = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.ESCALATION)
    assert event.at == at_share(ticket, 0.8)
    assert event.details == {"step": 1, "reason": STEP.RESPONSE_NEAR, "told": 1}
    with translation.override("en"):
        assert event_summary(event) == (
            f"SLA escalation, step 1 ({EscalationStep(1).label}): {STEP.RESPONSE_NEAR.label}; told 1."
        )
    # The change of level is in the ticket's audit trail.
    assert ticket.history.first().escalation_level == 1


def test_step_one_goes_to_the_department_heads_when_nobody_is_assigned(customer, desk):
    ticket = open_ticket(customer)
    escalation.tickets_escalate(now=at_share(ticket, 0.85))
    assert told(ticket, 1) == {"hank"}


def test_the_ladder_climbs_one_step_per_threshold_each_to_its_people_and_once(customer, desk):
    ticket = open_ticket(customer, assigned_to=desk["assignee"])
    expected_people = {1: {"sam"}, 2: {"hank"}, 3: {"alice", "bob"}, 4: {"erin"}}
    for step, share in [(1, 0.8), (2, 1.0), (3, 1.5), (4, 2.0)]:
        result = escalation.tickets_escalate(now=at_share(ticket, share))
        assert result.steps == 1, f"step {step}"
        assert told(ticket, step) == expected_people[step]
        # Run again at the same moment and a little later: nothing new until the next threshold.
        assert escalation.tickets_escalate(now=at_share(ticket, share)).steps == 0
        if step < 4:
            assert escalation.tickets_escalate(now=at_share(ticket, share + 0.01)).steps == 0
    assert steps(ticket) == [
        (1, STEP.RESPONSE_NEAR),
        (2, STEP.RESPONSE_LATE),
        (3, STEP.RESPONSE_LATE),
        (4, STEP.RESPONSE_LATE),
    ]
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.ESCALATION).count() == 4
    assert inbox(desk["owner"]) == [(ticket.pk, 3)] and inbox(desk["backup"]) == [(ticket.pk, 3)]
    assert inbox(desk["executive"]) == [(ticket.pk, 4)]
    # Past the last step nothing more happens, however late it gets.
    assert escalation.tickets_escalate(now=at_share(ticket, 10)).steps == 0
    ticket.refresh_from_db()
    assert ticket.escalation_level == 4


def test_a_ticket_found_late_records_every_step_it_skipped_and_tells_each_person_once(customer, desk, alice):
    # alice owns the customer and also heads the service department: steps 2 and 3 both name her.
    DepartmentHead.objects.create(department=Ticket.Department.SERVICE, user=alice)
    ticket = open_ticket(customer, assigned_to=desk["assignee"])
    result = escalation.tickets_escalate(now=at_share(ticket, 1.6))
    assert [s for s, _reason in steps(ticket)] == [1, 2, 3]
    assert result.notifications == 4  # sam, hank, alice, bob — alice once
    assert inbox(alice) == [(ticket.pk, 3)]


def test_after_the_first_response_the_resolution_clock_escalates(customer, desk):
    ticket = open_ticket(customer, assigned_to=desk["assignee"], status=Ticket.Status.IN_PROGRESS)
    ticket.first_response_at = ticket.opened_at + timedelta(hours=2)
    ticket.save()
    assert escalation.tickets_escalate(now=at_share(ticket, 0.9, clock="response")).steps == 0
    escalation.tickets_escalate(now=at_share(ticket, 0.8, clock="resolution"))
    escalation.tickets_escalate(now=at_share(ticket, 1.0, clock="resolution"))
    assert steps(ticket) == [(1, STEP.RESOLUTION_NEAR), (2, STEP.RESOLUTION_LATE)]
    assert TicketEscalation.objects.get(ticket=ticket, step=2).due_at == ticket.resolution_due_at


@pytest.mark.parametrize(
    "status", [Ticket.Status.WAITING_CUSTOMER, Ticket.Status.RESOLVED, Ticket.Status.CLOSED], ids=str
)
def test_paused_and_finished_tickets_are_skipped(customer, desk, status):
    fields = {"status": status}
    if status != Ticket.Status.WAITING_CUSTOMER:
        fields["resolved_at"] = NOW
    if status == Ticket.Status.CLOSED:
        fields["closed_at"] = NOW
    ticket = open_ticket(customer, assigned_to=desk["assignee"], **fields)
    assert escalation.tickets_escalate(now=at_share(ticket, 5)).steps == 0
    assert not TicketEscalation.objects.exists() and not Notification.objects.exists()


def test_a_pushed_deadline_after_a_pause_moves_the_steps_with_it(customer, desk):
    ticket = open_ticket(customer, assigned_to=desk["assignee"])
    late = at_share(ticket, 1.0)
    # The workflow pushes the deadlines on by the pause when the customer answers.
    ticket.response_due_at += timedelta(hours=10)
    ticket.save()
    escalation.tickets_escalate(now=late)
    assert steps(ticket) == []


def test_without_a_department_head_the_service_desk_hears_of_a_late_ticket(customer, alice, sam):
    ticket = open_ticket(customer, department=Ticket.Department.LOGISTICS)
    escalation.tickets_escalate(now=at_share(ticket, 1.0))
    assert told(ticket, 1) == {"sam"} and told(ticket, 2) == {"sam"}
    assert Notification.objects.filter(recipient=sam).count() == 1


def test_inactive_heads_and_executives_are_not_told(customer, desk, hank, erin):
    hank.is_active = erin.is_active = False
    hank.save()
    erin.save()
    ticket = open_ticket(customer, assigned_to=desk["assignee"])
    escalation.tickets_escalate(now=at_share(ticket, 2.0))
    assert told(ticket, 2) == {"sam"}  # the service desk stands in for the missing head
    assert told(ticket, 4) == set()
    assert not Notification.objects.filter(recipient__in=[hank, erin]).exists()


def test_a_quality_complaint_routed_at_opening_still_gets_its_own_steps(customer, desk, alice):
    f.SlaPolicyFactory(tier=customer.tier, severity="high", response_hours=10, resolution_hours=40)
    ticket = ticket_open(
        customer=customer,
        by=alice,
        subject="Cracked housings",
        kind="complaint",
        category="product_quality",
        severity="high",
        channel="hotline",
        opened_at=NOW,
    )
    assert ticket.escalation_level == 1 and ticket.escalated_at == NOW  # reached production at once
    DepartmentHead.objects.create(department=Ticket.Department.PRODUCTION, user=f.UserFactory(username="paula"))
    escalation.tickets_escalate(now=at_share(ticket, 1.0))
    assert told(ticket, 1) == {"paula"} and told(ticket, 2) == {"paula"}
    ticket.refresh_from_db()
    assert ticket.escalation_level == 2 and ticket.escalated_at == NOW


def test_the_notification_reads_as_a_sentence_with_the_ticket_and_the_step(customer, desk):
    ticket = open_ticket(customer, assigned_to=desk["assignee"], subject="Late delivery of rotors")
    escalation.tickets_escalate(now=at_share(ticket, 1.0))
    note = Notification.objects.get(recipient=desk["head"])
    with translation.override("en"):
        text = render_notification(note.kind, note.params)
    assert f"#{ticket.pk}" in text and "Late delivery of rotors" in text and customer.name in text
    assert "First response overdue" in text and "Department head" in text
    assert note.link == f"/tickets/{ticket.pk}/"


def _due_tickets(customer, assignee, count):
    return [open_ticket(customer, assigned_to=assignee) for _ in range(count)]


@pytest.mark.parametrize("count", [3, 30])
def test_a_run_takes_the_same_number_of_queries_however_many_tickets_are_due(
    customer, desk, count, django_assert_num_queries, django_capture_on_commit_callbacks
):
    tickets = _due_tickets(customer, desk["assignee"], count)
    # savepoint, candidates, heads, groups, insert steps, insert notified, insert events,
    # update levels, insert ticket history, insert notifications, release savepoint
    with django_capture_on_commit_callbacks(execute=False), django_assert_num_queries(11):
        result = escalation.tickets_escalate(now=at_share(tickets[0], 1.6))
    assert result.steps == 3 * count
    with django_assert_num_queries(3):  # savepoint, candidates, release: nothing is due any more
        assert escalation.tickets_escalate(now=at_share(tickets[0], 1.6)).steps == 0


def test_emails_go_out_after_the_run_commits_to_people_with_an_address(
    customer, desk, django_capture_on_commit_callbacks
):
    desk["backup"].email = ""
    desk["backup"].save()
    ticket = open_ticket(customer, assigned_to=desk["assignee"])
    with django_capture_on_commit_callbacks(execute=True):
        escalation.tickets_escalate(now=at_share(ticket, 1.5))
        assert mail.outbox == []  # nothing before the commit
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "hank@example.com", "sam@example.com"]
    assert all(f"#{ticket.pk}" in m.subject for m in mail.outbox)
    assert not Notification.objects.filter(emailed_at__isnull=True).exclude(recipient=desk["backup"]).exists()


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_in_threads_record_and_notify_each_step_once(postgres_only, customer, desk):
    tickets = _due_tickets(customer, desk["assignee"], 40)
    now = at_share(tickets[0], 2.0)
    workers = 4
    barrier = threading.Barrier(workers)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=30)
            results.append(escalation.tickets_escalate(now=now))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(r.steps for r in results) == 40 * 4
    assert TicketEscalation.objects.count() == 40 * 4
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.ESCALATION).count() == 40 * 4
    # Each ticket tells each of its five people once: sam, hank, alice, bob, erin.
    assert Notification.objects.count() == 40 * 5
    assert set(Ticket.objects.values_list("escalation_level", flat=True)) == {4}
    assert sorted(len(m.to) for m in mail.outbox) == [1] * (40 * 5)


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_step_another_worker_recorded_meanwhile_is_neither_repeated_nor_notified(postgres_only, customer, desk):
    """The worst interleaving: both workers found the ticket due; the other one wrote first."""
    ticket = open_ticket(customer, assigned_to=desk["assignee"])
    now = at_share(ticket, 1.0)
    found = list(escalation.tickets_due_for_escalation(now=now).values(*escalation.DUE_FIELDS))
    assert [t["target_level"] for t in found] == [2]
    escalation.tickets_escalate(now=now)  # the other worker
    rungs = escalation._rungs(found[0], heads={}, executives=[], service_desk=[desk["assignee"].pk])
    assert escalation._insert_new_steps(rungs, now=now) == {}
    assert TicketEscalation.objects.count() == 2 and Notification.objects.count() == 2


def test_the_beat_runs_escalation_every_five_minutes_and_drops_a_stale_run():
    entry = app.conf.beat_schedule["escalate-tickets"]
    assert entry["task"] == "complaints.tasks.escalate_tickets" and entry["task"] in app.tasks
    assert entry["schedule"].minute == {0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55}
    assert entry["options"]["expires"] < 5 * 60
    task = app.tasks["complaints.tasks.escalate_tickets"]
    assert task.acks_late and task.soft_time_limit < task.time_limit <= 5 * 60


def test_the_task_escalates_at_the_time_it_is_given(customer, desk):
    ticket = open_ticket(customer, assigned_to=desk["assignee"])
    result = app.tasks["complaints.tasks.escalate_tickets"].delay(at_share(ticket, 1.0).isoformat()).get()
    assert result["steps"] == 2 and result["tickets"] == 1


@pytest.mark.needs_redis
@pytest.mark.django_db(transaction=True)
def test_escalation_runs_through_a_real_worker_against_redis(real_worker, customer, desk):
    ticket = open_ticket(customer, assigned_to=desk["assignee"])
    now = at_share(ticket, 1.5).isoformat()
    task = app.tasks["complaints.tasks.escalate_tickets"]
    first = task.delay(now).get(timeout=60)
    second = task.delay(now).get(timeout=60)
    # The worker also sends the emails the first run queued after its commit.
    deadline = time.monotonic() + 60
    while Notification.objects.filter(emailed_at__isnull=True).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert (first["steps"], second["steps"]) == (3, 0)
    assert [s for s, _reason in steps(ticket)] == [1, 2, 3]
    assert Notification.objects.count() == 4
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    assert sorted(m.to[0] for m in mail.outbox) == [f"{n}@example.com" for n in ("alice", "bob", "hank", "sam")]


def test_the_thresholds_come_from_the_settings(customer, desk, settings):
    settings.ESCALATION_STEP_PERCENT = [50, 100, 120, 140]
    ticket = open_ticket(customer, assigned_to=desk["assignee"])
    assert escalation.tickets_escalate(now=at_share(ticket, 0.49)).steps == 0
    assert escalation.tickets_escalate(now=at_share(ticket, 0.5)).steps == 1
    assert escalation.tickets_escalate(now=at_share(ticket, 1.4)).steps == 3


@pytest.mark.parametrize("raw", ["80,100,150", "80,100,100,200", "0,100,150,200", "eighty,100,150,200"])
def test_bad_step_percentages_stop_the_start_with_a_clear_message(monkeypatch, raw):
    from django.core.exceptions import ImproperlyConfigured

    from keyaccounts.settings import env_percent_steps

    monkeypatch.setenv("ESCALATION_STEP_PERCENT", raw)
    with pytest.raises(ImproperlyConfigured, match="ESCALATION_STEP_PERCENT"):
        env_percent_steps("ESCALATION_STEP_PERCENT", "80,100,150,200")


def test_the_command_escalates_now_and_a_second_run_adds_nothing(customer, desk):
    from io import StringIO

    from django.core.management import call_command

    ticket = open_ticket(customer, assigned_to=desk["assignee"], opened=datetime.now(UTC) - timedelta(hours=30))
    first, second = StringIO(), StringIO()
    call_command("escalate_tickets", stdout=first)
    call_command("escalate_tickets", stdout=second)
    assert [s for s, _reason in steps(ticket)] == [1, 2, 3, 4]
    assert Notification.objects.filter(ticket=ticket).exists()
    assert first.getvalue().startswith("4 escalation steps on 1 ticket, ")
    assert second.getvalue().startswith("0 escalation steps")
