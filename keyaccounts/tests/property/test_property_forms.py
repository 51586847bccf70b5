"""Every form of the site, posted through its real view with hostile values: never a server
error; a refusal (4xx, or an error message) writes nothing at all; an accepted post leaves pages
that still render. Every filter (the lists' FilterSets and filter forms), read the same way: never
a server error, never a write.

The forms are the ones the views themselves build (taken from the page that shows them), so the
fields, their choices and the record's current version are what a browser would have; see
`hostile.form_data` for what each field is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib.messages import ERROR, get_messages
from django.urls import reverse
from hypothesis import event, given
from hypothesis import strategies as st

from accounts.forms import OverrideForm
from accounts.views.workspace import AlertCloseForm
from complaints import selectors as ticket_selectors
from complaints.forms import BulkAssignForm
from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f

from .hostile import HOSTILE_IDS, changed_tables, fingerprint, form_data, hostile_text

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


class World:
    """alice's customer with a record of every kind an editor changes, and oscar's customer with
    records of his own (the ids alice's forms must refuse)."""

    def __init__(self, alice, oscar, erin, sam, customer, oscars_customer):
        today = business_today()
        self.users = {"alice": alice, "oscar": oscar, "erin": erin, "sam": sam}
        self.customer = customer
        self.contact = f.ContactFactory(customer=customer, name="Li Na", joined_on=today - timedelta(days=400))
        self.interaction = f.InteractionFactory(customer=customer, occurred_on=today - timedelta(days=3))
        self.interaction.contacts.add(self.contact)
        self.cadence = f.CadenceFactory(customer=customer, owner=alice)
        self.criterion = f.PurchaseCriterionFactory(customer=customer)
        self.plan = f.AccountPlanFactory(customer=customer)
        self.need = f.ProductNeedFactory(customer=customer)
        self.incentive = f.IncentiveFactory(
            customer=customer, starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=60)
        )
        self.ticket = f.TicketFactory(customer=customer, contact=self.contact)
        self.alert = f.AlertFactory(customer=customer, as_of=today - timedelta(days=1))
        self.alert.recipients.set([alice])
        f.RiskModelVersionFactory()
        f.CompetitorFactory()
        f.ProductFactory()
        self.opened = {}  # the forms as their pages showed them, by target
        theirs = oscars_customer
        self.others = [
            str(f.ContactFactory(customer=theirs).pk),
            str(f.TicketFactory(customer=theirs).pk),
            str(f.InteractionFactory(customer=theirs).pk),
            str(oscar.pk),
        ]


@pytest.fixture
def world(alice, oscar, erin, sam, customer, oscars_customer):
    return World(alice, oscar, erin, sam, customer, oscars_customer)


def _editor_form(client, url):
    response = client.get(url)
    assert response.status_code == 200, f"GET {url}: {response.status_code}"
    return response.context["form"]


def _ticket_form(name):
    def get(client, world):
        response = client.get(reverse("ticket_detail", args=[world.ticket.pk]))
        assert response.status_code == 200
        return response.context["forms"][name]

    return get


@dataclass(frozen=True)
class Target:
    """One form as a user posts it: where, as whom, and which unbound form the view shows."""

    url: Callable[[World], str]
    form: Callable  # (client, world) -> the unbound form
    user: str = "alice"
    page: Callable[[World], str] = lambda w: reverse("customer_detail", args=[w.customer.pk])
    # Fields the generic strategies cannot know: name -> strategy of its whole value.
    fields: dict = field(default_factory=dict)


# The customer page's sections that load after it, each from its own URL.
CUSTOMER_SECTIONS = (
    "relationship_section",
    "customer_plays",
    "customer_timeline",
    "supply_section",
    "criteria_section",
    "pricing_section",
    "intel_section",
    "strategy_section",
    "account_section",
)


def _with_sections(page: str, w) -> list[str]:
    """The page, and for the customer page every section it loads after it."""
    if page != reverse("customer_detail", args=[w.customer.pk]):
        return [page]
    return [page, *(reverse(name, args=[w.customer.pk]) for name in CUSTOMER_SECTIONS)]


def customer_url(name, **records):
    def url(w):
        kwargs = {"pk": w.customer.pk, **{k: getattr(w, v).pk for k, v in records.items()}}
        return reverse(name, kwargs=kwargs)

    return url


def editor(name, **records):
    url = customer_url(name, **records)
    return Target(url=url, form=lambda c, w: _editor_form(c, url(w)))


def ticket_action(name):
    url = f"ticket_{name}"
    return Target(
        url=lambda w: reverse(url, args=[w.ticket.pk]),
        form=_ticket_form(name),
        page=lambda w: reverse("ticket_detail", args=[w.ticket.pk]),
    )


TICKET_IDS = st.lists(st.one_of(HOSTILE_IDS, st.integers(min_value=1, max_value=50).map(str)), max_size=4)

