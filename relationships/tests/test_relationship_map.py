"""The relationship section of the customer page: figures and gaps from hand-built networks."""

from datetime import timedelta

import pytest
from django.urls import reverse

from keyaccounts.tests import factories as f
from relationships.models import BuyingRole, Department, InteractionKind
from relationships.selectors import relationship_map

pytestmark = pytest.mark.django_db


def meet(customer, day, *contacts, kind=InteractionKind.VISIT, ours=(), subject="Visit"):
    interaction = f.InteractionFactory(customer=customer, occurred_on=day, kind=kind, subject=subject)
    interaction.contacts.set(contacts)
    interaction.our_people.set(ours)
    return interaction


def contact(customer, name, department=Department.PROCUREMENT, role=BuyingRole.INFLUENCER, **kwargs):
    return f.ContactFactory(customer=customer, name=name, department=department, buying_role=role, **kwargs)


def gap_codes(result) -> list[str]:
    return [g.code for g in result["gaps"]]


def gap(result, code):
    return next(g for g in result["gaps"] if g.code == code)


def department(result, value):
    return next(d for d in result["departments"] if d.value == value)


# Contacts ------------------------------------------------------------------------------------


def test_active_contacts_are_grouped_by_department_with_their_last_contact_and_owner(customer, gm, buyer, today):
    meet(customer, today - timedelta(days=40), gm, buyer)
    meet(customer, today - timedelta(days=5), buyer)
    result = relationship_map(customer=customer, today=today)
    executives = department(result, Department.EXECUTIVE).contacts
    procurement = department(result, Department.PROCUREMENT).contacts
    assert [c.name for c in executives] == ["Wang Wei"]
    assert executives[0].last_contact_on == today - timedelta(days=40)
    assert procurement[0].last_contact_on == today - timedelta(days=5)
    assert procurement[0].internal_owner.username == "alice"
    assert result["active_count"] == 2


def test_key_departments_without_anyone_are_listed_empty(customer, gm):
    result = relationship_map(customer=customer)
    assert department(result, Department.TECHNICAL).contacts == []
    assert Department.FINANCE not in [d.value for d in result["departments"]]


def test_interactions_dated_after_today_are_not_counted(customer, gm, buyer, today):
    meet(customer, today - timedelta(days=30), buyer)
    meet(customer, today + timedelta(days=3), gm, kind=InteractionKind.EXECUTIVE_MEETING, subject="Planned")
    result = relationship_map(customer=customer, today=today)
    assert department(result, Department.EXECUTIVE).contacts[0].last_contact_on is None
    assert [i.subject for i in result["recent_interactions"]] == ["Visit"]
    assert result["interactions_this_year"] == 1
    assert "no_executive" in gap_codes(result)


def test_contacts_who_left_are_shown_apart_with_their_date(customer, gm, buyer, today):
    buyer.left_on = today - timedelta(days=20)
    buyer.save()
    result = relationship_map(customer=customer, today=today)
    assert [c.name for c in result["left_contacts"]] == ["Li Na"]
    assert result["left_contacts"][0].left_on == today - timedelta(days=20)
    assert department(result, Department.PROCUREMENT).contacts == []
    assert result["active_count"] == 1


def test_a_contact_leaving_next_month_is_still_active(customer, gm, buyer, today):
    buyer.left_on = today + timedelta(days=30)
    buyer.save()
    result = relationship_map(customer=customer, today=today)
    assert result["left_contacts"] == []
    assert [c.name for c in department(result, Department.PROCUREMENT).contacts] == ["Li Na"]


def test_a_contact_joining_later_is_not_on_the_map_yet(customer, gm, today):
    contact(customer, "Next Year", joined_on=today + timedelta(days=10))
    result = relationship_map(customer=customer, today=today)
    assert result["active_count"] == 1


# Gaps ----------------------------------------------------------------------------------------


def test_no_executive_contact_is_a_gap_with_what_to_do(customer, buyer):
    result = relationship_map(customer=customer)
    found = gap(result, "no_executive")
    assert "general-manager" in found.title
    assert "introduction to the general manager" in found.action


