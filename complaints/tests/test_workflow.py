"""The ticket workflow services: moves allowed and refused, SLA clocks with pauses, assignment,
routing of quality complaints, on-site service, closure, recurrence and stale updates.

Every service takes ``now``: the clock here is explicit, never the wall clock."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.models import Tier
from complaints import services
from complaints.models import DepartmentHead, Notification, Severity, Ticket, TicketEvent
from complaints.notifications import render_notification
from complaints.selectors import sla_clocks
from complaints.templatetags.tickets import event_summary
from keyaccounts.editing import StaleEdit, edit_version
from keyaccounts.tests import factories as f

S = Ticket.Status
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
H = timedelta(hours=1)


@pytest.fixture
def key_customer(customer):
    customer.tier = Tier.KEY
    customer.save()
    f.SlaPolicyFactory(tier=Tier.KEY, severity=Severity.HIGH, response_hours=4, resolution_hours=48)
    return customer


def open_ticket(customer, by, *, at=T0, category="delivery", kind="complaint", **extra):
    return services.ticket_open(
        customer=customer,
        by=by,
        subject="Bearings arrived corroded",
        kind=kind,
        category=category,
        severity="high",
        channel="hotline",
        opened_at=at,
        **extra,
    )


def move(ticket, to, by, at):
    return services.ticket_transition(ticket=ticket, to=to, by=by, now=at)


# Moves ------------------------------------------------------------------------------------------


def test_the_whole_workflow_records_every_move_with_who_and_when(key_customer, sam):
    ticket = open_ticket(key_customer, sam)
    for hours, to in enumerate([S.ACKNOWLEDGED, S.IN_PROGRESS, S.WAITING_CUSTOMER, S.IN_PROGRESS, S.RESOLVED], 1):
        ticket = move(ticket, to, sam, T0 + hours * H)
    ticket = services.ticket_close(
        ticket=ticket, by=sam, root_cause="Wet storage", corrective_action="Dry store", satisfaction=4, now=T0 + 9 * H
    )
    assert ticket.status == S.CLOSED and ticket.closed_at == T0 + 9 * H and ticket.resolved_at == T0 + 5 * H
    moves = list(ticket.events.filter(kind="status").values_list("from_status", "to_status", "at", "by"))
    assert moves == [
        ("new", "acknowledged", T0 + 1 * H, sam.pk),
        ("acknowledged", "in_progress", T0 + 2 * H, sam.pk),
        ("in_progress", "waiting_customer", T0 + 3 * H, sam.pk),
        ("waiting_customer", "in_progress", T0 + 4 * H, sam.pk),
        ("in_progress", "resolved", T0 + 5 * H, sam.pk),
        ("resolved", "closed", T0 + 9 * H, sam.pk),
    ]


@pytest.mark.parametrize(
    "path, refused",
    [
        ([], S.WAITING_CUSTOMER),  # new → waiting: acknowledge first
        ([], S.NEW),
        ([S.ACKNOWLEDGED], S.NEW),
        ([S.IN_PROGRESS], S.ACKNOWLEDGED),
        ([S.RESOLVED], S.WAITING_CUSTOMER),
    ],
)
def test_a_move_the_workflow_does_not_allow_is_refused_and_changes_nothing(key_customer, sam, path, refused):
    ticket = open_ticket(key_customer, sam)
    for i, to in enumerate(path, 1):
        ticket = move(ticket, to, sam, T0 + i * H)
    ticket.refresh_from_db()
    before = (edit_version(ticket), ticket.events.count())
    with pytest.raises(ValidationError) as refusal:
        move(ticket, refused, sam, T0 + 10 * H)
    assert "cannot move to" in refusal.value.messages[0]
    ticket.refresh_from_db()
    assert (edit_version(ticket), ticket.events.count()) == before


def test_closing_goes_through_the_closure_form_not_a_plain_move(key_customer, sam):
    ticket = move(open_ticket(key_customer, sam), S.RESOLVED, sam, T0 + H)
    with pytest.raises(ValidationError, match="closure form"):
        move(ticket, S.CLOSED, sam, T0 + 2 * H)
    ticket.refresh_from_db()
    assert ticket.status == S.RESOLVED


def test_the_first_move_out_of_new_is_the_first_response_and_later_moves_keep_it(key_customer, sam):
    ticket = open_ticket(key_customer, sam)
    services.ticket_comment(ticket=ticket, by=sam, text="Called back, left a message", now=T0 + H)
    ticket.refresh_from_db()
    assert ticket.first_response_at is None  # a comment is an internal note, not an answer
    ticket = move(ticket, S.ACKNOWLEDGED, sam, T0 + 2 * H)
    ticket = move(ticket, S.IN_PROGRESS, sam, T0 + 3 * H)
    assert ticket.first_response_at == T0 + 2 * H


@pytest.mark.parametrize("closed", [False, True])
def test_reopening_clears_resolved_and_closed_times_so_the_ticket_counts_as_open(key_customer, sam, closed):
    ticket = move(move(open_ticket(key_customer, sam), S.IN_PROGRESS, sam, T0 + H), S.RESOLVED, sam, T0 + 2 * H)
    if closed:
        ticket = services.ticket_close(
            ticket=ticket, by=sam, root_cause="Wet", corrective_action="Dry", satisfaction=2, now=T0 + 3 * H
        )
    ticket = move(ticket, S.IN_PROGRESS, sam, T0 + 4 * H)
    assert ticket.status == S.IN_PROGRESS and ticket.resolved_at is None and ticket.closed_at is None
    assert ticket.is_open and ticket.first_response_at == T0 + H


def test_a_move_dated_before_the_ticket_opened_is_refused(key_customer, sam):
    ticket = open_ticket(key_customer, sam)
    with pytest.raises(ValidationError):
        move(ticket, S.ACKNOWLEDGED, sam, T0 - H)


# SLA clocks -------------------------------------------------------------------------------------


def test_deadlines_come_from_the_policy_and_run_while_the_ticket_is_worked(key_customer, sam):
    ticket = open_ticket(key_customer, sam)
    assert (ticket.response_due_at, ticket.resolution_due_at) == (T0 + 4 * H, T0 + 48 * H)
    response, resolution = sla_clocks(ticket, now=T0 + 3 * H)
    assert (response.state, response.left) == ("running", H)
    response, resolution = sla_clocks(ticket, now=T0 + 6 * H)
    assert (response.state, response.left) == ("overdue", -2 * H) and resolution.state == "running"


def test_key_accounts_are_answered_within_24_hours_by_the_default_policies(db):
    from complaints.models import SlaPolicy

    key = SlaPolicy.objects.filter(tier=Tier.KEY)
    assert sorted(key.values_list("severity", flat=True)) == sorted(Severity.values)
    assert max(key.values_list("response_hours", flat=True)) == 24


def test_waiting_for_the_customer_pauses_both_clocks_and_resuming_pushes_the_deadlines(key_customer, sam):
    ticket = open_ticket(key_customer, sam)
    ticket = move(ticket, S.ACKNOWLEDGED, sam, T0 + 1 * H)
    ticket = move(ticket, S.WAITING_CUSTOMER, sam, T0 + 10 * H)
    assert ticket.sla_paused_at == T0 + 10 * H
    # Paused: however long the wait, the clock shows what is left from when it stopped.
    _response, resolution = sla_clocks(ticket, now=T0 + 100 * H)
    assert (resolution.state, resolution.left) == ("paused", 38 * H)
    ticket = move(ticket, S.IN_PROGRESS, sam, T0 + 30 * H)
    assert ticket.sla_paused_at is None and ticket.sla_paused_total == 20 * H
    assert ticket.resolution_due_at == T0 + 68 * H
    assert ticket.response_due_at == T0 + 4 * H  # already answered: that deadline is history
    # A second wait adds up.
    ticket = move(ticket, S.WAITING_CUSTOMER, sam, T0 + 40 * H)
    ticket = move(ticket, S.RESOLVED, sam, T0 + 45 * H)
    assert ticket.sla_paused_total == 25 * H and ticket.resolution_due_at == T0 + 73 * H
    _response, resolution = sla_clocks(ticket, now=T0 + 200 * H)
    assert resolution.state == "met"


def test_a_ticket_overdue_before_the_wait_stays_overdue_while_paused(key_customer, sam):
    ticket = move(open_ticket(key_customer, sam), S.ACKNOWLEDGED, sam, T0 + H)
    ticket = move(ticket, S.WAITING_CUSTOMER, sam, T0 + 50 * H)
    _response, resolution = sla_clocks(ticket, now=T0 + 60 * H)
    assert resolution.state == "paused" and resolution.left == -2 * H and resolution.late


def test_a_ticket_without_a_policy_has_no_clock(customer, sam):
    from complaints.models import SlaPolicy

    SlaPolicy.objects.all().delete()
    ticket = open_ticket(customer, sam)
    response, resolution = sla_clocks(ticket, now=T0 + H)
    assert response.state == resolution.state == "none"


# Assignment and routing -------------------------------------------------------------------------


def test_assigning_a_department_and_a_person_is_kept_in_the_history(key_customer, sam, tina):
    ticket = open_ticket(key_customer, sam)
    ticket = services.ticket_assign(ticket=ticket, by=sam, department="logistics", assigned_to=tina, now=T0 + H)
    assert (ticket.department, ticket.assigned_to) == ("logistics", tina)
    event = ticket.events.get(kind=TicketEvent.Kind.ASSIGNMENT)
    assert (event.by, event.at) == (sam, T0 + H)
    assert event_summary(event) == "to Logistics, assigned to tina"
    with translation.override("zh-hans"):
        assert event_summary(event) == "转至物流，负责人：tina"


def test_assigning_nothing_is_refused(key_customer, sam):
    ticket = open_ticket(key_customer, sam)
    with pytest.raises(ValidationError):
        services.ticket_assign(ticket=ticket, by=sam, now=T0 + H)


def test_a_complaint_recategorised_as_quality_goes_to_production_and_records_when(key_customer, sam):
    ticket = open_ticket(key_customer, sam, category="delivery")
    assert ticket.department == "service" and ticket.escalated_at is None
    ticket = services.ticket_change_category(ticket=ticket, by=sam, category="product_quality", now=T0 + 5 * H)
    assert ticket.department == "production" and ticket.escalated_at == T0 + 5 * H
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds == ["created", "change", "assignment", "escalation"]
    reached = ticket.events.get(kind="escalation")
    assert reached.details == {"reached": "production", "hours": 5.0}
    assert event_summary(reached) == "Quality complaint reached Production 5.0 hours after it was opened."


def test_a_quality_complaint_that_already_reached_production_keeps_its_first_time(key_customer, sam):
    ticket = open_ticket(key_customer, sam, category="product_quality")
    assert ticket.escalated_at == T0
    ticket = services.ticket_assign(ticket=ticket, by=sam, department="service", now=T0 + H)
    ticket = services.ticket_assign(ticket=ticket, by=sam, department="technical", now=T0 + 2 * H)
    assert ticket.escalated_at == T0


def test_a_service_request_about_quality_is_not_routed_to_production(key_customer, sam):
    ticket = open_ticket(key_customer, sam, kind="service_request", category="other")
    ticket = services.ticket_change_category(ticket=ticket, by=sam, category="product_quality", now=T0 + H)
    assert ticket.department == "service" and ticket.escalated_at is None


def test_bulk_assign_changes_those_that_differ_and_skips_closed_ones(key_customer, sam, tina):
    a, b, c = (open_ticket(key_customer, sam, at=T0 + i * H) for i in range(3))
    services.ticket_assign(ticket=b, by=sam, department="technical", assigned_to=tina, now=T0 + 4 * H)
    c = move(c, S.RESOLVED, sam, T0 + 4 * H)
    services.ticket_close(ticket=c, by=sam, root_cause="x", corrective_action="y", satisfaction=3, now=T0 + 5 * H)
    result = services.ticket_assign_bulk(
        tickets=[a, b, c], by=sam, department="technical", assigned_to=tina, now=T0 + 6 * H
    )
    assert (result.changed, result.unchanged, result.refused) == (1, 2, 0)
    a.refresh_from_db()
    c.refresh_from_db()
    assert (a.department, a.assigned_to) == ("technical", tina)
    assert c.assigned_to is None


# On-site service --------------------------------------------------------------------------------


def test_on_site_service_is_requested_scheduled_and_done_in_order(key_customer, sam, tina):
    ticket = open_ticket(key_customer, sam)
    with pytest.raises(ValidationError, match="Request an on-site visit"):
        services.ticket_onsite_schedule(ticket=ticket, by=sam, scheduled_for=T0 + 5 * H, engineer=tina, now=T0 + H)
    ticket = services.ticket_onsite_request(ticket=ticket, by=sam, note="Line 3 is down", now=T0 + H)
    ticket = services.ticket_onsite_schedule(
        ticket=ticket, by=sam, scheduled_for=T0 + 5 * H, engineer=tina, now=T0 + 2 * H
    )
    with pytest.raises(ValidationError, match="report"):
        services.ticket_onsite_done(ticket=ticket, by=tina, report="  ", now=T0 + 6 * H)
    ticket = services.ticket_onsite_done(ticket=ticket, by=tina, report="Replaced the seal", now=T0 + 6 * H)
    assert (ticket.onsite_requested_at, ticket.onsite_scheduled_for, ticket.onsite_engineer) == (
        T0 + H,
        T0 + 5 * H,
        tina,
    )
    assert ticket.onsite_done_at == T0 + 6 * H and ticket.onsite_report == "Replaced the seal"
    assert ticket.events.filter(kind="onsite").count() == 3
    with pytest.raises(ValidationError, match="already"):
        services.ticket_onsite_done(ticket=ticket, by=tina, report="Again", now=T0 + 7 * H)


# Closure ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "root_cause, action, satisfaction, message",
    [
        ("", "Dry store", 4, "root cause"),
        ("Wet storage", " ", 4, "corrective action"),
        ("Wet storage", "Dry store", None, "satisfaction"),
        ("Wet storage", "Dry store", 6, "1 to 5"),
    ],
)
def test_closing_a_complaint_without_root_cause_action_or_satisfaction_is_refused(
    key_customer, sam, root_cause, action, satisfaction, message
):
    ticket = move(open_ticket(key_customer, sam), S.RESOLVED, sam, T0 + H)
    with pytest.raises(ValidationError) as refusal:
        services.ticket_close(
            ticket=ticket,
            by=sam,
            root_cause=root_cause,
            corrective_action=action,
            satisfaction=satisfaction,
            now=T0 + 2 * H,
        )
    assert message in " ".join(refusal.value.messages)
    ticket.refresh_from_db()
    assert ticket.status == S.RESOLVED and ticket.closed_at is None and ticket.satisfaction is None


def test_a_service_request_may_close_without_root_cause(key_customer, sam):
    ticket = move(open_ticket(key_customer, sam, kind="service_request", category="other"), S.RESOLVED, sam, T0 + H)
    ticket = services.ticket_close(ticket=ticket, by=sam, now=T0 + 2 * H)
    assert ticket.status == S.CLOSED


def test_closing_an_unresolved_ticket_is_refused(key_customer, sam):
    ticket = open_ticket(key_customer, sam)
    with pytest.raises(ValidationError, match="cannot move"):
        services.ticket_close(ticket=ticket, by=sam, root_cause="x", corrective_action="y", satisfaction=3, now=T0 + H)


# Recurrence -------------------------------------------------------------------------------------


def test_a_second_ticket_of_the_same_customer_and_category_within_90_days_is_a_recurrence(key_customer, sam):
    first = open_ticket(key_customer, sam, category="delivery")
    other_category = open_ticket(key_customer, sam, category="price", at=T0 + 24 * H)
    again = open_ticket(key_customer, sam, category="delivery", at=T0 + timedelta(days=89))
    assert first.recurrence_of is None and other_category.recurrence_of is None
    assert again.recurrence_of == first


def test_a_ticket_after_90_days_or_for_another_customer_is_not_a_recurrence(key_customer, sam, oscars_customer):
    open_ticket(key_customer, sam, category="delivery")
    assert open_ticket(key_customer, sam, category="delivery", at=T0 + timedelta(days=91)).recurrence_of is None
    assert open_ticket(oscars_customer, sam, category="delivery", at=T0 + H).recurrence_of is None


# Concurrency ------------------------------------------------------------------------------------


def test_a_change_made_on_a_stale_copy_is_refused_and_the_other_change_is_kept(key_customer, sam, alice):
    ticket = Ticket.objects.get(pk=open_ticket(key_customer, sam).pk)  # as both pages loaded it
    seen_by_sam = edit_version(ticket)
    seen_by_alice = edit_version(ticket)
    services.ticket_assign(ticket=ticket, by=alice, department="logistics", version=seen_by_alice, now=T0 + H)
    with pytest.raises(StaleEdit):
        services.ticket_transition(ticket=ticket, to=S.RESOLVED, by=sam, version=seen_by_sam, now=T0 + 2 * H)
    ticket.refresh_from_db()
    assert ticket.status == S.NEW and ticket.department == "logistics"
    assert not ticket.events.filter(kind="status").exists()


def test_an_account_manager_cannot_be_given_another_managers_customers_ticket(key_customer, sam, oscar):
    ticket = Ticket.objects.get(pk=open_ticket(key_customer, sam).pk)
    with pytest.raises(ValidationError, match="does not work on this customer"):
        services.ticket_assign(ticket=ticket, by=sam, assigned_to=oscar, now=T0 + H)
    result = services.ticket_assign_bulk(tickets=[ticket], by=sam, assigned_to=oscar, now=T0 + H)
    assert (result.changed, result.refused) == (0, 1)
    ticket.refresh_from_db()
    assert ticket.assigned_to is None and not ticket.events.filter(kind="assignment").exists()


def test_the_service_desk_may_be_given_any_customers_ticket(key_customer, alice, sam):
    ticket = open_ticket(key_customer, alice)
    assert services.ticket_assign(ticket=ticket, by=alice, assigned_to=sam, now=T0 + H).assigned_to == sam


# Who hears of it --------------------------------------------------------------------------------


def inbox(user):
    return [
        (n.kind, n.ticket_id, render_notification(n.kind, n.params))
        for n in Notification.objects.filter(recipient=user).order_by("pk")
    ]


def test_the_person_given_a_ticket_is_told_and_the_one_who_took_it_is_not(key_customer, sam, tina):
    ticket = open_ticket(key_customer, sam)
    services.ticket_assign(ticket=ticket, by=sam, assigned_to=tina, now=T0 + H)
    services.ticket_assign(ticket=ticket, by=sam, department="technical", now=T0 + 2 * H)
    services.ticket_assign(ticket=ticket, by=sam, assigned_to=sam, now=T0 + 3 * H)
    with translation.override("en"):
        assert inbox(tina) == [
            (
                "assigned",
                ticket.pk,
                f"Ticket #{ticket.pk} “Bearings arrived corroded” · {key_customer.name} is yours now: "
                "sam assigned it to you.",
            )
        ]
    assert inbox(sam) == []
    assert Notification.objects.get(recipient=tina).link == f"/tickets/{ticket.pk}/"


def test_bulk_assign_tells_the_person_once_per_ticket_that_changed(key_customer, sam, tina):
    a, b = (open_ticket(key_customer, sam, at=T0 + i * H) for i in range(2))
    services.ticket_assign(ticket=b, by=sam, assigned_to=tina, now=T0 + 3 * H)
    services.ticket_assign_bulk(tickets=[a, b], by=sam, assigned_to=tina, now=T0 + 4 * H)
    assert sorted(ticket_id for _kind, ticket_id, _text in inbox(tina)) == [a.pk, b.pk]


def test_production_heads_hear_of_a_quality_complaint_the_moment_it_opens(key_customer, sam, tina):
    head = f.UserFactory(username="hank")
    DepartmentHead.objects.create(department="production", user=head)
    DepartmentHead.objects.create(department="logistics", user=tina)
    ticket = open_ticket(key_customer, sam, category="product_quality")
    with translation.override("en"):
        assert inbox(head) == [
            (
                "routed",
                ticket.pk,
                f"Quality complaint #{ticket.pk} “Bearings arrived corroded” · {key_customer.name} has reached "
                "Production. Every hour it waits pushes the customer toward a competitor.",
            )
        ]
    assert inbox(tina) == []


def test_a_complaint_recategorised_as_quality_tells_production_once(key_customer, sam):
    head = f.UserFactory(username="hank")
    DepartmentHead.objects.create(department="production", user=head)
    ticket = open_ticket(key_customer, sam, category="delivery")
    assert inbox(head) == []
    ticket = services.ticket_change_category(ticket=ticket, by=sam, category="product_quality", now=T0 + H)
    services.ticket_assign(ticket=ticket, by=sam, department="technical", now=T0 + 2 * H)
    assert [kind for kind, _ticket, _text in inbox(head)] == ["routed"]
