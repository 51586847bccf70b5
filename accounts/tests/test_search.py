"""Global search over customers and contacts, only within what the user may see."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.workspace.common import MAX_QUERY_LENGTH
from accounts.workspace.search import SEARCH_LIMIT
from keyaccounts.tests import factories as f

SEARCH = reverse("search")
LIVE = reverse("search_live")
HTMX = {"HX-Request": "true"}
# Session, user, roles, customers, contacts.
SEARCH_QUERIES = 5


@pytest.fixture
def people(customer, oscars_customer):
    f.ContactFactory(
        customer=customer,
        name="Wang Lei",
        title="Purchasing director",
        phone="+86 21 5555 0101",
        email="wang.lei@spm.example",
    )
    f.ContactFactory(customer=oscars_customer, name="Wang Fang", title="Plant manager", phone="+86 451 777 0202")
    return customer, oscars_customer


def search(client, user, q, url=SEARCH, **headers):
    client.force_login(user)
    response = client.get(url, {"q": q}, headers=headers)
    assert response.status_code == 200
    return response


def found(response) -> tuple[list[str], list[str]]:
    results = response.context["results"]
    return [c.name for c in results.customers], [p.name for p in results.contacts]


@pytest.mark.parametrize(
    ("q", "customers", "contacts"),
    [
        ("precision", ["Shanghai Precision Motors"], []),
        ("Wang", [], ["Wang Lei"]),
        ("purchasing dir", [], ["Wang Lei"]),
        ("5555 0101", [], ["Wang Lei"]),
        ("wang.lei@spm", [], ["Wang Lei"]),
    ],
)
def test_owner_finds_customers_and_contacts_by_each_field(client, alice, people, q, customers, contacts):
    assert found(search(client, alice, q)) == (customers, contacts)


def test_phone_is_found_without_the_spaces(client, alice, people):
    assert found(search(client, alice, "55550101"))[1] == ["Wang Lei"]


def test_customer_is_found_by_its_code(client, alice, people):
    customer = people[0]
    assert found(search(client, alice, customer.code.lower()))[0] == [customer.name]


@pytest.mark.parametrize("who", ["bob", "tina"])
def test_backup_and_teammate_find_the_customers_contacts(client, people, who, request):
    assert found(search(client, request.getfixturevalue(who), "Wang"))[1] == ["Wang Lei"]


def test_outsider_finds_nothing_of_another_managers_customer(client, oscar, people):
    customer = people[0]
    response = search(client, oscar, "Wang")
    assert found(response) == ([], ["Wang Fang"])
    assert "Wang Lei" not in response.text
    assert found(search(client, oscar, customer.code)) == ([], [])
    assert found(search(client, oscar, "Precision", url=LIVE, **HTMX)) == ([], [])


@pytest.mark.parametrize("who", ["erin", "sam"])
def test_executive_and_service_desk_search_every_customer(client, people, who, request):
    assert sorted(found(search(client, request.getfixturevalue(who), "Wang"))[1]) == ["Wang Fang", "Wang Lei"]


def test_anonymous_visitor_is_sent_to_login(client, people):
    for url in (SEARCH, LIVE):
        response = client.get(url, {"q": "Wang"}, headers=HTMX)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_empty_query_shows_a_friendly_hint(client, alice, people):
    response = search(client, alice, "   ")
    assert 'data-testid="search-empty"' in response.text
    assert found(response) == ([], [])


def test_no_match_says_so(client, alice, people):
    assert "Nothing you can see matches “zzz”." in search(client, alice, "zzz").text


def test_overlong_query_is_cut_to_the_limit(client, alice, people):
    response = search(client, alice, "Wang" + "x" * 5000)
    assert len(response.context["results"].query) == MAX_QUERY_LENGTH


def test_results_are_limited_and_say_there_are_more(client, alice):
    for n in range(SEARCH_LIMIT + 5):
        f.CustomerFactory(owner=alice, name=f"Jiangsu Gears {n:02d}")
    response = search(client, alice, "Jiangsu")
    assert len(found(response)[0]) == SEARCH_LIMIT
    assert response.context["results"].more_customers
    assert "type more to narrow it down" in response.text


def test_exact_code_comes_before_names_that_contain_it(client, alice):
    f.CustomerFactory(owner=alice, name="Partner of C900001", code="C900002")
    f.CustomerFactory(owner=alice, name="Zhejiang Pumps", code="C900001")
    assert found(search(client, alice, "C900001"))[0] == ["Zhejiang Pumps", "Partner of C900001"]


def test_full_page_htmx_request_gets_only_the_results(client, alice, people):
    response = search(client, alice, "Wang", **HTMX)
    assert "Wang Lei" in response.text and "<html" not in response.text


def test_live_dropdown_is_a_small_fragment_linking_to_all_results(client, alice, people):
    response = search(client, alice, "Wang", url=LIVE, **HTMX)
    assert "<html" not in response.text and 'data-testid="search-dropdown"' in response.text
    assert f'href="{SEARCH}?q=Wang"' in response.text
    assert f'href="{reverse("customer_detail", args=[people[0].pk])}#section-relationships"' in response.text


def test_live_dropdown_is_empty_for_an_empty_query(client, alice, people):
    assert search(client, alice, "", url=LIVE, **HTMX).text.strip() == ""


def test_live_search_without_htmx_goes_to_the_results_page(client, alice, people):
    client.force_login(alice)
    response = client.get(LIVE, {"q": "Wang Lei"})
    assert response.status_code == 302 and response["Location"] == f"{SEARCH}?q=Wang+Lei"


def test_navbar_has_the_search_box(client, alice, customer):
    client.force_login(alice)
    page = client.get(reverse("home")).text
    assert f'action="{SEARCH}"' in page and f'hx-get="{LIVE}"' in page


@pytest.mark.parametrize("url", [SEARCH, LIVE])
def test_query_count_is_pinned_and_the_same_for_3_and_30_matches(client, alice, url, django_assert_num_queries):
    def add(count):
        for _ in range(count):
            c = f.CustomerFactory(owner=alice, name="Hubei Valves")
            f.ContactFactory(customer=c, name="Hubei contact")

    client.force_login(alice)
    add(3)
    client.get(url, {"q": "Hubei"}, headers=HTMX)
    with django_assert_num_queries(SEARCH_QUERIES):
        client.get(url, {"q": "Hubei"}, headers=HTMX)
    add(27)
    with CaptureQueriesContext(connection) as many:
        client.get(url, {"q": "Hubei"}, headers=HTMX)
    assert len(many) == SEARCH_QUERIES


@pytest.mark.parametrize(
    ("q", "customers", "contacts"),
    [
        ("wa", [], ["Wang Lei"]),  # the start of a name
        ("sh", ["Shanghai Precision Motors"], []),
        ("ei", [], []),  # inside a name: three characters or more
        ("lei", [], ["Wang Lei"]),
        ("55", [], []),  # phones, e-mails and titles: three characters or more
    ],
)
def test_one_or_two_characters_match_the_start_of_names_only(client, alice, people, q, customers, contacts):
    assert found(search(client, alice, q)) == (customers, contacts)