def test_an_executive_contact_not_met_at_executive_level_for_180_days_is_a_gap(customer, gm, buyer, today):
    meet(customer, today - timedelta(days=200), gm, kind=InteractionKind.EXECUTIVE_MEETING)
    meet(customer, today - timedelta(days=10), gm, kind=InteractionKind.VISIT)
    found = gap(relationship_map(customer=customer, today=today), "no_executive")
    assert "more than 180 days" in found.title
    assert "Wang Wei" in found.action


def test_an_executive_meeting_within_180_days_closes_the_executive_gap(customer, gm, buyer, today):
    meet(customer, today - timedelta(days=170), gm, kind=InteractionKind.BUSINESS_REVIEW)
    assert "no_executive" not in gap_codes(relationship_map(customer=customer, today=today))


def test_one_active_contact_is_single_threaded(customer, gm, buyer, today):
    buyer.left_on = today - timedelta(days=1)
    buyer.save()
    found = gap(relationship_map(customer=customer, today=today), "single_threaded")
    assert "Wang Wei is the only active contact" in found.title


def test_eighty_percent_of_the_years_interactions_with_one_contact_is_single_threaded(customer, gm, buyer, today):
    for days in (10, 20, 30, 40):
        meet(customer, today - timedelta(days=days), buyer)
    meet(customer, today - timedelta(days=50), gm)
    # Older than 12 months: not counted either way.
    for days in (400, 410):
        meet(customer, today - timedelta(days=days), gm)
    found = gap(relationship_map(customer=customer, today=today), "single_threaded")
    assert found.title.startswith("Single-threaded: Li Na was in 4 of the 5 interactions")


def test_two_interactions_with_the_same_contact_are_too_few_to_call_single_threaded(customer, gm, buyer, today):
    for days in (10, 20):
        meet(customer, today - timedelta(days=days), buyer)
    assert "single_threaded" not in gap_codes(relationship_map(customer=customer, today=today))


def test_interactions_spread_over_contacts_are_not_single_threaded(customer, gm, buyer, today):
    for days in (10, 20, 30):
        meet(customer, today - timedelta(days=days), buyer)
    for days in (40, 50):
        meet(customer, today - timedelta(days=days), gm)
    assert "single_threaded" not in gap_codes(relationship_map(customer=customer, today=today))


def test_a_decision_maker_who_left_this_year_without_replacement_is_a_gap(customer, gm, buyer, today):
    gm.left_on = today - timedelta(days=100)
    gm.save()
    found = gap(relationship_map(customer=customer, today=today), "decision_maker_left")
    assert "Decision maker Wang Wei left on" in found.title
    assert "successor" in found.action


def test_a_new_decision_maker_replaces_the_one_who_left(customer, gm, buyer, today):
    gm.left_on = today - timedelta(days=100)
    gm.save()
    contact(
        customer, "Successor", Department.EXECUTIVE, BuyingRole.DECISION_MAKER, joined_on=today - timedelta(days=50)
    )
    assert "decision_maker_left" not in gap_codes(relationship_map(customer=customer, today=today))


def test_a_decision_maker_who_left_over_a_year_ago_is_no_longer_a_gap(customer, gm, buyer, today):
    gm.left_on = today - timedelta(days=400)
    gm.save()
    assert "decision_maker_left" not in gap_codes(relationship_map(customer=customer, today=today))


def test_key_departments_with_nobody_are_named_in_one_gap(customer, gm, buyer):
    found = gap(relationship_map(customer=customer), "departments_uncovered")
    assert found.title == "No contact in Technical, User / production, Quality"


def test_a_well_covered_account_has_no_gaps(customer, gm, today, alice):
    people = [gm] + [
        contact(customer, name, dept)
        for name, dept in [
            ("Buyer", Department.PROCUREMENT),
            ("Engineer", Department.TECHNICAL),
            ("Plant", Department.USER),
            ("QA", Department.QUALITY),
        ]
    ]
    meet(customer, today - timedelta(days=20), gm, kind=InteractionKind.EXECUTIVE_MEETING, ours=[alice])
    for person in people[1:]:
        meet(customer, today - timedelta(days=30), person, ours=[alice])
    result = relationship_map(customer=customer, today=today)
    assert result["gaps"] == []


