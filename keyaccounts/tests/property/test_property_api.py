"""The API's write endpoints posted hostile batches: never a server error, and a refused batch
(any 4xx) writes nothing at all; an accepted one stores every item.

The schemathesis run (api/tests/test_schema_and_fuzz.py) checks only that no request of the
schema's operations ends in a server error. Here each item's fields come from the write
serializers themselves, plausible or hostile, and the whole business database is compared
before and after every refused batch. Bodies that are not a batch at all (not JSON, JSON of
the wrong shape, NaN, huge numbers, deep nesting) are sent too.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from rest_framework import serializers

from api.writes import DeliveryWrite, InteractionWrite, OrderWrite, TicketWrite
from keyaccounts.tests import factories as f

from .hostile import HOSTILE_DATES, HOSTILE_DATETIMES, HOSTILE_NUMBERS, changed_tables, fingerprint, hostile_text

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "interactions": ("alice", InteractionWrite),
    "tickets": ("alice", TicketWrite),
    "orders": ("adam", OrderWrite),
    "deliveries": ("adam", DeliveryWrite),
}
# Keys that name stored records: the world's, another manager's, and ones that do not exist.
KNOWN = {"customer": ["K-ALICE", "K-OSCAR", "NOPE"], "order": ["SO-1", "SO-9"], "product": ["P-1", "P-9"]}
JSON_ODDITIES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(),
    st.lists(st.none(), max_size=2),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def field_values(name, fld) -> st.SearchStrategy:
    if name in KNOWN:
        return st.one_of(st.sampled_from(KNOWN[name]), hostile_text(fld.max_length), JSON_ODDITIES)
    if isinstance(fld, serializers.ChoiceField):
        return st.one_of(st.sampled_from([str(c) for c in fld.choices]), hostile_text(40), JSON_ODDITIES)
    if isinstance(fld, serializers.DateTimeField):
        return st.one_of(st.just("2026-01-15T10:00:00+08:00"), HOSTILE_DATETIMES, JSON_ODDITIES)
    if isinstance(fld, serializers.DateField):
        return st.one_of(st.just("2026-01-15"), HOSTILE_DATES, JSON_ODDITIES)
    if isinstance(fld, serializers.DecimalField | serializers.IntegerField):
        return st.one_of(st.integers(min_value=1, max_value=50).map(str), HOSTILE_NUMBERS, JSON_ODDITIES)
    if isinstance(fld, serializers.CharField):
        plausible = st.text(st.characters(categories=("L", "N")), min_size=1, max_size=12)
        return st.one_of(plausible, hostile_text(fld.max_length), JSON_ODDITIES)
    return JSON_ODDITIES


def items(serializer_class) -> st.SearchStrategy[dict]:
    fields = serializer_class().fields
    return st.fixed_dictionaries({}, optional={name: field_values(name, fld) for name, fld in fields.items()}).flatmap(
        lambda item: st.just(item) if item else st.just({})
    )


@pytest.fixture
def world(alice, oscar):
    from accounts.permissions import ROLE_ADMIN

    adam = f.UserFactory(username="adam", role=ROLE_ADMIN, is_staff=True)
    customer = f.CustomerFactory(code="K-ALICE", owner=alice)
    f.CustomerFactory(code="K-OSCAR", owner=oscar)
    f.DeliveryLineFactory(order=f.OrderFactory(customer=customer, number="SO-1"), line_no=1)
    f.ProductFactory(sku="P-1")
    return {"alice": alice, "adam": adam}


def _client(user):
    from api.tests.conftest import TokenClient

    return TokenClient(user)


FREE_TEXT = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=60)
KEYS = st.text(st.characters(categories=("L", "N")), min_size=1, max_size=12)
# Items of the right shape whose free text is anything: some batches are accepted, and then what
# was stored must be what was sent (as the serializer cleans it).
VALID_ITEMS = {
    "interactions": st.fixed_dictionaries(
        {
            "external_id": KEYS,
            "customer": st.just("K-ALICE"),
            "occurred_on": st.just("2026-01-15"),
            "kind": st.just("visit"),
            "subject": FREE_TEXT,
            "notes": FREE_TEXT,
        }
    ),
    "tickets": st.fixed_dictionaries(
        {
            "external_id": KEYS,
            "customer": st.just("K-ALICE"),
            "kind": st.just("complaint"),
            "category": st.just("delivery"),
            "severity": st.just("medium"),
            "channel": st.just("email"),
            "subject": FREE_TEXT,
            "description": FREE_TEXT,
        }
    ),
}


def _stored(endpoint: str, item: dict):
    from complaints.models import Ticket
    from relationships.models import Interaction

    if endpoint == "interactions":
        record = Interaction.objects.get(external_id=item["external_id"].strip())
        return {"subject": record.subject, "notes": record.notes}
    record = Ticket.objects.get(external_id=item["external_id"].strip())
    return {"subject": record.subject, "description": record.description}


def _bodies(endpoint, serializer_class) -> st.SearchStrategy[str]:
    valid = VALID_ITEMS.get(endpoint)
    return st.one_of(
        st.lists(valid, min_size=1, max_size=3, unique_by=lambda i: i["external_id"]).map(json.dumps)
        if valid is not None
        else st.nothing(),
        st.lists(items(serializer_class), max_size=4).map(json.dumps),
        st.lists(items(serializer_class), min_size=1, max_size=2).map(lambda b: json.dumps(b * 2)),  # twice
        items(serializer_class).map(json.dumps),  # one item, not a batch
        JSON_ODDITIES.map(json.dumps),
        st.sampled_from(["", "[", "[NaN]", "[Infinity]", "[{}]" * 2, "[" * 5000 + "]" * 5000, "\x00", "[1e999]"]),
        st.binary(max_size=80).map(lambda b: b.decode("latin-1")),
    )


CONTENT_TYPES = st.sampled_from(["application/json"] * 4 + ["text/plain", "application/x-www-form-urlencoded"])


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
@given(data=st.data(), content_type=CONTENT_TYPES)
def test_a_hostile_batch_is_answered_and_a_refused_one_writes_nothing(world, endpoint, data, content_type):
    who, serializer_class = ENDPOINTS[endpoint]
    body = data.draw(_bodies(endpoint, serializer_class), label="body")
    url = f"/api/v1/{endpoint}/"
    before = fingerprint()
    response = _client(world[who]).post(url, data=body, content_type=content_type)
    event(f"answered {response.status_code}")
    assert response.status_code < 500, f"POST {url} {body[:300]!r}: {response.status_code}"
    if response.status_code >= 400:
        assert changed_tables(before, fingerprint()) == [], f"POST {url} answered {response.status_code} but wrote"
    else:
        answer = response.json()
        batch = json.loads(body)
        assert isinstance(batch, list)
        assert answer["created"] + answer["updated"] + answer["unchanged"] >= 1
        if endpoint in VALID_ITEMS and all(isinstance(i, dict) and set(i) == set(batch[0]) for i in batch):
            for item in batch:
                stored = _stored(endpoint, item)
                assert (
                    stored["subject"] == " ".join(item["subject"].split())
                    or stored["subject"] == item["subject"].strip()
                )
                other = "notes" if endpoint == "interactions" else "description"
                assert stored[other] == item[other].strip()


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_a_deeply_nested_body_is_a_400(world, endpoint):
    """Found by the property test above: JSON nested past Python's recursion limit was a server error."""
    who, _ = ENDPOINTS[endpoint]
    before = fingerprint()
    response = _client(world[who]).post(
        f"/api/v1/{endpoint}/", data="[" * 5000 + "]" * 5000, content_type="application/json"
    )
    assert response.status_code == 400
    assert changed_tables(before, fingerprint()) == []
