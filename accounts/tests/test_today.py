"""Today: what needs doing for the user's customers, and acknowledging alerts with a note."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Alert, CustomerStatus, ProductNeed
from accounts.services import AlertCandidate, alerts_raise
from accounts.workspace.today import TODAY_PAGE_SIZE
from complaints.models import Ticket
from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f
from relationships.models import BuyingRole, InteractionKind

TODAY_URL = reverse("today")
HTMX = {"HX-Request": "true"}
# Session, user, roles, the latest scoring day, the count of customers needing attention, the
# page's customers, then one query a kind of item for them: tickets, alerts, cadences, decision
# makers, overrides, needs.
TODAY_QUERIES = 12


def items_of(response, key) -> list:
    """The items of one kind, customer after customer, as Today shows them."""
    return [item for card in response.context["listing"].customers for item in card.items if item.kind == key]


def texts(response, key) -> list[str]:
    return [item.text for item in items_of(response, key)]


def today_page(client, user):
    client.force_login(user)
    response = client.get(TODAY_URL)
    assert response.status_code == 200
    return response


def open_alert(customer) -> Alert:
    alerts_raise(
        as_of=business_today(), candidates=[AlertCandidate(customer.pk, "new_red", {"score": 70, "from": "amber"})]
    )
    return Alert.objects.get(customer=customer, closed_at__isnull=True)


@pytest.fixture
def work(customer):
    """One thing of each kind to do about alice's customer, and one that is fine of each kind."""
    today, now = business_today(), timezone.now()
    open_alert(customer)
    f.TicketFactory(customer=customer, subject="Late answer", response_due_at=now - timedelta(hours=3))
    f.TicketFactory(
        customer=customer, subject="Due tonight", first_response_at=now, resolution_due_at=now + timedelta(hours=10)
    )
    f.TicketFactory(customer=customer, subject="Due next week", response_due_at=now + timedelta(days=7))
    f.TicketFactory(
        customer=customer,
        subject="Already solved",
        status=Ticket.Status.RESOLVED,
        resolved_at=now,
        resolution_due_at=now - timedelta(days=1),
    )
    f.CadenceFactory(
        customer=customer, name="Quarterly executive meeting", interval_days=90, starts_on=today - timedelta(days=120)
    )
    f.CadenceFactory(
        customer=customer,
        name="Monthly visit",
        interaction_kind=InteractionKind.VISIT,
        interval_days=30,
        starts_on=today - timedelta(days=120),
    )
    f.InteractionFactory(customer=customer, kind=InteractionKind.VISIT, occurred_on=today - timedelta(days=5))
    forgotten = f.ContactFactory(customer=customer, name="Director Wang", title="General manager")
    met = f.ContactFactory(customer=customer, name="Director Zhao")
    f.InteractionFactory(customer=customer, occurred_on=today - timedelta(days=200)).contacts.add(forgotten)
    f.InteractionFactory(customer=customer, occurred_on=today - timedelta(days=20)).contacts.add(met)
    f.ContactFactory(customer=customer, name="Director Gone", left_on=today - timedelta(days=3))
    f.ContactFactory(customer=customer, name="Engineer Li", buying_role=BuyingRole.USER)
    f.RiskOverrideFactory(
        customer=customer,
        set_by=customer.owner,
        starts_on=today - timedelta(days=20),
        expires_on=today + timedelta(days=10),
    )
    f.ProductNeedFactory(customer=customer, description="Low-noise motor")
    f.ProductNeedFactory(customer=customer, description="Standard motor", status=ProductNeed.Status.MET, met_on=today)
    return customer


# --- who sees what -------------------------------------------------------------------------------


def test_owner_sees_every_kind_of_action_and_nothing_that_is_fine(client, alice, work):
    response = today_page(client, alice)
    assert [t.split(" (")[0] for t in texts(response, "tickets")] == [
        f"#{Ticket.objects.get(subject='Late answer').pk} Late answer",
        f"#{Ticket.objects.get(subject='Due tonight').pk} Due tonight",
    ]
    assert texts(response, "alerts") == ["Now red (risk 70), was amber"]
    assert [t.split(":")[0] for t in texts(response, "cadences")] == ["Quarterly executive meeting"]
    assert [t.split(" (")[0] for t in texts(response, "decision_makers")] == ["Director Wang"]
    assert len(texts(response, "overrides")) == 1
    assert [t.split(" (")[0] for t in texts(response, "needs")] == ["Low-noise motor"]


