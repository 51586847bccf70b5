"""Competitor intelligence on the customer page: the dated list, its editors, who may do what,
the history rows, and the section's query count."""

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import CompetitorIntel
from keyaccounts.clock import business_today
from keyaccounts.editing import INVALID, edit_version
from keyaccounts.tests import factories as f

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
TODAY = business_today()


def days_ago(n: int):
    return TODAY - timedelta(days=n)


def url(name, customer, *args):
    return reverse(name, args=[customer.pk, *args])


@pytest.fixture
def rival(db):
    return f.CompetitorFactory(name="Nippon Bearing Works")


@pytest.fixture
def li_na(customer):
    return f.ContactFactory(customer=customer, name="Li Na")


@pytest.fixture
def entry(customer, rival, li_na, alice):
    return f.CompetitorIntelFactory(
        customer=customer,
        competitor=rival,
        contact=li_na,
        noted_on=days_ago(10),
        kind=CompetitorIntel.Kind.PRICE_MOVE,
        note="Offered 8% below our list price",
        recorded_by=alice,
    )


def intel_data(rival, **overrides):
    data = {
        "competitor": str(rival.pk),
        "kind": "contact_approach",
        "noted_on": days_ago(2).isoformat(),
        "contact": "",
        "confidence": "high",
        "note": "Their sales director invited our buyer to dinner",
    }
    data.update(overrides)
    return data


# The section ---------------------------------------------------------------------------------------


def test_the_customer_page_lists_intelligence_newest_first(client, alice, customer, rival, entry):
    f.CompetitorIntelFactory(customer=customer, competitor=rival, noted_on=days_ago(1), note="A newer rumour")
    f.CompetitorIntelFactory(customer=customer, competitor=rival, noted_on=days_ago(200), note="An old rumour")
    client.force_login(alice)
    assert 'href="#section-intel"' in client.get(reverse("customer_detail", args=[customer.pk])).text
    page = client.get(url("intel_section", customer), headers=HTMX).text
    assert 'id="section-intel"' in page
    assert page.index("A newer rumour") < page.index("Offered 8% below") < page.index("An old rumour")
    assert "Told by Li Na" in page and "Nippon Bearing Works" in page
    assert "2 in the last 90 days" in page


def test_an_entry_added_through_the_editor_appears_in_the_section(client, alice, customer, rival, li_na):
    client.force_login(alice)
    assert client.get(url("intel_create", customer), headers=HTMX).status_code == 200
    response = client.post(url("intel_create", customer), intel_data(rival, contact=str(li_na.pk)), headers=HTMX)
    assert response.status_code == 200, response.text[:2000]
    assert 'id="section-intel"' in response.text and "invited our buyer to dinner" in response.text
    saved = CompetitorIntel.objects.get(customer=customer)
    assert (saved.competitor, saved.contact, saved.kind, saved.confidence, saved.recorded_by) == (
        rival,
        li_na,
        "contact_approach",
        "high",
        alice,
    )
    assert "invited our buyer to dinner" in client.get(url("intel_section", customer), headers=HTMX).text


def test_a_full_page_add_redirects_to_the_section(client, alice, customer, rival):
    client.force_login(alice)
    response = client.post(url("intel_create", customer), intel_data(rival))
    assert response.status_code == 302 and response.url.endswith("#section-intel")
    assert CompetitorIntel.objects.filter(customer=customer).count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"noted_on": (TODAY + timedelta(days=1)).isoformat()}, "This date is in the future"),
        ({"noted_on": "1899-12-31"}, "1900-01-01"),
        ({"noted_on": "2019-12-31"}, "has been a customer since"),
        ({"competitor": ""}, "This field is required"),
        ({"note": "   "}, "This field is required"),
        ({"kind": "gossip"}, "Select a valid choice"),
        ({"note": "x" * 2001}, "at most 2000 characters"),
    ],
)
def test_bad_input_is_refused_inline_and_nothing_is_saved(client, alice, customer, rival, overrides, message):
    client.force_login(alice)
    response = client.post(url("intel_create", customer), intel_data(rival, **overrides), headers=HTMX)
    assert response.status_code == INVALID
    assert message in response.text
    assert response.headers["HX-Retarget"] == "#intel-editor"
    assert not CompetitorIntel.objects.exists()


