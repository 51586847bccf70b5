"""Twenty account managers at work, for bin/load-test (``locust -f keyaccounts/loadtest/locustfile.py``).

Each simulated user signs in as an account manager of its own (LOAD_MANAGERS, am01..am20 by
default; password LOAD_PASSWORD) through the login form, then browses as a person does — My
customers, Today, one of its customers with the fragments the page loads, the search, the tickets
queue — and writes: logs interactions, edits one it logged (the form's hidden ``version`` goes
back with it), records tickets. Every write carries a unique marker, ``load-<run>-<user>-<n>``
(LOAD_RUN names the run). When the test stops, LOAD_RESULTS_FILE (JSON) gets the markers of
the writes the server confirmed, for driver.py to look for in the database, and every request's
time and failure: exact percentiles for the report, taken after the last user stopped (locust's
own CSV is written before the users' last actions finish).

A request counts as failed when it answers anything but the expected status, lands on the login
page (signed out), or a write is not confirmed. Requests are named after the URL names in ROUTES.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from urllib.parse import quote, urlsplit

from locust import HttpUser, between, events, task
from locust.exception import StopUser

from keyaccounts.loadtest.html import first_form, hx_gets, linked_ids, linked_names

RUN = os.environ.get("LOAD_RUN", "dev")
MANAGERS = [n for n in os.environ.get("LOAD_MANAGERS", ",".join(f"am{i:02d}" for i in range(1, 21))).split(",") if n]
PASSWORD = os.environ.get("LOAD_PASSWORD", "keyaccounts-demo")
RESULTS_FILE = os.environ.get("LOAD_RESULTS_FILE", "")
WAIT = [float(s) for s in os.environ.get("LOAD_WAIT", "1,3").split(",")]

# The pages and fragments the users open, by URL name (the load test's stats use these names;
# keyaccounts/tests/test_loadtest.py checks that each path resolves to its name).
ROUTES = {
    "login": "/login/",
    "home": "/",
    "today": "/today/",
    "today_badge": "/today/badge/",
    "notification_badge": "/notifications/badge/",
    "customer_detail": "/customers/{customer}/",
    "customer_timeline": "/customers/{customer}/timeline/",
    "search": "/search/",
    "search_live": "/search/live/",
    "ticket_queue": "/tickets/",
    "ticket_detail": "/tickets/{ticket}/",
    "interaction_log": "/customers/{customer}/interactions/new/",
    "interaction_update": "/customers/{customer}/interactions/{interaction}/edit/",
    "ticket_quick_open": "/customers/{customer}/tickets/new/",
}

# What the server confirmed, by kind of write: the markers to find in the database.
CONFIRMED: dict[str, list[str]] = {"interactions": [], "interaction_edits": [], "tickets": []}
# Every request's time in ms and every failure, by "METHOD name"; answers 500 and above counted too.
TIMES: dict[str, list[float]] = {}
FAILURES: dict[str, dict[str, int]] = {}
SERVER_ERRORS: dict[str, int] = {}
SPAN: list[float] = []  # when the first request started and the last one ended (epoch seconds)
SIGNED_IN: list[str] = []

_logins = itertools.count()


def route(name: str, **ids: int) -> str:
    return ROUTES[name].format(**ids)


@events.request.add_listener
def _record(request_type, name, response_time, response=None, exception=None, start_time=None, **_kwargs) -> None:
    key = f"{request_type} {name}"
    TIMES.setdefault(key, []).append(round(response_time, 1))
    if exception is not None:
        errors = FAILURES.setdefault(key, {})
        errors[str(exception)[:200]] = errors.get(str(exception)[:200], 0) + 1
    if getattr(response, "status_code", 0) >= 500:
        SERVER_ERRORS[key] = SERVER_ERRORS.get(key, 0) + 1
    if start_time is not None:
        end = start_time + response_time / 1000
        SPAN[:] = [min(SPAN[0], start_time), max(SPAN[1], end)] if SPAN else [start_time, end]


@events.test_stop.add_listener
def _write_results(**_kwargs) -> None:
    if RESULTS_FILE:
        results = {"run": RUN, "confirmed": CONFIRMED, "times": TIMES, "failures": FAILURES}
        results |= {"server_errors": SERVER_ERRORS, "span": SPAN, "signed_in": SIGNED_IN}
        with open(RESULTS_FILE, "w", encoding="utf-8") as out:
            json.dump(results, out)


def _saved(answer, subject: str) -> bool:
    """The relationships section re-rendered with its "saved" message naming the interaction."""
    return answer.status_code == 200 and 'data-testid="relationships-saved"' in answer.text and subject in answer.text


class AccountManager(HttpUser):
    """One account manager, signed in once, working through their own book."""

    wait_time = between(WAIT[0], WAIT[-1])

    def on_start(self) -> None:
        number = next(_logins)
        self.username = MANAGERS[number] if number < len(MANAGERS) else f"user{number + 1}"
        if number >= len(MANAGERS):
            self._give_up(f"more users than account managers ({len(MANAGERS)}): one login each")
        self.writes = itertools.count(1)
        self.customers: list[int] = []
        self.names: list[str] = []
        self.tickets: list[int] = []
        self.logged: list[tuple[int, int, str]] = []  # customer, interaction, marker: to edit one later
        self._sign_in()
        self.home()

    # Helpers -----------------------------------------------------------------------------------

    def _give_up(self, reason: str) -> None:
        """Stop this user, counted as a failure: a user that cannot work must not pass unseen."""
        self.environment.events.request.fire(
            request_type="USER",
            name="gave up",
            response_time=0,
            response_length=0,
            exception=RuntimeError(f"{self.username}: {reason}"),
            context={},
        )
        raise StopUser(reason)

    def _sign_in(self) -> None:
        page = self.client.get(route("login"), name="login")
        form = first_form(page.text, having="password") if page.ok else None
        if form is None or "csrfmiddlewaretoken" not in form.names():
            self._give_up(f"no login form ({page.status_code})")
        data = form.filled(username=self.username, password=PASSWORD)
        with self.client.post(route("login"), data=data, name="login", catch_response=True) as answer:
            # Signed in: redirected to My customers. A wrong password is not retried (django-axes
            # would lock the login out after a few).
            if answer.status_code != 200 or urlsplit(answer.url).path != route("home"):
                answer.failure(f"{self.username} not signed in: {answer.status_code} at {answer.url}")
                raise StopUser()
        SIGNED_IN.append(self.username)

    def _headers(self, hx: bool, current: str = "") -> dict:
        if not hx:
            return {}
        headers = {"HX-Request": "true", "X-CSRFToken": self.client.cookies.get("csrftoken", "")}
        if current:
            headers["HX-Current-URL"] = self.host + current
        return headers

    def _get(self, url: str, name: str, *, hx: bool = False, current: str = ""):
        """GET ``url``; a failure unless it answers 200 without landing on the login page."""
        with self.client.get(url, name=name, headers=self._headers(hx, current), catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code}")
            elif urlsplit(answer.url).path == route("login"):
                answer.failure("signed out: sent to the login page")
            return answer

    def _page(self, url: str, name: str):
        """A whole page, and the two badges its navigation bar loads with htmx."""
        page = self._get(url, name)
        self._get(route("today_badge"), "today_badge", hx=True, current=url)
        self._get(route("notification_badge"), "notification_badge", hx=True, current=url)
        return page

    def _marker(self, kind: str) -> str:
        return f"load-{RUN}-{self.username}-{kind}{next(self.writes)}"

    def _customer(self) -> int | None:
        return random.choice(self.customers) if self.customers else None

    def _post_editor(self, url: str, name: str, current: str, **values):
        """Open an in-page editor (htmx), post it with ``values`` filled in, return the answer (or None)."""
        editor = self._get(url, name, hx=True, current=current)
        form = first_form(editor.text, having="subject") if editor.status_code == 200 else None
        if form is None:
            return None
        data = form.filled(**{k: v(form) if callable(v) else v for k, v in values.items()})
        return self.client.post(url, data=data, name=name, headers=self._headers(True, current), catch_response=True)

    # Browsing ----------------------------------------------------------------------------------

    @task(3)
    def home(self) -> None:
        page = self._page(route("home"), "home")
        ids = linked_ids(page.text, "/customers/")
        if ids:
            self.customers, self.names = ids, linked_names(page.text, "/customers/") or self.names
        elif page.status_code == 200 and not self.customers:
            self._give_up("no customer on My customers")

    @task(2)
    def today(self) -> None:
        self._page(route("today"), "today")

    @task(5)
    def customer(self) -> None:
        pk = self._customer()
        if pk is None:
            return
        url = route("customer_detail", customer=pk)
        page = self._page(url, "customer_detail")
        # "Show more" of the timeline, as a click on it loads it.
        more = hx_gets(page.text, route("customer_timeline", customer=pk))
        if more and random.random() < 0.5:
            self._get(more[0], "customer_timeline", hx=True, current=url)

    @task(2)
    def search(self) -> None:
        words = [w for name in self.names for w in re.split(r"[\s·()（）]+", name) if len(w) >= 2]
        term = random.choice(words)[:4] if words else random.choice(["Li", "Wang", "Chen", "Smith"])
        # Typing in the navigation bar's box, then the results page.
        self._get(f"{route('search_live')}?q={quote(term)}", "search_live", hx=True, current=route("home"))
        self._page(f"{route('search')}?q={quote(term)}", "search")

    @task(2)
    def ticket_queue(self) -> None:
        page = self._page(route("ticket_queue"), "ticket_queue")
        self.tickets = linked_ids(page.text, "/tickets/") or self.tickets
        if self.tickets:
            self._page(route("ticket_detail", ticket=random.choice(self.tickets)), "ticket_detail")

    # Writing -----------------------------------------------------------------------------------

    @task(3)
    def log_interaction(self) -> None:
        pk = self._customer()
        if pk is None:
            return
        marker = self._marker("i")
        current = route("customer_detail", customer=pk)
        answer = self._post_editor(
            route("interaction_log", customer=pk),
            "interaction_log",
            current,
            subject=marker,
            notes=f"{marker}: called about the next order (load test).",
        )
        if answer is None:
            return
        with answer:
            # Saved: the relationships section again, the new interaction in it.
            if not _saved(answer, marker):
                answer.failure(f"interaction not confirmed: {answer.status_code}")
                return
            CONFIRMED["interactions"].append(marker)
            for item in answer.text.split('data-testid="interaction-')[1:]:
                if marker in item and item.split('"', 1)[0].isdigit():
                    self.logged.append((pk, int(item.split('"', 1)[0]), marker))
                    break

    @task(1)
    def edit_interaction(self) -> None:
        """Correct the notes of an interaction this user logged: the edit carries its version."""
        if not self.logged:
            return
        pk, interaction, marker = self.logged.pop(random.randrange(len(self.logged)))
        edit = self._marker("e")
        current = route("customer_detail", customer=pk)
        answer = self._post_editor(
            route("interaction_update", customer=pk, interaction=interaction),
            "interaction_update",
            current,
            notes=f"{marker}: corrected, edit:{edit}.",
        )
        if answer is None:
            return
        with answer:
            if not _saved(answer, marker):
                answer.failure(f"edit not confirmed: {answer.status_code}")
                return
            CONFIRMED["interaction_edits"].append(edit)

    @task(1)
    def open_ticket(self) -> None:
        pk = self._customer()
        if pk is None:
            return
        marker = self._marker("t")
        current = route("customer_detail", customer=pk)
        answer = self._post_editor(
            route("ticket_quick_open", customer=pk),
            "ticket_quick_open",
            current,
            subject=marker,
            category=lambda form: random.choice([v for v in form.options.get("category", []) if v] or [""]),
            description=f"{marker}: delivery question raised on the phone (load test).",
        )
        if answer is None:
            return
        with answer:
            # Recorded: htmx is told to reload the customer page, which shows the new ticket.
            back = answer.headers.get("HX-Redirect", "")
            if answer.status_code != 200 or not back:
                answer.failure(f"ticket not confirmed: {answer.status_code}")
                return
            CONFIRMED["tickets"].append(marker)
        self._page(back, "customer_detail")
