"""Every kind of import, exported: the rows a user may see, in the import's own format.

`rows(kind, user)` yields one list of text cells per record (per delivery line for orders), in the
order of the format's columns, written exactly as the import reads them back: choices as codes,
people as usernames, dates ``YYYY-MM-DD``, date-times ``YYYY-MM-DD HH:MM:SS`` in the business's
time zone (with ``.ffffff`` only when the time has a fraction of a second, so nothing is lost),
booleans ``yes`` / ``no``, lists ``;``-joined, decimals as plain digits. An exported file imported
again (`exchange.engine.run`) finds every record unchanged.

Visibility is the app's: `accounts.permissions.restrict` on the record's customer — an account
manager exports the records of the customers they own, back up or are on the team of; executives,
the service desk and admins every record. Churned customers are in the ``customers`` export like
any other; the ``churn`` export holds the churn records of the churned ones.

Records entered in the app have no external id; they are exported as ``KA-<pk>``, which the import
reads back as the same record without giving it an external id (`exchange.staging`, "Local ids").
An export only reads.

Rows stream: each kind is one query with its joins (customers: two, the account teams read
alongside in the same order), read in chunks, whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from itertools import groupby

from django.utils import timezone
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from accounts.models import Customer, CustomerStatus, Order, PriceBenchmark, PurchaseCriterion
from accounts.permissions import restrict
from accounts.spreadsheet_safety import FORMULA_TRIGGERS, neutralise
from complaints.models import Ticket
from keyaccounts.clock import project_zone
from relationships.models import Contact, Interaction

from .formats import FORMATS
from .staging import local_id

CHUNK_SIZE = 2000


def headers(kind: str, *, chinese: bool = False) -> list[str]:
    """The format's header row: the English keys, or the Chinese headers (the import reads both)."""
    return [column.zh if chinese else column.key for column in FORMATS[kind].columns]


def cell(value) -> str:
    """One value as the import reads it back."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        local = timezone.localtime(value, project_zone()) if timezone.is_aware(value) else value
        return local.strftime("%Y-%m-%d %H:%M:%S" + (".%f" if local.microsecond else ""))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list | tuple):
        return ";".join(cell(item) for item in value)
    return str(value)


def guard(value: str) -> str:
    """A cell safe to open in a spreadsheet: control characters (which no XLSX can hold and the
    import refuses) are removed first, then text a spreadsheet would run as a formula gets a
    leading apostrophe — also text that already starts with apostrophes before a formula trigger,
    so that `exchange.cells.text`, which drops exactly one such apostrophe, reads back the value."""
    cleaned = ILLEGAL_CHARACTERS_RE.sub("", value)
    if cleaned.startswith("'") and cleaned.lstrip("'").startswith(FORMULA_TRIGGERS):
        return "'" + cleaned
    return neutralise(cleaned)


def safe_rows(kind: str, user) -> Iterator[list[str]]:
    """`rows`, each cell through `guard`: what a file may carry."""
    for values in rows(kind, user):
        yield [guard(value) for value in values]


def rows(kind: str, user) -> Iterator[list[str]]:
    """The records of ``kind`` the user may see, one list of cells each, in the format's column order."""
    for values in EXPORTERS[kind](user):
        yield [cell(value) for value in values]


def _stream(queryset, *fields):
    return queryset.values_list(*fields).iterator(chunk_size=CHUNK_SIZE)


def _key(external_id: str, pk: int) -> str:
    return external_id or local_id(pk)


def customers(user) -> Iterator[tuple]:
    visible = restrict(Customer.objects.all(), user, via="").order_by("pk")
    through = Customer.account_team.through
    teams = groupby(
        _stream(
            restrict(through.objects.all(), user, via="customer").order_by("customer_id", "user__username"),
            "customer_id",
            "user__username",
        ),
        key=lambda pair: pair[0],
    )
    team_of, team = None, []
    for (
        pk,
        code,
        name,
        industry,
        region,
        owner,
        backup,
        level,
        since,
        pinned,
        months,
    ) in _stream(
        visible,
        "pk",
        "code",
        "name",
        "industry",
        "region",
        "owner__username",
        "backup_owner__username",
        "relationship_level",
        "customer_since",
        "tier_pinned",
        "peak_months",
    ):
        # Both streams run in customer order: advance the teams to this customer.
        while team_of is None or team_of < pk:
            found = next(teams, None)
            if found is None:
                team_of, team = float("inf"), []
                break
            team_of, team = found[0], [username for _id, username in found[1]]
        members = team if team_of == pk else []
        yield (code, name, industry, region, owner, backup, members, level, since, pinned, sorted(months or []))