def test_items_link_to_the_section_of_the_customer_page_where_they_are_fixed(client, alice, work):
    page = today_page(client, alice).text
    detail = reverse("customer_detail", args=[work.pk])
    for anchor in ("section-relationships", "section-strategy", "section-risk", "section-timeline"):
        assert f'href="{detail}#{anchor}"' in page


def test_a_customers_items_come_most_urgent_kind_first(client, alice, work):
    response = today_page(client, alice)
    [card] = response.context["listing"].customers
    assert card.customer == work
    assert [item.kind for item in card.items] == [
        "tickets",
        "tickets",
        "alerts",
        "cadences",
        "decision_makers",
        "overrides",
        "needs",
    ]
    # The late ticket and the overdue cadence; a decision maker long unmet is not "late".
    assert card.late == 2
    assert response.context["listing"].total == 1


def test_most_overdue_cadence_comes_first(client, alice, customer):
    today = business_today()
    f.CadenceFactory(customer=customer, name="Late a little", interval_days=30, starts_on=today - timedelta(days=35))
    f.CadenceFactory(
        customer=customer,
        name="Late a lot",
        interaction_kind=InteractionKind.CALL,
        interval_days=30,
        starts_on=today - timedelta(days=80),
    )
    assert [t.split(":")[0] for t in texts(today_page(client, alice), "cadences")] == ["Late a lot", "Late a little"]


def test_decision_maker_never_met_comes_before_one_met_long_ago(client, alice, customer):
    today = business_today()
    old = f.ContactFactory(customer=customer, name="Met long ago")
    f.InteractionFactory(customer=customer, occurred_on=today - timedelta(days=120)).contacts.add(old)
    f.ContactFactory(customer=customer, name="Never met")
    response = today_page(client, alice)
    assert [t.split(" (")[0] for t in texts(response, "decision_makers")] == ["Never met", "Met long ago"]
    assert "never met" in response.text and "last met 120 days ago" in response.text


def test_override_expiring_after_two_weeks_is_not_listed(client, alice, customer):
    today = business_today()
    f.RiskOverrideFactory(customer=customer, set_by=alice, starts_on=today, expires_on=today + timedelta(days=30))
    assert texts(today_page(client, alice), "overrides") == []


def test_churned_customers_need_nothing_today(client, alice, customer):
    customer.status, customer.churned_on, customer.churn_reason = (
        CustomerStatus.CHURNED,
        business_today(),
        "competitor_price",
    )
    customer.save()
    f.ProductNeedFactory(customer=customer)
    assert texts(today_page(client, alice), "needs") == []


@pytest.mark.parametrize("who", ["bob", "tina"])
def test_backup_and_teammate_see_the_customers_work(client, work, who, request):
    response = today_page(client, request.getfixturevalue(who))
    assert texts(response, "needs") and texts(response, "cadences")


def test_alerts_are_listed_only_for_the_people_they_are_addressed_to(client, tina, bob, work):
    assert texts(today_page(client, tina), "alerts") == []
    assert texts(today_page(client, bob), "alerts") == ["Now red (risk 70), was amber"]


def test_outsider_manager_sees_nothing_of_another_managers_customer(client, oscar, work):
    response = today_page(client, oscar)
    assert response.context["listing"].total == 0 and response.context["listing"].customers == []
    assert work.name not in response.text
    assert "Nothing needs doing for your customers today." in response.text


def test_executive_sees_everything_but_no_acknowledge_form(client, erin, work):
    response = today_page(client, erin)
    assert texts(response, "alerts") and texts(response, "needs")
    assert "Mark as dealt with" not in response.text


def test_service_desk_sees_the_tickets_but_no_acknowledge_form(client, sam, work):
    response = today_page(client, sam)
    assert len(texts(response, "tickets")) == 2
    assert "Mark as dealt with" not in response.text