def test_a_contact_of_another_customer_is_refused_and_nothing_is_saved(client, alice, customer, rival, oscars_customer):
    strangers_contact = f.ContactFactory(customer=oscars_customer, name="Zhao Lei")
    client.force_login(alice)
    data = intel_data(rival, contact=str(strangers_contact.pk))
    response = client.post(url("intel_create", customer), data, headers=HTMX)
    assert response.status_code == INVALID and "Select a valid choice" in response.text
    assert not CompetitorIntel.objects.exists()


def test_the_service_refuses_another_customers_contact_too(customer, rival, oscars_customer):
    from django.core.exceptions import ValidationError

    from accounts import services

    with pytest.raises(ValidationError, match="one of this customer's contacts"):
        services.competitor_intel_add(
            customer=customer,
            competitor=rival,
            noted_on=days_ago(1),
            kind="price_move",
            note="Cheaper",
            contact=f.ContactFactory(customer=oscars_customer),
        )
    assert not CompetitorIntel.objects.exists()


def test_an_entry_is_corrected_and_the_history_keeps_both_versions(client, bob, customer, rival, entry):
    client.force_login(bob)
    data = intel_data(rival, kind="price_move", note="Offered 12% below our list price", version=edit_version(entry))
    response = client.post(url("intel_edit", customer, entry.pk), data, headers=HTMX)
    assert response.status_code == 200, response.text[:2000]
    entry.refresh_from_db()
    assert entry.note == "Offered 12% below our list price" and entry.recorded_by.username == "alice"
    history = list(entry.history.order_by("history_date").values_list("history_type", "note", "history_user__username"))
    assert history == [
        ("+", "Offered 8% below our list price", None),
        ("~", "Offered 12% below our list price", "bob"),
    ]


def test_adding_writes_a_history_row_with_the_user(client, alice, customer, rival):
    client.force_login(alice)
    client.post(url("intel_create", customer), intel_data(rival), headers=HTMX)
    row = CompetitorIntel.history.get()
    assert row.history_type == "+" and row.history_user == alice


def test_a_stale_correction_is_refused(client, alice, customer, rival, entry):
    client.force_login(alice)
    version = edit_version(entry)
    entry.note = "Someone else's wording"
    entry.save()
    data = intel_data(rival, note="Mine", version=version)
    response = client.post(url("intel_edit", customer, entry.pk), data, headers=HTMX)
    assert response.status_code == INVALID and "Someone else changed this record" in response.text
    entry.refresh_from_db()
    assert entry.note == "Someone else's wording"


# Who may do what -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "bob", "tina"])
def test_the_account_team_sees_the_add_and_correct_buttons(client, customer, entry, who, request):
    client.force_login(request.getfixturevalue(who))
    page = client.get(url("intel_section", customer), headers=HTMX).text
    assert "Record intelligence" in page and ">Correct</a>" in page


@pytest.mark.parametrize("who", ["erin", "sam"])
def test_read_only_roles_read_the_section_without_buttons_and_may_not_write(
    client, customer, rival, entry, who, request
):
    client.force_login(request.getfixturevalue(who))
    page = client.get(url("intel_section", customer), headers=HTMX).text
    assert "Offered 8% below" in page
    assert "Record intelligence" not in page and ">Correct</a>" not in page
    assert client.get(url("intel_create", customer)).status_code == 403
    assert client.post(url("intel_create", customer), intel_data(rival)).status_code == 403
    data = intel_data(rival, version=edit_version(entry))
    assert client.post(url("intel_edit", customer, entry.pk), data).status_code == 403
    assert (
        CompetitorIntel.objects.count() == 1 and CompetitorIntel.objects.get().note == "Offered 8% below our list price"
    )