TARGETS = {
    # relationships
    "contact_create": editor("contact_create"),
    "contact_update": editor("contact_update", contact_pk="contact"),
    "contact_left": editor("contact_left", contact_pk="contact"),
    "interaction_log": editor("interaction_log"),
    "interaction_update": editor("interaction_update", interaction_pk="interaction"),
    "cadence_create": editor("cadence_create"),
    "cadence_update": editor("cadence_update", cadence_pk="cadence"),
    "cadence_end": editor("cadence_end", cadence_pk="cadence"),
    # accounts: criteria and strategy editors, the manual band, closing an alert, a quality run
    "criterion_assess": editor("criterion_assess"),
    "account_plan_edit": editor("account_plan_edit"),
    "need_create": editor("need_create"),
    "need_status": editor("need_status", need_pk="need"),
    "incentive_create": editor("incentive_create"),
    "incentive_edit": editor("incentive_edit", incentive_pk="incentive"),
    "incentive_end": editor("incentive_end", incentive_pk="incentive"),
    "override_create": Target(url=customer_url("override_create"), form=lambda c, w: OverrideForm()),
    "alert_close": Target(
        url=lambda w: reverse("alert_close", args=[w.alert.pk]),
        form=lambda c, w: AlertCloseForm(),
        page=lambda w: reverse("today"),
    ),
    "risk_quality": Target(
        url=lambda w: reverse("risk_quality"),
        form=lambda c, w: _editor_form(c, reverse("risk_quality")),
        user="erin",
        page=lambda w: reverse("risk_quality"),
    ),
    # complaints: recording a ticket, the desk's bulk assignment, every action of the ticket page
    "ticket_quick_open": editor("ticket_quick_open"),
    "hotline_record": Target(
        url=lambda w: reverse("hotline_record", args=[w.customer.pk]),
        form=lambda c, w: _editor_form(c, reverse("hotline_record", args=[w.customer.pk])),
        user="sam",
    ),
    "ticket_bulk_assign": Target(
        url=lambda w: reverse("ticket_bulk_assign"),
        form=lambda c, w: BulkAssignForm(people=ticket_selectors.assignable_users()),
        user="sam",
        page=lambda w: reverse("ticket_queue"),
        fields={"tickets": TICKET_IDS, "query": st.one_of(st.just(""), hostile_text(100))},
    ),
    **{
        f"ticket_{name}": ticket_action(name)
        for name in (
            "transition",
            "comment",
            "assign",
            "category",
            "onsite_request",
            "onsite_schedule",
            "onsite_done",
            "close",
        )
    },
}


def _forget_messages(client) -> None:
    """Messages an earlier example left unread (a refusal answered with a redirect the client did
    not follow) would otherwise be read as the next request's."""
    client.cookies.pop("messages", None)
    session = client.session
    if session.pop("_messages", None) is not None:
        session.save()


def _refused(response) -> bool:
    if response.status_code >= 400:
        return True
    return any(m.level >= ERROR for m in get_messages(response.wsgi_request))


@pytest.mark.parametrize("name", sorted(TARGETS))
@given(data=st.data())
def test_a_hostile_post_is_answered_and_a_refusal_writes_nothing(client, world, name, data):
    target = TARGETS[name]
    client.force_login(world.users[target.user])
    # The form as the page shows it, opened again only after a save (its version changes then).
    if name not in world.opened:
        world.opened[name] = target.form(client, world)
    form = world.opened[name]
    body = data.draw(form_data(form, others=world.others, skip=target.fields), label="body")
    for key, strategy in target.fields.items():
        body[key] = data.draw(strategy, label=key)
    headers = HTMX if data.draw(st.booleans(), label="htmx") else {}
    url = target.url(world)
    before = fingerprint()
    _forget_messages(client)
    response = client.post(url, body, headers=headers)
    event(f"answered {response.status_code}")
    assert response.status_code < 500, f"POST {url} {body!r}: {response.status_code}"
    if _refused(response):
        after = fingerprint()
        assert changed_tables(before, after) == [], f"POST {url} was refused ({response.status_code}) but wrote"
    else:
        world.opened.pop(name, None)
        for page in _with_sections(target.page(world), world):
            answer = client.get(page).status_code
            assert answer == 200, f"after an accepted POST {url}, {page} answers {answer}"


# Round trips: what is accepted is stored as the form cleaned it, and shows on the page ----------


@given(
    name=st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=200).filter(str.strip),
    title=st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=200),
)
def test_an_accepted_contact_round_trips(client, world, name, title):
    from relationships.models import Contact

    client.force_login(world.users["alice"])
    url = reverse("contact_create", args=[world.customer.pk])
    body = {
        "name": name,
        "title": title,
        "department": "procurement",
        "buying_role": "user",
        "influence": "3",
        "trust": "3",
        "joined_on": business_today().isoformat(),
    }
    before = Contact.objects.count()
    response = client.post(url, body)
    assert response.status_code == 302, response.context["form"].errors if response.context else response.status_code
    assert Contact.objects.count() == before + 1
    contact = Contact.objects.latest("pk")
    assert contact.name == name.strip()
    assert contact.title == title.strip()
    for page in _with_sections(reverse("customer_detail", args=[world.customer.pk]), world):
        assert client.get(page).status_code == 200, page