def contacts(user) -> Iterator[tuple]:
    for pk, external_id, *rest in _stream(
        restrict(Contact.objects.all(), user).order_by("pk"),
        "pk",
        "external_id",
        "customer__code",
        "name",
        "title",
        "department",
        "buying_role",
        "influence",
        "trust",
        "email",
        "phone",
        "joined_on",
        "left_on",
        "internal_owner__username",
    ):
        yield (_key(external_id, pk), *rest)


def interactions(user) -> Iterator[tuple]:
    for pk, external_id, *rest in _stream(
        restrict(Interaction.objects.all(), user).order_by("pk"),
        "pk",
        "external_id",
        "customer__code",
        "occurred_on",
        "kind",
        "subject",
        "notes",
        "logged_by__username",
    ):
        yield (_key(external_id, pk), *rest)


def orders(user) -> Iterator[tuple]:
    # One row per delivery line (a LEFT JOIN: an order without lines is one row, its line cells empty).
    return _stream(
        restrict(Order.objects.all(), user).order_by("pk", "lines__line_no"),
        "number",
        "customer__code",
        "ordered_on",
        "amount",
        "lines__line_no",
        "lines__product__sku",
        "lines__product__name",
        "lines__quantity_ordered",
        "lines__quantity_delivered",
        "lines__promised_on",
        "lines__delivered_on",
    )


def price_benchmarks(user) -> Iterator[tuple]:
    return _stream(
        restrict(PriceBenchmark.objects.all(), user).order_by("pk"),
        "customer__code",
        "product__sku",
        "observed_on",
        "our_price",
        "market_average_price",
        "competitor__name",
        "competitor_quote",
    )


def criteria(user) -> Iterator[tuple]:
    for pk, external_id, *rest in _stream(
        restrict(PurchaseCriterion.objects.all(), user).order_by("pk"),
        "pk",
        "external_id",
        "customer__code",
        "criterion",
        "importance",
        "we_meet",
        "competitor_meets",
        "competitor__name",
        "assessed_on",
        "notes",
    ):
        yield (_key(external_id, pk), *rest)


def tickets(user) -> Iterator[tuple]:
    for pk, external_id, *rest in _stream(
        restrict(Ticket.objects.all(), user).order_by("pk"),
        "pk",
        "external_id",
        "customer__code",
        "kind",
        "category",
        "severity",
        "channel",
        "subject",
        "description",
        "status",
        "department",
        "assigned_to__username",
        "opened_at",
        "first_response_at",
        "resolved_at",
        "closed_at",
        "satisfaction",
        "root_cause",
        "corrective_action",
    ):
        yield (_key(external_id, pk), *rest)


def churn(user) -> Iterator[tuple]:
    return _stream(
        restrict(Customer.objects.filter(status=CustomerStatus.CHURNED), user, via="").order_by("pk"),
        "code",
        "churned_on",
        "churn_reason",
        "churn_notes",
    )


def row_count(kind: str, user) -> int:
    """How many rows ``rows(kind, user)`` yields, in one count (orders: one per delivery line, or
    one for an order without lines, as the export's join gives them)."""
    if kind == "customers":
        records = restrict(Customer.objects.all(), user, via="")
    elif kind == "churn":
        records = restrict(Customer.objects.filter(status=CustomerStatus.CHURNED), user, via="")
    elif kind == "orders":
        records = restrict(Order.objects.all(), user).values("pk", "lines__line_no")
    else:
        records = restrict(COUNTED[kind].objects.all(), user)
    return records.order_by().count()


COUNTED = {
    "contacts": Contact,
    "interactions": Interaction,
    "price_benchmarks": PriceBenchmark,
    "criteria": PurchaseCriterion,
    "tickets": Ticket,
}

EXPORTERS = {
    "customers": customers,
    "contacts": contacts,
    "interactions": interactions,
    "orders": orders,
    "price_benchmarks": price_benchmarks,
    "criteria": criteria,
    "tickets": tickets,
    "churn": churn,
}