# Our side, interactions and cadences -----------------------------------------------------------


def test_our_people_are_the_owners_and_who_met_whom_in_the_last_12_months(customer, gm, buyer, alice, bob, tina, today):
    meet(customer, today - timedelta(days=60), gm, ours=[bob])
    meet(customer, today - timedelta(days=8), gm, buyer, ours=[bob])
    meet(customer, today - timedelta(days=500), buyer, ours=[tina])
    people = {p.user.username: p for p in relationship_map(customer=customer, today=today)["our_people"]}
    assert set(people) == {"alice", "bob"}
    assert people["bob"].last_on == today - timedelta(days=8)
    assert {a.contact.name: a.last_on for a in people["bob"].contacts} == {
        "Wang Wei": today - timedelta(days=8),
        "Li Na": today - timedelta(days=8),
    }
    [owned] = people["alice"].contacts
    assert owned.owns and owned.contact.name == "Li Na" and owned.last_on is None


def test_recent_interactions_are_the_last_five_even_if_older_than_a_year(customer, gm, buyer, alice, today):
    for days in (2, 600, 700, 800, 900, 1000):
        meet(customer, today - timedelta(days=days), gm, ours=[alice], subject=f"{days} days ago")
    recent = relationship_map(customer=customer, today=today)["recent_interactions"]
    assert [i.subject for i in recent] == ["2 days ago", "600 days ago", "700 days ago", "800 days ago", "900 days ago"]
    assert [c.name for c in recent[0].contacts.all()] == ["Wang Wei"]
    assert [u.username for u in recent[0].our_people.all()] == ["alice"]


def test_cadences_show_last_done_next_due_and_how_overdue(customer, gm, today):
    f.CadenceFactory(
        customer=customer,
        name="Quarterly exec",
        interaction_kind=InteractionKind.EXECUTIVE_MEETING,
        interval_days=90,
        starts_on=today - timedelta(days=400),
    )
    f.CadenceFactory(
        customer=customer,
        name="Monthly call",
        interaction_kind=InteractionKind.CALL,
        interval_days=30,
        starts_on=today - timedelta(days=400),
    )
    meet(customer, today - timedelta(days=100), gm, kind=InteractionKind.EXECUTIVE_MEETING)
    meet(customer, today - timedelta(days=10), gm, kind=InteractionKind.CALL)
    meet(customer, today + timedelta(days=5), gm, kind=InteractionKind.EXECUTIVE_MEETING)
    rows = {r.cadence.name: r for r in relationship_map(customer=customer, today=today)["cadences"]}
    quarterly, monthly = rows["Quarterly exec"], rows["Monthly call"]
    assert quarterly.last_on == today - timedelta(days=100)
    assert quarterly.next_due == today - timedelta(days=10)
    assert quarterly.overdue and quarterly.days_overdue == 10
    assert monthly.next_due == today + timedelta(days=20) and not monthly.overdue


def test_ended_and_upcoming_cadences_are_never_overdue(customer, today):
    f.CadenceFactory(
        customer=customer,
        name="Old",
        interval_days=30,
        starts_on=today - timedelta(days=400),
        ends_on=today - timedelta(1),
    )
    f.CadenceFactory(
        customer=customer, name="Later", interaction_kind=InteractionKind.CALL, starts_on=today + timedelta(days=30)
    )
    result = relationship_map(customer=customer, today=today)
    assert [r.cadence.name for r in result["ended_cadences"]] == ["Old"]
    assert [(r.cadence.name, r.state, r.overdue) for r in result["cadences"]] == [("Later", "upcoming", False)]
    assert result["overdue_cadences"] == 0


# Query count -----------------------------------------------------------------------------------


def _network(customer, size, today, users):
    contacts = [
        contact(customer, f"Contact {n}", list(Department.values)[n % 7], internal_owner=users[n % 2])
        for n in range(size)
    ]
    for n in range(size):
        meet(customer, today - timedelta(days=n * 5), contacts[n], contacts[(n + 1) % size], ours=users)
        f.CadenceFactory(
            customer=customer,
            name=f"Cadence {n}",
            interaction_kind=list(InteractionKind.values)[n % 6],
            starts_on=today - timedelta(days=n),
            owner=users[0],
        )
    contacts[0].left_on = today - timedelta(days=1)
    contacts[0].save()


