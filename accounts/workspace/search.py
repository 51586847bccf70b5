"""Global search: customers and contacts the user may see, by name, code or phone."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import (
    Case,
    F,
    IntegerField,
    Q,
    Value,
    When,
)
from django.db.models.functions import Replace

from relationships.models import Contact

from ..models import (
    Customer,
)
from .common import clean_query

SEARCH_LIMIT = 20
# Fewer characters than this match the start of a name or code only: a trigram index (see
# keyaccounts.trigram) can serve "contains" from three characters on, and a one- or two-letter
# "contains" would read every contact of the book.
CONTAINS_FROM = 3


@dataclass
class SearchResults:
    query: str
    customers: list[Customer]
    contacts: list[Contact]
    more_customers: bool = False
    more_contacts: bool = False

    @property
    def empty(self) -> bool:
        return not (self.customers or self.contacts)


def search(*, user, query: str, limit: int = SEARCH_LIMIT) -> SearchResults:
    """Customers by name or code and contacts by name, phone, email or title, among those the user
    may see; two queries, at most ``limit`` of each. One or two characters match the start of a
    customer's name or code and of a contact's name (``CONTAINS_FROM``)."""
    query = clean_query(query)
    if not query:
        return SearchResults(query, [], [])
    short = len(query) < CONTAINS_FROM
    customer_match = (
        Q(name__istartswith=query) | Q(code__istartswith=query)
        if short
        else Q(name__icontains=query) | Q(code__icontains=query)
    )
    customers = list(
        Customer.objects.visible_to(user)
        .filter(customer_match)
        .annotate(
            relevance=Case(
                When(code__iexact=query, then=0),
                When(name__istartswith=query, then=1),
                default=2,
                output_field=IntegerField(),
            )
        )
        .only("pk", "name", "code", "tier", "status", "industry", "region")
        .order_by("relevance", "tier", "name", "pk")[: limit + 1]
    )
    contacts = Contact.objects.visible_to(user)
    if short:
        return _found(query, customers, contacts.filter(name__istartswith=query), limit)
    phone = Q(phone__icontains=query)
    # Phone numbers are typed with and without spaces and dashes: compare them without either.
    compact = re.sub(r"[\s\-()]", "", query)
    if len(compact) >= 4 and compact.lstrip("+").isdigit():
        stripped = F("phone")
        for mark in (" ", "-", "(", ")"):
            stripped = Replace(stripped, Value(mark), Value(""))
        contacts = contacts.annotate(phone_compact=stripped)
        phone |= Q(phone_compact__contains=compact)
    contacts = contacts.filter(Q(name__icontains=query) | Q(email__icontains=query) | Q(title__icontains=query) | phone)
    return _found(query, customers, contacts, limit)


def _found(query: str, customers: list[Customer], contacts, limit: int) -> SearchResults:
    contacts = list(
        contacts.select_related("customer")
        .only("pk", "name", "title", "email", "phone", "left_on", "customer__name", "customer__code")
        .order_by(F("left_on").asc(nulls_first=True), "name", "pk")[: limit + 1]
    )
    return SearchResults(
        query,
        customers[:limit],
        contacts[:limit],
        more_customers=len(customers) > limit,
        more_contacts=len(contacts) > limit,
    )