# Filters: every FilterSet and filter form, read with hostile parameters --------------------------


def _filter_names(filterset_class) -> list[str]:
    return list(filterset_class.base_filters)


def _filter_pages():
    from accounts.portfolio.dashboard import DashboardFilterForm
    from accounts.workspace.filters import AccountFilter
    from api import filters as api_filters
    from complaints.analytics import AnalyticsFilterForm
    from complaints.selectors import QueueFilter

    pages = {
        "home": ("alice", lambda w: reverse("home"), _filter_names(AccountFilter)),
        "search": ("alice", lambda w: reverse("search"), ["q"]),
        "ticket_queue": ("sam", lambda w: reverse("ticket_queue"), _filter_names(QueueFilter)),
        "portfolio_dashboard": ("erin", lambda w: reverse("portfolio_dashboard"), [*DashboardFilterForm.base_fields]),
        "complaint_analytics": ("erin", lambda w: reverse("complaint_analytics"), [*AnalyticsFilterForm.base_fields]),
        "export_csv": ("alice", lambda w: reverse("export_csv"), _filter_names(AccountFilter)),
    }
    api = {
        "customer": api_filters.CustomerFilter,
        "contact": api_filters.ContactFilter,
        "interaction": api_filters.InteractionFilter,
        "risksnapshot": api_filters.RiskSnapshotFilter,
        "alert": api_filters.AlertFilter,
        "ticket": api_filters.TicketFilter,
        "order": api_filters.OrderFilter,
        "delivery": api_filters.DeliveryFilter,
    }
    for route, filterset in api.items():
        names = [*_filter_names(filterset), "page", "page_size", "ordering", "format"]
        pages[f"api:{route}-list"] = ("alice", lambda w, r=route: reverse(f"api:{r}-list"), names)
    return pages


FILTER_PAGES = _filter_pages()
PARAMETER_VALUES = st.one_of(
    hostile_text(100),
    HOSTILE_IDS,
    st.sampled_from(["9999-12-31", "0001-01-01", "2026-02-30", "NaN", "inf", "-1", "true", "red", "key", "1,2,3"]),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)


@pytest.mark.parametrize("name", sorted(FILTER_PAGES))
@given(
    data=st.data(),
    htmx=st.booleans(),
)
def test_hostile_filter_parameters_are_answered_and_write_nothing(client, world, name, data, htmx):
    who, url, names = FILTER_PAGES[name]
    client.force_login(world.users[who])
    values = st.one_of(PARAMETER_VALUES, st.lists(PARAMETER_VALUES, min_size=2, max_size=3))
    params = data.draw(st.dictionaries(st.sampled_from(names), values), label="params")
    before = fingerprint()
    response = client.get(url(world), params, headers=HTMX if htmx else {})
    event(f"answered {response.status_code}")
    assert response.status_code < 500, f"GET {url(world)} {params!r}: {response.status_code}"
    if response.streaming:
        b"".join(response.streaming_content)
    assert changed_tables(before, fingerprint()) == []


@pytest.mark.parametrize("name", ["interaction_log", "interaction_update"])
def test_an_interaction_naming_an_id_past_the_integer_range_is_refused(client, world, name):
    """Found by the property test above: on SQLite such an id was a server error."""
    client.force_login(world.users["alice"])
    target = TARGETS[name]
    form = target.form(client, world)
    body = {key: form[key].value() or "" for key in form.fields}
    body.update(contacts=["9" * 40], our_people=[str(2**63)], occurred_on=business_today().isoformat())
    before = fingerprint()
    response = client.post(target.url(world), body)
    assert response.status_code == 422
    assert changed_tables(before, fingerprint()) == []


@given(
    action=st.one_of(
        st.sampled_from(["create", "regenerate", "revoke"]),
        hostile_text(40),
        st.lists(st.sampled_from(["create", "revoke", "", "\x00"]), min_size=2, max_size=3),
    )
)
def test_the_profile_token_actions_answer_hostile_input_and_a_refusal_keeps_the_token(client, world, action):
    """The profile page has no Django form: its one field, ``action``, read by hand."""
    from rest_framework.authtoken.models import Token

    client.force_login(world.users["alice"])
    before = list(Token.objects.values_list("key", "user_id"))
    response = client.post(reverse("profile"), {"action": action})
    event(f"answered {response.status_code}")
    assert response.status_code < 500
    if response.status_code >= 400:
        assert list(Token.objects.values_list("key", "user_id")) == before
    else:
        assert client.get(reverse("profile")).status_code == 200