@pytest.mark.parametrize("size", [3, 30])
def test_the_map_takes_five_queries_whatever_the_size(customer, alice, bob, today, size, django_assert_num_queries):
    _network(customer, size, today, [alice, bob])
    with django_assert_num_queries(5):
        result = relationship_map(customer=customer, today=today)
        # Reading what the template reads does not query either.
        for interaction in result["recent_interactions"]:
            [c.name for c in interaction.contacts.all()] + [u.username for u in interaction.our_people.all()]
        for person in result["our_people"]:
            [a.contact.name for a in person.contacts]
        for row in result["cadences"]:
            str(row.cadence.owner)
    assert result["active_count"] == size - 1


# On the customer page: the section loads after the page from its own URL -------------------------

# Session, user, roles, customer (the permission door), then the map's five.
SECTION_QUERIES = 4 + 5


def _section(client, customer):
    return client.get(reverse("relationship_section", args=[customer.pk]), headers={"HX-Request": "true"})


@pytest.mark.parametrize("size", [3, 30])
def test_the_section_costs_the_same_queries_whatever_the_size(
    client, customer, alice, bob, today, size, django_assert_num_queries
):
    _network(customer, size, today, [alice, bob])
    client.force_login(alice)
    with django_assert_num_queries(SECTION_QUERIES):
        response = _section(client, customer)
    assert response.status_code == 200 and "<html" not in response.text
    assert response.text.count('<section id="section-relationships"') == 1


@pytest.mark.parametrize("who", ["alice", "tina", "bob", "erin", "sam"])
def test_the_customer_page_shows_the_section_to_everyone_who_sees_the_customer(
    client, request, who, customer, gm, visit
):
    client.force_login(request.getfixturevalue(who))
    page = _section(client, customer).text
    assert 'id="section-relationships"' in page
    assert "Wang Wei" in page and "Line audit" in page


@pytest.mark.parametrize(("who", "editable"), [("alice", True), ("tina", True), ("erin", False), ("sam", False)])
def test_edit_buttons_only_for_people_who_may_edit(client, request, who, editable, customer, gm, visit, cadence):
    client.force_login(request.getfixturevalue(who))
    page = _section(client, customer).text
    for hook in ('data-testid="log-interaction"', f'data-testid="edit-contact-{gm.pk}"', f"edit-cadence-{cadence.pk}"):
        assert (hook in page) is editable


def test_the_customer_page_shows_gaps_and_overdue_cadences(client, alice, customer, buyer, cadence):
    client.force_login(alice)
    page = _section(client, customer).text
    assert 'data-testid="gap-no_executive"' in page
    assert "Ask your contacts for an introduction to the general manager" in page
    assert 'data-testid="overdue"' in page


def test_the_customer_page_of_another_managers_customer_is_a_404(client, oscar, customer, gm):
    client.force_login(oscar)
    assert client.get(reverse("customer_detail", args=[customer.pk])).status_code == 404
    assert _section(client, customer).status_code == 404
    assert client.get(reverse("relationship_section", args=[customer.pk])).status_code == 404


def test_the_section_waits_on_the_customer_page_and_loads_from_its_own_url(client, alice, customer, gm):
    client.force_login(alice)
    url = reverse("relationship_section", args=[customer.pk])
    page = client.get(reverse("customer_detail", args=[customer.pk])).text
    assert f'<section id="section-relationships" class="section-deferred" hx-get="{url}"' in page
    assert "Wang Wei" not in page
    # Without htmx (no JavaScript: the placeholder's link), the section on a page of its own.
    response = client.get(url)
    assert response.status_code == 200 and "<html" in response.text and "Wang Wei" in response.text


def test_anonymous_visitors_are_sent_to_the_login_page(client, customer):
    response = client.get(reverse("relationship_section", args=[customer.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