def test_another_manager_gets_404_everywhere_and_nothing_is_written(client, oscar, customer, rival, entry):
    client.force_login(oscar)
    assert client.get(url("intel_section", customer)).status_code == 404
    assert client.get(url("intel_create", customer)).status_code == 404
    assert client.post(url("intel_create", customer), intel_data(rival)).status_code == 404
    data = intel_data(rival, version=edit_version(entry))
    assert client.post(url("intel_edit", customer, entry.pk), data).status_code == 404
    assert "Offered 8% below" not in client.get(reverse("home")).text
    assert CompetitorIntel.objects.count() == 1


def test_an_entry_of_another_customer_is_a_404_through_this_customers_url(client, alice, customer, rival):
    elsewhere = f.CompetitorIntelFactory(competitor=rival, noted_on=days_ago(3), note="Elsewhere")
    client.force_login(alice)
    data = intel_data(rival, version=edit_version(elsewhere))
    assert client.post(url("intel_edit", customer, elsewhere.pk), data).status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.note == "Elsewhere"


# Query counts --------------------------------------------------------------------------------------

# session, user, the user's roles, the customer, the entries (with competitor, contact, recorder)
SECTION_QUERIES = 5
# session, user, roles, customer, the competitors and the customer's contacts of the form
FORM_QUERIES = 6


@pytest.mark.parametrize("n", [3, 30])
def test_the_section_takes_the_same_queries_for_3_and_30_entries(client, alice, customer, n, django_assert_num_queries):
    contacts = f.ContactFactory.create_batch(3, customer=customer)
    for i in range(n):
        f.CompetitorIntelFactory(customer=customer, contact=contacts[i % 3], noted_on=days_ago(i), recorded_by=alice)
    client.force_login(alice)
    with django_assert_num_queries(SECTION_QUERIES):
        response = client.get(url("intel_section", customer), headers=HTMX)
    assert response.text.count('data-testid="intel-entry"') == n


@pytest.mark.parametrize("n", [3, 30])
def test_the_add_form_takes_the_same_queries_for_3_and_30_competitors(
    client, alice, customer, n, django_assert_num_queries
):
    f.CompetitorFactory.create_batch(n)
    f.ContactFactory.create_batch(n, customer=customer)
    client.force_login(alice)
    with django_assert_num_queries(FORM_QUERIES):
        response = client.get(url("intel_create", customer), headers=HTMX)
    assert response.status_code == 200


# Admin ---------------------------------------------------------------------------------------------


def _admin_add(client, customer, rival, **overrides):
    data = {
        "customer": customer.pk,
        "competitor": rival.pk,
        "noted_on": days_ago(1).isoformat(),
        "kind": "price_move",
        "contact": "",
        "confidence": "medium",
        "note": "Heard at the trade fair",
    }
    data.update(overrides)
    return client.post(reverse("admin:accounts_competitorintel_add"), data)


def test_the_admin_records_who_added_an_entry(client, superuser, customer, rival, li_na):
    client.force_login(superuser)
    response = _admin_add(client, customer, rival, contact=li_na.pk)
    assert response.status_code == 302
    entry = CompetitorIntel.objects.get()
    assert entry.recorded_by == superuser and entry.contact == li_na
    assert entry.history.get().history_user == superuser


@pytest.mark.parametrize("bad", ["other_customers_contact", "future"])
def test_the_admin_refuses_another_customers_contact_or_a_future_date(
    client, superuser, customer, rival, oscars_customer, bad
):
    client.force_login(superuser)
    if bad == "future":
        response = _admin_add(client, customer, rival, noted_on=(TODAY + timedelta(days=1)).isoformat())
        message = "cannot be dated in the future"
    else:
        response = _admin_add(client, customer, rival, contact=f.ContactFactory(customer=oscars_customer).pk)
        message = "one of this customer&#x27;s contacts"
    assert response.status_code == 200 and message in response.text
    assert not CompetitorIntel.objects.exists()
