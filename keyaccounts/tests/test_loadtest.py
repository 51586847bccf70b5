"""bin/load-test's parts that can break without running it: the locustfile's URLs still name the
app's views, its form reading still posts what the editors expect (hidden ``version`` included),
and the report's arithmetic (lost writes, percentiles). The load test itself is run by hand."""

import importlib
import re
import socket
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.urls import resolve

from complaints.models import Ticket
from keyaccounts.loadtest.driver import compare_writes, percentile
from keyaccounts.loadtest.html import first_form, linked_ids
from keyaccounts.tests import factories as f
from relationships.models import Interaction


@pytest.fixture(scope="module")
def locustfile():
    """The locustfile, imported without gevent's monkey-patching of this test process."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LOCUST_SKIP_MONKEY_PATCH", "1")
        unpatched = socket.socket
        module = importlib.import_module("keyaccounts.loadtest.locustfile")
        assert socket.socket is unpatched
    return module


def test_every_route_of_the_locustfile_resolves_to_its_url_name(locustfile):
    assert locustfile.ROUTES, "the locustfile lists the pages its users open"
    names = {
        name: resolve(path.format(customer=11, ticket=22, interaction=33)).url_name
        for name, path in locustfile.ROUTES.items()
    }
    assert names == {name: name for name in locustfile.ROUTES}


def test_the_users_open_only_listed_routes(locustfile):
    used = set(re.findall(r'route\(\s*"(\w+)"', Path(locustfile.__file__).read_text()))
    assert used and used <= set(locustfile.ROUTES)
    assert locustfile.AccountManager.tasks, "the simulated account manager has tasks"


def test_one_login_per_account_manager(locustfile):
    assert locustfile.MANAGERS == [f"am{n:02d}" for n in range(1, 21)]


@pytest.fixture
def hx(client, alice):
    client.force_login(alice)

    def request(method, url, data=None):
        headers = {"HX-Request": "true"}
        if method == "get":
            return client.get(url, headers=headers)
        # As requests sends the form: encoded in order, a name repeated for each of its values.
        return client.post(url, urlencode(data), content_type="application/x-www-form-urlencoded", headers=headers)

    return request


def test_the_login_form_is_read_with_its_csrf_token(client, db):
    page = client.get("/login/").content.decode()
    form = first_form(page, having="password")
    assert {"csrfmiddlewaretoken", "username", "password"} <= form.names()
    assert first_form(page).names() != form.names(), "the language switcher comes first"


def test_an_interaction_logged_and_edited_as_the_load_test_does_it(hx, customer):
    url = f"/customers/{customer.pk}/interactions/new/"
    form = first_form(hx("get", url).content.decode(), having="subject")
    assert {"csrfmiddlewaretoken", "occurred_on", "kind", "our_people"} <= form.names()
    saved = hx("post", url, form.filled(subject="load-x-am01-i1", notes="first"))
    assert saved.status_code == 200 and 'data-testid="relationships-saved"' in saved.content.decode()
    interaction = Interaction.objects.get(subject="load-x-am01-i1")
    assert interaction.customer == customer

    edit_url = f"/customers/{customer.pk}/interactions/{interaction.pk}/edit/"
    form = first_form(hx("get", edit_url).content.decode(), having="subject")
    assert form.value("version"), "an edit carries the version it was opened with"
    assert form.value("subject") == "load-x-am01-i1" and form.value("notes") == "first"
    assert hx("post", edit_url, form.filled(notes="edit:load-x-am01-e2")).status_code == 200
    interaction.refresh_from_db()
    assert interaction.notes == "edit:load-x-am01-e2"


def test_a_ticket_recorded_as_the_load_test_does_it(hx, customer):
    f.ContactFactory(customer=customer)
    url = f"/customers/{customer.pk}/tickets/new/"
    form = first_form(hx("get", url).content.decode(), having="subject")
    assert form.value("category") == "" and len(form.options["category"]) > 2
    answer = hx("post", url, form.filled(subject="load-x-am01-t3", category=form.options["category"][1]))
    assert answer.status_code == 200 and answer.headers["HX-Redirect"] == f"/customers/{customer.pk}/"
    assert Ticket.objects.filter(subject="load-x-am01-t3", customer=customer).count() == 1


def test_the_customer_list_links_to_the_users_customers(client, alice, customer):
    client.force_login(alice)
    assert linked_ids(client.get("/").content.decode(), "/customers/") == [customer.pk]


def test_form_reading_follows_what_a_browser_posts():
    form = first_form(
        '<form action="/x/"><input type="hidden" name="version" value="v1"><input type="text" name="t">'
        '<input type="checkbox" name="c" value="1" checked><input type="checkbox" name="c" value="2">'
        '<select name="s"><option value="a">A</option><option value="b" selected>B</option></select>'
        '<select name="m" multiple><option>p</option></select><textarea name="n">\nhi</textarea>'
        '<input type="submit" name="go"></form><form><input name="other"></form>'
    )
    assert first_form('<form><input name="a"></form><form><input name="b"></form>', having="b").names() == {"b"}
    assert form.action == "/x/"
    assert form.fields == [("version", "v1"), ("t", ""), ("c", "1"), ("s", "b"), ("n", "hi")]
    assert form.options == {"s": ["a", "b"], "m": ["p"]}
    assert form.filled(t="typed", extra="e")[-2:] == [("t", "typed"), ("extra", "e")]


def test_lost_duplicated_and_unconfirmed_writes_are_told_apart():
    compared = compare_writes(
        {"interactions": ["a", "b", "c"], "tickets": ["t"]},
        {"interactions": ["a", "a", "c", "d"], "tickets": ["t"], "interaction_edits": []},
    )
    assert compared["interactions"] == {
        "confirmed": 3,
        "stored": 3,
        "lost": ["b"],
        "duplicated": ["a"],
        "unconfirmed": ["d"],
    }
    assert compared["tickets"]["lost"] == [] and compared["interaction_edits"]["confirmed"] == 0


def test_percentiles_are_nearest_rank():
    values = list(range(1, 101))
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (50, 95, 99)
    assert percentile([7.0], 95) == 7.0
