"""The queue and the ticket page: who sees and works what, what the pages show, the actions
through the browser's forms (htmx and plain), stale updates, bulk assign and query counts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.models import Ticket, TicketEvent
from keyaccounts.editing import INVALID, edit_version
from keyaccounts.tests import factories as f

HTMX = {"HX-Request": "true"}
S = Ticket.Status
READERS = ["alice", "bob", "tina", "erin", "sam"]
WRITERS = ["alice", "bob", "tina", "sam"]
ACTIONS = [
    "transition", "comment", "assign", "category", "onsite_request", "onsite_schedule", "onsite_done", "close",
]  # fmt: skip


@pytest.fixture
def ticket(customer, sam):
    return services.ticket_open(
        customer=customer,
        by=sam,
        subject="Bearings arrived corroded",
        kind="complaint",
        category="delivery",
        severity="high",
        channel="hotline",
        opened_at=timezone.now() - timedelta(hours=3),
    )


def fresh(ticket):
    return Ticket.objects.get(pk=ticket.pk)


def action(name, ticket):
    return reverse(f"ticket_{name}", args=[ticket.pk])


# Who sees what ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", READERS)
def test_the_account_team_the_executive_and_the_desk_read_the_ticket_page(client, ticket, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("ticket_detail", args=[ticket.pk]))
    assert response.status_code == 200
    assert "Bearings arrived corroded" in response.text and "Shanghai Precision Motors" in response.text


def test_an_outsider_gets_a_404_on_the_ticket_page_and_on_every_action(client, oscar, ticket):
    client.force_login(oscar)
    assert client.get(reverse("ticket_detail", args=[ticket.pk])).status_code == 404
    for name in ACTIONS:
        assert client.post(action(name, ticket), {}).status_code == 404, name
    assert fresh(ticket).events.count() == 1


@pytest.mark.parametrize("name", ACTIONS)
def test_the_executive_may_not_take_any_action_on_a_ticket(client, erin, ticket, name):
    client.force_login(erin)
    assert client.post(action(name, ticket), {}).status_code == 403
    assert fresh(ticket).events.count() == 1


def test_the_executive_reads_but_every_action_is_a_403(client, erin, ticket):
    client.force_login(erin)
    page = client.get(reverse("ticket_detail", args=[ticket.pk])).text
    assert 'data-testid="actions"' not in page
    version = edit_version(fresh(ticket))
    refused = client.post(
        action("transition", ticket), {"transition-to": "acknowledged", "transition-version": version}
    )
    assert refused.status_code == 403
    assert client.post(action("comment", ticket), {"comment-text": "hello"}).status_code == 403
    assert (
        client.post(reverse("ticket_bulk_assign"), {"tickets": [ticket.pk], "department": "sales"}).status_code == 403
    )
    assert fresh(ticket).status == S.NEW and fresh(ticket).events.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(client, ticket):
    for url in (reverse("ticket_queue"), reverse("ticket_detail", args=[ticket.pk]), action("comment", ticket)):
        response = client.get(url) if "comment" not in url else client.post(url, {"comment-text": "x"})
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("who", READERS)
def test_the_queue_lists_the_ticket_for_those_who_may_see_it(client, ticket, who, request):
    client.force_login(request.getfixturevalue(who))
    page = client.get(reverse("ticket_queue")).text
    assert f'data-ticket="{ticket.pk}"' in page


def test_an_account_manager_sees_only_his_customers_tickets_in_the_queue(client, oscar, ticket, oscars_customer, sam):
    own = f.TicketFactory(customer=oscars_customer, subject="Oscar's own ticket")
    client.force_login(oscar)
    page = client.get(reverse("ticket_queue")).text
    assert f'data-ticket="{own.pk}"' in page and f'data-ticket="{ticket.pk}"' not in page


def test_the_bulk_assign_bar_shows_for_writers_and_not_for_the_executive(client, ticket, alice, erin):
    client.force_login(alice)
    assert 'data-testid="bulk-assign"' in client.get(reverse("ticket_queue")).text
    client.force_login(erin)
    assert 'data-testid="bulk-assign"' not in client.get(reverse("ticket_queue")).text


# Working the ticket -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", WRITERS)
def test_the_team_and_the_desk_move_a_ticket_and_the_history_names_them(client, ticket, who, request):
    user = request.getfixturevalue(who)
    client.force_login(user)
    version = edit_version(fresh(ticket))
    response = client.post(
        action("transition", ticket),
        {"transition-to": "acknowledged", "transition-note": "Called back", "transition-version": version},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert 'data-status="acknowledged"' in response.text and "Status changed to “Acknowledged”" in response.text
    event = fresh(ticket).events.get(kind="status")
    assert (event.by, event.comment) == (user, "Called back")
    assert fresh(ticket).first_response_at is not None


def test_a_refused_move_says_why_and_changes_nothing(client, sam, ticket):
    client.force_login(sam)
    version = edit_version(fresh(ticket))
    response = client.post(
        action("transition", ticket), {"transition-to": "waiting_customer", "transition-version": version}, headers=HTMX
    )
    assert response.status_code == INVALID
    assert "A ticket that is “New” cannot move to “Waiting for customer”." in response.text
    assert fresh(ticket).status == S.NEW


def test_an_update_made_on_a_stale_page_is_refused_with_a_clear_message(client, sam, alice, ticket):
    stale = edit_version(fresh(ticket))
    client.force_login(alice)
    client.post(action("assign", ticket), {"assign-department": "logistics", "assign-version": stale}, headers=HTMX)
    client.force_login(sam)
    response = client.post(
        action("transition", ticket), {"transition-to": "resolved", "transition-version": stale}, headers=HTMX
    )
    assert response.status_code == INVALID
    assert "Someone else changed this record after you opened it" in response.text
    assert 'data-testid="ticket-department">Logistics' in response.text  # the other change is shown
    assert fresh(ticket).status == S.NEW and fresh(ticket).department == "logistics"


def test_a_plain_form_post_redirects_back_to_the_ticket_with_a_message(client, sam, ticket):
    client.force_login(sam)
    response = client.post(action("comment", ticket), {"comment-text": "Customer sent photos"}, follow=True)
    assert response.redirect_chain == [(reverse("ticket_detail", args=[ticket.pk]), 302)]
    assert "Comment added." in response.text and "Customer sent photos" in response.text


def test_an_empty_comment_is_refused_and_nothing_is_written(client, sam, ticket):
    client.force_login(sam)
    response = client.post(action("comment", ticket), {"comment-text": "   "}, headers=HTMX)
    assert response.status_code == INVALID and "This field is required." in response.text
    assert not fresh(ticket).events.filter(kind="comment").exists()


def test_closing_a_complaint_without_root_cause_or_satisfaction_is_refused_on_the_page(client, sam, ticket):
    services.ticket_transition(ticket=ticket, to=S.RESOLVED, by=sam)
    client.force_login(sam)
    version = edit_version(fresh(ticket))
    response = client.post(action("close", ticket), {"close-version": version, "close-root_cause": ""}, headers=HTMX)
    assert response.status_code == INVALID
    assert "A complaint is closed only with its root cause." in response.text
    assert "A complaint is closed only with the corrective action taken." in response.text
    assert "A complaint is closed only with the customer&#x27;s satisfaction (1–5)." in response.text
    assert fresh(ticket).status == S.RESOLVED
    response = client.post(
        action("close", ticket),
        {
            "close-version": version,
            "close-root_cause": "Wet storage",
            "close-corrective_action": "Dry store",
            "close-satisfaction": "4",
        },
        headers=HTMX,
    )
    assert response.status_code == 200 and 'data-status="closed"' in response.text
    assert fresh(ticket).satisfaction == 4


def test_assigning_a_person_who_may_not_take_tickets_is_refused(client, sam, ticket):
    outsider = f.UserFactory(username="visitor")
    client.force_login(sam)
    version = edit_version(fresh(ticket))
    response = client.post(
        action("assign", ticket), {"assign-assigned_to": outsider.pk, "assign-version": version}, headers=HTMX
    )
    assert response.status_code == INVALID and "Choose one of the people listed." in response.text
    assert fresh(ticket).assigned_to is None


def test_on_site_service_through_the_page(client, sam, tina, ticket):
    client.force_login(sam)
    client.post(action("onsite_request", ticket), {"onsite_request-version": edit_version(fresh(ticket))})
    when = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    client.post(
        action("onsite_schedule", ticket),
        {"onsite_schedule-version": edit_version(fresh(ticket)), "onsite_schedule-scheduled_for": when,
         "onsite_schedule-engineer": tina.pk},
    )  # fmt: skip
    response = client.post(
        action("onsite_done", ticket),
        {"onsite_done-version": edit_version(fresh(ticket)), "onsite_done-report": "Seal replaced"},
        follow=True,
    )
    t = fresh(ticket)
    assert t.onsite_requested and t.onsite_engineer == tina and t.onsite_done_at and t.onsite_report == "Seal replaced"
    assert "Seal replaced" in response.text


def test_the_ticket_page_shows_the_recurrence_and_links_the_earlier_ticket(client, sam, customer, ticket):
    again = services.ticket_open(
        customer=customer, by=sam, subject="Corroded again", kind="complaint", category="delivery",
        severity="high", channel="hotline",
    )  # fmt: skip
    client.force_login(sam)
    page = client.get(reverse("ticket_detail", args=[again.pk])).text
    assert f'href="{reverse("ticket_detail", args=[ticket.pk])}"' in page and f"Recurrence of #{ticket.pk}" in page
    queue = client.get(reverse("ticket_queue")).text
    assert queue.count('data-testid="recurrence"') == 1


def test_the_customer_page_links_its_tickets(client, alice, customer, ticket):
    client.force_login(alice)
    # In the timeline, which loads after the page from its own URL.
    page = client.get(reverse("customer_timeline", args=[customer.pk]), headers={"HX-Request": "true"}).text
    assert f'href="{reverse("ticket_detail", args=[ticket.pk])}"' in page


# The queue --------------------------------------------------------------------------------------


def _at(ticket, **fields):
    Ticket.objects.filter(pk=ticket.pk).update(**fields)


def test_the_queue_puts_breached_tickets_first_then_the_nearest_deadline(client, sam, customer):
    now = timezone.now()
    later = f.TicketFactory(customer=customer, resolution_due_at=now + timedelta(hours=30))
    soon = f.TicketFactory(customer=customer, resolution_due_at=now + timedelta(hours=2))
    breached = f.TicketFactory(customer=customer, resolution_due_at=now - timedelta(hours=1))
    paused = f.TicketFactory(
        customer=customer,
        status=S.WAITING_CUSTOMER,
        resolution_due_at=now - timedelta(hours=5),  # passed during the wait: not a breach
        sla_paused_at=now - timedelta(hours=10),
    )
    no_sla = f.TicketFactory(customer=customer)
    closed = f.TicketFactory(customer=customer, status=S.CLOSED, resolved_at=now, closed_at=now)
    client.force_login(sam)
    page = client.get(reverse("ticket_queue")).text
    order = [t.pk for t in (breached, soon, paused, later, no_sla)]
    positions = [page.index(f'data-ticket="{pk}"') for pk in order]
    assert positions == sorted(positions)
    assert f'data-ticket="{closed.pk}"' not in page
    # The request runs a moment after the tickets were made: a few seconds less than 2 h are left.
    assert "overdue by 1 h" in page and "due in 1 h 59 min" in page
    assert "paused, 5 h left" in page


def test_the_queue_filters_by_department_category_severity_tier_status_and_mine(client, sam, customer):
    mine = f.TicketFactory(customer=customer, assigned_to=sam, department="logistics", severity="low")
    other = f.TicketFactory(customer=customer, department="production", category="price", severity="critical")
    customer.tier = "key"
    customer.save()
    client.force_login(sam)

    def listed(**params):
        page = client.get(reverse("ticket_queue"), params, headers=HTMX).text
        return {t.pk for t in (mine, other) if f'data-ticket="{t.pk}"' in page}

    assert listed() == {mine.pk, other.pk}
    assert listed(mine="true") == {mine.pk}
    assert listed(department="production") == {other.pk}
    assert listed(category="price") == {other.pk}
    assert listed(severity="low") == {mine.pk}
    assert listed(tier="regular") == set() and listed(tier="key") == {mine.pk, other.pk}
    assert listed(status="closed") == set()


def test_an_unknown_filter_value_is_reported_and_ignored(client, sam, ticket):
    client.force_login(sam)
    page = client.get(reverse("ticket_queue"), {"severity": "apocalyptic"}).text
    assert "Ignored the unknown value “apocalyptic” for Severity." in page
    assert f'data-ticket="{ticket.pk}"' in page


@pytest.mark.needs_postgres
@pytest.mark.parametrize("status", ["all", "open", "closed"])
def test_the_queue_read_in_two_parts_keeps_the_order_of_one_sort_on_every_page(customer, erin, status):
    """On PostgreSQL the queue of a user who sees every ticket reads the running clocks and the
    others apart (`QueueIds`); page by page, and for any window, it must list what one sort by
    `QUEUE_ORDER` lists."""
    from complaints.selectors import QueueFilter, QueueIds, queue_tickets

    now = timezone.now()
    hour = timedelta(hours=1)
    make = f.TicketFactory
    for i in range(4):
        make(customer=customer, opened_at=now - (i + 10) * hour, resolution_due_at=now + (i - 2) * hour)
        make(customer=customer, opened_at=now - (i + 20) * hour, response_due_at=now + (3 - i) * hour)
        # Answered in time but not resolved; resolved without an answer (its response clock runs).
        make(
            customer=customer, opened_at=now - (i + 30) * hour, first_response_at=now - hour,
            response_due_at=now, resolution_due_at=now + i * hour,
        )  # fmt: skip
        make(
            customer=customer, status=S.RESOLVED, opened_at=now - (i + 40) * hour, resolved_at=now,
            response_due_at=now - (5 - i) * hour, resolution_due_at=now + hour,
        )  # fmt: skip
        # Waiting for the customer, the clock paused before or after its deadline.
        make(
            customer=customer, status=S.WAITING_CUSTOMER, opened_at=now - (i + 50) * hour,
            resolution_due_at=now - i * hour, sla_paused_at=now - (2 * i) * hour,
        )  # fmt: skip
        # No clock left: closed and answered, and open without any SLA deadline; two opened at once.
        opened = now - (60 + i // 2) * hour
        make(
            customer=customer, status=S.CLOSED, opened_at=opened, first_response_at=opened,
            resolved_at=now - hour, closed_at=now, response_due_at=now, resolution_due_at=now,
        )  # fmt: skip
        make(customer=customer, opened_at=opened)
    tickets, few = queue_tickets(user=erin, now=now)
    assert not few
    listed = QueueFilter({"status": status}, queryset=tickets, user=erin).qs
    expected = list(listed.values_list("pk", flat=True))
    assert len(expected) >= 4
    ids = QueueIds(listed)
    assert ids.count() == len(expected)
    for size in (1, 3, 7, 50):
        for start in range(0, len(expected) + size, size):
            assert ids[start : start + size] == expected[start : start + size], (size, start)


def test_the_queue_pages_fifty_tickets_at_a_time(client, sam, customer):
    f.TicketFactory.create_batch(51, customer=customer)
    client.force_login(sam)
    first = client.get(reverse("ticket_queue")).text
    second = client.get(reverse("ticket_queue"), {"page": 2}).text
    assert first.count("data-ticket=") == 50 and second.count("data-ticket=") == 1
    assert "Page 1 of 2" in first


def test_bulk_assign_gives_the_ticked_tickets_to_a_department_and_a_person(client, sam, tina, customer):
    a, b, c = f.TicketFactory.create_batch(3, customer=customer)
    client.force_login(sam)
    response = client.post(
        reverse("ticket_bulk_assign"),
        {"tickets": [a.pk, b.pk], "department": "technical", "assigned_to": tina.pk, "query": "severity=high"},
        headers=HTMX,
    )
    assert response.status_code == 200 and "2 tickets assigned." in response.text
    assert {(t.department, t.assigned_to_id) for t in Ticket.objects.filter(pk__in=[a.pk, b.pk])} == {
        ("technical", tina.pk)
    }
    assert fresh(c).assigned_to is None
    assert TicketEvent.objects.filter(kind="assignment", by=sam).count() == 2


def test_bulk_assign_skips_tickets_the_user_may_not_see(client, alice, customer, oscars_customer):
    own = f.TicketFactory(customer=customer)
    hidden = f.TicketFactory(customer=oscars_customer)
    client.force_login(alice)
    response = client.post(
        reverse("ticket_bulk_assign"), {"tickets": [own.pk, hidden.pk], "department": "sales"}, headers=HTMX
    )
    assert "1 ticket assigned." in response.text and "1 ticket was not found and was skipped." in response.text
    assert fresh(own).department == "sales" and fresh(hidden).department == "service"


def test_bulk_assign_without_tickets_or_target_says_what_is_missing(client, sam, customer):
    ticket = f.TicketFactory(customer=customer)
    client.force_login(sam)
    response = client.post(reverse("ticket_bulk_assign"), {"department": "sales"}, headers=HTMX)
    assert response.status_code == INVALID and "Tick the tickets to assign first." in response.text
    response = client.post(reverse("ticket_bulk_assign"), {"tickets": [ticket.pk]}, headers=HTMX)
    assert "Choose a department or a person to assign the ticked tickets to." in response.text
    assert fresh(ticket).department == "service"


def test_bulk_assign_without_htmx_redirects_to_the_queue_with_its_filters(client, sam, customer):
    ticket = f.TicketFactory(customer=customer)
    client.force_login(sam)
    response = client.post(
        reverse("ticket_bulk_assign"), {"tickets": [ticket.pk], "department": "sales", "query": "severity=high"}
    )
    assert response.status_code == 302 and response.url == reverse("ticket_queue") + "?severity=high"


# Query counts -----------------------------------------------------------------------------------


def _many_tickets(customer, n):
    tickets = f.TicketFactory.create_batch(n, customer=customer, resolution_due_at=timezone.now())
    for t in tickets[: n // 2]:
        f.TicketEventFactory(ticket=t)
    return tickets


@pytest.mark.parametrize("n", [2, 60])
@pytest.mark.parametrize("who, queries", [("sam", 7), ("alice", 8), ("erin", 6)])
def test_the_queue_costs_the_same_number_of_queries_for_few_and_many_tickets(
    client, customer, who, queries, n, request, django_assert_num_queries
):
    user = request.getfixturevalue(who)
    tickets = _many_tickets(customer, n)
    for t in tickets:
        Ticket.objects.filter(pk=t.pk).update(assigned_to=user, recurrence_of=tickets[0])
    client.force_login(user)
    # session, user, roles, (an account manager's customer ids), count, the page's ids, its rows
    # with customer and assignee, people to assign to (not for the executive, who may not assign)
    with django_assert_num_queries(queries):
        assert client.get(reverse("ticket_queue")).status_code == 200


@pytest.mark.parametrize("events", [1, 40])
def test_the_ticket_page_costs_the_same_number_of_queries_for_a_short_and_a_long_history(
    client, sam, tina, customer, events, django_assert_num_queries
):
    ticket = f.TicketFactory(customer=customer, assigned_to=tina, contact=f.ContactFactory(customer=customer))
    earlier = f.TicketFactory(customer=customer)
    Ticket.objects.filter(pk=ticket.pk).update(recurrence_of=earlier, onsite_requested=True, onsite_engineer=tina)
    for i in range(events):
        f.TicketEventFactory(ticket=ticket, by=tina if i % 2 else sam)
    client.force_login(sam)
    # session, user, roles, the ticket with its customer, owner, contact, assignee, engineer and
    # earlier ticket; its history with who did each step; the people lists of two forms
    with django_assert_num_queries(7):
        assert client.get(reverse("ticket_detail", args=[ticket.pk])).status_code == 200


def test_the_customer_page_opens_the_queue_on_that_customers_tickets(client, alice, customer, oscars_customer):
    own = f.TicketFactory(customer=customer, status=S.CLOSED, resolved_at=timezone.now(), closed_at=timezone.now())
    other = f.TicketFactory(customer=customer)
    f.TicketFactory(customer=f.CustomerFactory(owner=alice), subject="Another customer")
    client.force_login(alice)
    page = client.get(reverse("customer_detail", args=[customer.pk])).text
    link = f"{reverse('ticket_queue')}?customer={customer.pk}&amp;status=all"
    assert link in page
    queue = client.get(reverse("ticket_queue"), {"customer": customer.pk, "status": "all"}).text
    assert f'data-ticket="{own.pk}"' in queue and f'data-ticket="{other.pk}"' in queue
    assert "Another customer" not in queue and 'data-testid="customer-filter"' in queue


def test_the_customer_filter_never_shows_another_managers_tickets(client, alice, oscars_customer):
    hidden = f.TicketFactory(customer=oscars_customer)
    client.force_login(alice)
    queue = client.get(reverse("ticket_queue"), {"customer": oscars_customer.pk, "status": "all"}).text
    assert f'data-ticket="{hidden.pk}"' not in queue and "No ticket matches these filters." in queue


def test_bulk_assign_to_a_manager_leaves_other_managers_customers_tickets_alone(client, sam, oscar, customer):
    theirs = f.TicketFactory(customer=customer)
    own = f.TicketFactory(customer=f.CustomerFactory(owner=oscar))
    client.force_login(sam)
    response = client.post(
        reverse("ticket_bulk_assign"), {"tickets": [theirs.pk, own.pk], "assigned_to": oscar.pk}, headers=HTMX
    )
    assert "1 ticket assigned." in response.text
    assert "1 ticket belongs to a customer oscar does not work on, and was left as it was." in response.text
    assert fresh(theirs).assigned_to is None and fresh(own).assigned_to == oscar


@pytest.mark.parametrize("limit", [5000, 1])
def test_a_managers_queue_shows_his_own_tickets_with_and_without_the_id_list(
    client, alice, oscar, customer, oscars_customer, limit, monkeypatch
):
    from accounts import permissions

    monkeypatch.setattr(permissions, "CUSTOMER_ID_LIST_LIMIT", limit)
    second = f.CustomerFactory(owner=oscar)
    own = [f.TicketFactory(customer=oscars_customer), f.TicketFactory(customer=second)]
    hidden = f.TicketFactory(customer=customer)
    client.force_login(oscar)
    page = client.get(reverse("ticket_queue")).text
    assert all(f'data-ticket="{t.pk}"' in page for t in own) and f'data-ticket="{hidden.pk}"' not in page


def test_the_queue_of_one_customer_lists_its_tickets_and_an_id_too_large_is_answered(client, sam, ticket):
    f.TicketFactory(subject="Another customer's ticket")
    client.force_login(sam)
    html = client.get(reverse("ticket_queue"), {"customer": ticket.customer_id}).text
    assert "Bearings arrived corroded" in html and "Another customer&#x27;s ticket" not in html
    for value in (str(2**63), "-1", "1e400"):
        assert client.get(reverse("ticket_queue"), {"customer": value}).status_code == 200, value