def test_anonymous_visitor_is_sent_to_login(client, work):
    for url in (TODAY_URL, reverse("today_badge")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_nav_links_to_today(client, alice, customer):
    client.force_login(alice)
    assert f'href="{TODAY_URL}"' in client.get(reverse("home")).text


# --- the badge -------------------------------------------------------------------------------------


def test_badge_counts_what_today_lists(client, alice, work):
    client.force_login(alice)
    response = client.get(reverse("today_badge"), headers=HTMX)
    # One customer with something urgent (alert, tickets at SLA, manual band ending), not 7 items.
    assert 'data-testid="today-count"' in response.text
    assert ">1<span" in response.text


def test_badge_is_empty_for_the_outsider_and_for_those_who_see_every_customer(client, oscar, erin, work):
    for user in (oscar, erin):
        client.force_login(user)
        assert client.get(reverse("today_badge")).text.strip() == ""


# --- acknowledging alerts --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "bob", "tina"])
def test_people_on_the_account_acknowledge_an_alert_with_a_note(client, customer, who, request):
    user = request.getfixturevalue(who)
    alert = open_alert(customer)
    client.force_login(user)
    response = client.post(reverse("alert_close", args=[alert.pk]), {"note": "  Called the buyer  "}, headers=HTMX)
    assert response.status_code == 200 and response.text == ""
    assert "alert-closed" in response["HX-Trigger"]
    alert.refresh_from_db()
    assert (alert.closed_by, alert.close_note) == (user, "Called the buyer")
    assert alert.history.first().close_note == "Called the buyer"


def test_acknowledged_alert_leaves_today(client, alice, customer):
    alert = open_alert(customer)
    client.force_login(alice)
    client.post(reverse("alert_close", args=[alert.pk]), {"note": "Done"}, headers=HTMX)
    assert texts(today_page(client, alice), "alerts") == []


def test_acknowledging_without_htmx_returns_to_today(client, alice, customer):
    alert = open_alert(customer)
    client.force_login(alice)
    response = client.post(reverse("alert_close", args=[alert.pk]), {"note": "", "next": TODAY_URL})
    assert response.status_code == 302 and response["Location"] == TODAY_URL


def test_acknowledging_ignores_a_next_address_on_another_site(client, alice, customer):
    alert = open_alert(customer)
    client.force_login(alice)
    response = client.post(reverse("alert_close", args=[alert.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


def test_overlong_note_is_refused_and_nothing_is_written(client, alice, customer):
    alert = open_alert(customer)
    client.force_login(alice)
    response = client.post(reverse("alert_close", args=[alert.pk]), {"note": "x" * 2001}, headers=HTMX)
    assert response.status_code == 422
    assert "at most 2000 characters" in response.text and "is-invalid" in response.text
    alert.refresh_from_db()
    assert alert.closed_at is None and alert.close_note == ""


def test_outsider_gets_404_and_the_alert_stays_open(client, oscar, customer):
    alert = open_alert(customer)
    client.force_login(oscar)
    assert client.post(reverse("alert_close", args=[alert.pk]), {"note": "mine now"}).status_code == 404
    alert.refresh_from_db()
    assert alert.closed_at is None


@pytest.mark.parametrize("who", ["erin", "sam"])
def test_read_only_roles_may_not_acknowledge(client, customer, who, request):
    alert = open_alert(customer)
    client.force_login(request.getfixturevalue(who))
    assert client.post(reverse("alert_close", args=[alert.pk]), {"note": "x"}).status_code == 403
    alert.refresh_from_db()
    assert alert.closed_at is None


def test_anonymous_acknowledge_is_sent_to_login(client, customer):
    alert = open_alert(customer)
    response = client.post(reverse("alert_close", args=[alert.pk]))
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.closed_at is None


def test_an_alert_already_closed_cannot_be_closed_again(client, alice, bob, customer):
    alert = open_alert(customer)
    client.force_login(bob)
    client.post(reverse("alert_close", args=[alert.pk]), {"note": "first"})
    client.force_login(alice)
    assert client.post(reverse("alert_close", args=[alert.pk]), {"note": "second"}).status_code == 404
    alert.refresh_from_db()
    assert (alert.closed_by, alert.close_note) == (bob, "first")


# --- query counts ----------------------------------------------------------------------------------


def _more_work(customer, count):
    today, now = business_today(), timezone.now()
    for n in range(count):
        other = f.CustomerFactory(owner=customer.owner)
        alerts_raise(as_of=today, candidates=[AlertCandidate(other.pk, "score_jump", {"score": 50, "change": 20})])
        f.TicketFactory(customer=other, response_due_at=now - timedelta(hours=n + 1))
        f.CadenceFactory(customer=other, starts_on=today - timedelta(days=n + 91))
        f.ContactFactory(customer=other)
        f.RiskOverrideFactory(
            customer=other, set_by=customer.owner, starts_on=today, expires_on=today + timedelta(days=3)
        )
        f.ProductNeedFactory(customer=other)


def test_query_count_is_pinned_and_the_same_for_1_and_30_customers(client, alice, customer, django_assert_num_queries):
    client.force_login(alice)
    _more_work(customer, 1)
    client.get(TODAY_URL)
    with django_assert_num_queries(TODAY_QUERIES):
        one = client.get(TODAY_URL)
    _more_work(customer, 29)
    with django_assert_num_queries(TODAY_QUERIES):
        many = client.get(TODAY_URL)
    assert len(one.context["listing"].customers) == 1
    assert many.context["listing"].total == 30
    assert len(many.context["listing"].customers) == TODAY_PAGE_SIZE
    # Every kind of item of every customer shown: 6 kinds each.
    assert all(len(card.items) == 6 for card in many.context["listing"].customers)
    with django_assert_num_queries(TODAY_QUERIES):
        rest = client.get(f"{TODAY_URL}?page=3", headers=HTMX)
    assert len(rest.context["listing"].customers) == TODAY_PAGE_SIZE


@pytest.mark.parametrize(("days_ago", "overdue"), [(30, False), (31, True)])
def test_cadence_is_overdue_only_once_its_interval_has_passed(client, alice, customer, days_ago, overdue):
    today = business_today()
    f.CadenceFactory(
        customer=customer,
        name="Monthly visit",
        interaction_kind=InteractionKind.VISIT,
        interval_days=30,
        starts_on=today - timedelta(days=365),
    )
    f.InteractionFactory(customer=customer, kind=InteractionKind.VISIT, occurred_on=today - timedelta(days=days_ago))
    assert bool(texts(today_page(client, alice), "cadences")) is overdue


def test_cadence_starting_later_is_not_overdue_whatever_happened_before(client, alice, customer):
    today = business_today()
    f.CadenceFactory(customer=customer, interval_days=30, starts_on=today + timedelta(days=5))
    assert texts(today_page(client, alice), "cadences") == []


@pytest.mark.parametrize("limit", [5000, 2])
def test_a_managers_today_reads_the_same_as_an_id_list_or_a_subquery(client, alice, oscar, limit, monkeypatch):
    """A manager's customers are read as a list of ids up to a limit, past it as a subquery: the
    same customers, count and order either way, and never a customer that is not theirs."""
    from accounts import permissions

    monkeypatch.setattr(permissions, "CUSTOMER_ID_LIST_LIMIT", limit)
    owned = f.CustomerFactory(owner=alice, name="A owned")
    backed = f.CustomerFactory(owner=oscar, backup_owner=alice, name="B backed")
    team = f.CustomerFactory(owner=oscar, name="C on the team")
    team.account_team.add(alice)
    stranger = f.CustomerFactory(owner=oscar, name="D not hers")
    for c in (owned, backed, team, stranger):
        f.ProductNeedFactory(customer=c)
    f.TicketFactory(customer=backed, subject="Late answer", response_due_at=timezone.now() - timedelta(hours=3))

    listing = today_page(client, alice).context["listing"]

    shown = [card.customer.name for card in listing.customers]
    assert shown == [backed.name, owned.name, team.name]  # the late ticket first, then by name
    assert listing.total == 3
