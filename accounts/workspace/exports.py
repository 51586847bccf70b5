"""CSV and XLSX exports of My accounts: the filtered list across all pages, only what the user
may see. The rows stream from one query (a server-side cursor on PostgreSQL); the per-customer
figures (tickets, contacts, cadences, earlier revenue) are read beforehand in a few grouped
queries over the same filtered list, so an export costs the same queries at any size."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal

import orjson
from django.db import transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from ..models import CustomerStatus, Industry, Region, RelationshipLevel, RiskBand, Tier
from ..people import display_name
from ..risk.reasons import render_reason
from ..spreadsheet_safety import neutralise
from .my_accounts import AccountRow, row_figures

# Customers fetched per round trip of the rows' cursor (not a query each: one cursor).
EXPORT_CHUNK_SIZE = 2000
# A workbook is written by a background job, so its size is not bound by a request's timeout;
# this only keeps a runaway query from filling the disk (Excel's own limit is 1,048,575 rows).
XLSX_MAX_ROWS = 1_000_000
# CSV lines handed to the server at a time (a few tens of kilobytes): fewer, larger writes.
CSV_LINES_PER_WRITE = 200
# A running XLSX job reports how far it got every this many rows.
XLSX_PROGRESS_EVERY = 2000


def _score(row: AccountRow) -> float | None:
    return None if row.score is None else round(row.score, 1)


def _change(row: AccountRow) -> float | None:
    return None if row.score_change is None else round(row.score_change, 1)


def _labels(choices) -> dict:
    # Translated once per export: get_FOO_display() re-translates every choice on every call,
    # which dominates the time of a 100,000-row export.
    return {value: str(label) for value, label in choices}


def columns() -> list[tuple[str, Callable[[AccountRow], object]]]:
    """The export's columns as (header, value of a row), in the active language."""
    tiers, statuses = _labels(Tier.choices), _labels(CustomerStatus.choices)
    industries, regions = _labels(Industry.choices), _labels(Region.choices)
    levels, bands = _labels(RelationshipLevel.choices), _labels(RiskBand.choices)
    yes = gettext("yes")
    return [
        (gettext("Customer code"), lambda r: r.customer.code),
        (gettext("Customer"), lambda r: r.customer.name),
        (gettext("Tier"), lambda r: tiers.get(r.customer.tier, r.customer.tier)),
        (gettext("Status"), lambda r: statuses.get(r.customer.status, r.customer.status)),
        (gettext("Industry"), lambda r: industries.get(r.customer.industry, r.customer.industry)),
        (gettext("Region"), lambda r: regions.get(r.customer.region, r.customer.region)),
        (gettext("Relationship level"), lambda r: levels.get(r.customer.relationship_level, "")),
        (gettext("Owner"), lambda r: display_name(r.customer.owner)),
        (gettext("Band"), lambda r: bands.get(r.band, "")),
        (gettext("Risk score"), _score),
        (gettext("Risk change, 7 days"), _change),
        (gettext("Manual band"), lambda r: yes if r.overridden else ""),
        (gettext("Top reason"), lambda r: r.top_reason),
        (gettext("Revenue, 12 months"), lambda r: r.customer.revenue_12m),
        (gettext("Revenue change vs 90 days ago (%)"), lambda r: r.revenue_trend_percent),
        (gettext("Open tickets"), lambda r: r.open_tickets),
        (gettext("Overdue tickets"), lambda r: r.overdue_tickets),
        (gettext("Last contact"), lambda r: r.last_contact_on),
        (gettext("Days since contact"), lambda r: r.days_since_contact),
        (gettext("Last executive contact"), lambda r: r.last_executive_contact_on),
        (gettext("Days since executive contact"), lambda r: r.days_since_executive_contact),
        (gettext("Next cadence"), lambda r: r.next_cadence_name),
        (gettext("Next cadence due"), lambda r: r.next_cadence_due_on),
    ]


# What an export reads of each customer: plain values, not model instances, so no object is built
# and no JSON decoded for what the file does not show (the band's explanation, the thresholds).
_CUSTOMER_FIELDS = (
    "pk",
    "code",
    "name",
    "tier",
    "status",
    "industry",
    "region",
    "relationship_level",
    "revenue_12m",
    "display_band",
    "snapshot_score",
    "score_change",
    "override_band",
)
_OWNER_FIELDS = ("owner_id", "owner__first_name", "owner__last_name", "owner__username")


class _Owner:
    __slots__ = ("first_name", "last_name", "username")

    def __init__(self, first_name: str, last_name: str, username: str):
        self.first_name, self.last_name, self.username = first_name, last_name, username

    def get_username(self) -> str:
        return self.username


class _Customer:
    """A customer as the export's columns and `AccountRow` read it, from one row of values."""

    __slots__ = (*_CUSTOMER_FIELDS, "owner", "snapshot_reasons")

    def __init__(self, values: tuple, owner: _Owner):
        for name, value in zip(_CUSTOMER_FIELDS, values, strict=False):
            setattr(self, name, value)
        self.owner = owner
        self.snapshot_reasons = ()  # the top reason is put into words by export_rows, once per text


# At most this many distinct values are remembered per export (top reasons put into words, text
# checked for formulas): most repeat (labels, owners, common reasons), and memory stays bounded.
_MEMO_SIZE = 50_000


def _reason_text(reason) -> str:
    return render_reason(reason) if isinstance(reason, dict) else ""


def export_rows(queryset: QuerySet, *, scored_on: date | None) -> Iterator[AccountRow]:
    """The rows of the filtered, sorted list: first the figures of every customer in it (four or
    five grouped queries, the list itself a subquery), then the customers from one cursor."""
    figures = row_figures(queryset.values("pk"), scored_on=scored_on)
    # The snapshot's reasons come packed (accounts.packing) and are unpacked per row; the
    # first one is put into words once per distinct reason.
    values = queryset.values_list(*_CUSTOMER_FIELDS, *_OWNER_FIELDS, "snapshot_reasons")
    owners: dict[int, _Owner] = {}
    reasons: dict[bytes, str] = {}
    owner_at = len(_CUSTOMER_FIELDS)
    for row in values.iterator(chunk_size=EXPORT_CHUNK_SIZE):
        owner_id = row[owner_at]
        owner = owners.get(owner_id)
        if owner is None:
            owner = owners[owner_id] = _Owner(*row[owner_at + 1 : owner_at + 4])
        account_row = figures.row(_Customer(row, owner))
        if snapshot_reasons := row[-1]:
            first = snapshot_reasons[0]
            raw = orjson.dumps(first, option=orjson.OPT_SORT_KEYS)
            sentence = reasons.get(raw)
            if sentence is None:
                sentence = _reason_text(first)
                if len(reasons) < _MEMO_SIZE:
                    reasons[raw] = sentence
            account_row.top_reason = sentence
        yield account_row


# Values that can never be a formula pass without the check (most cells of a large export); text
# goes through `neutralise` once per distinct value, anything else every time.
_NEVER_FORMULAS = frozenset({int, float, Decimal, date, type(None)})


def _values(row: AccountRow, getters, checked: dict[str, str]) -> list:
    values = []
    for getter in getters:
        value = getter(row)
        kind = type(value)
        if kind is str:
            safe = checked.get(value)
            if safe is None:
                safe = neutralise(value)
                if len(checked) < _MEMO_SIZE:
                    checked[value] = safe
            value = safe
        elif kind not in _NEVER_FORMULAS:
            value = neutralise(value)
        values.append(value)
    return values


class _Echo:
    """csv.writer writes into this and gets the line back, so lines can be streamed."""

    def write(self, value: str) -> str:
        return value


def csv_lines(queryset: QuerySet, *, scored_on: date | None, language: str) -> Iterator[str]:
    """The export as CSV lines. It starts with a byte-order mark so Excel reads the UTF-8 (Chinese
    names) correctly.

    It reads inside a transaction of its own (it writes nothing): outside one, PostgreSQL keeps a
    server-side cursor past its transaction only by copying the whole result first (WITH HOLD),
    which delays the first row and costs about a tenth of a whole-book export. Should the
    download stop half-way, closing the response closes this generator and the transaction."""
    with translation.override(language), transaction.atomic():
        writer = csv.writer(_Echo())
        headers, getters = zip(*columns(), strict=True)
        yield "\ufeff" + writer.writerow([neutralise(label) for label in headers])
        checked: dict[str, str] = {}
        lines = []
        for row in export_rows(queryset, scored_on=scored_on):
            lines.append(writer.writerow(["" if v is None else v for v in _values(row, getters, checked)]))
            if len(lines) == CSV_LINES_PER_WRITE:
                yield "".join(lines)
                lines = []
        if lines:
            yield "".join(lines)


def _xlsx_value(value):
    # openpyxl refuses control characters that XML cannot carry; they never mean anything in a name.
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def write_xlsx(
    queryset: QuerySet,
    path: str | os.PathLike,
    *,
    scored_on: date | None,
    language: str,
    progress: Callable[[int], None] | None = None,
) -> int:
    """The export as an XLSX workbook written to ``path``; the number of rows. The write-only
    workbook streams rows to disk; numbers stay numeric cells. ``progress`` hears the rows written
    so far every few thousand rows."""
    with translation.override(language):
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=gettext("Customers")[:31])
        headers, getters = zip(*columns(), strict=True)
        sheet.append([_xlsx_value(neutralise(label)) for label in headers])
        written, checked = 0, {}
        for row in export_rows(queryset, scored_on=scored_on):
            sheet.append([_xlsx_value(v) for v in _values(row, getters, checked)])
            written += 1
            if progress is not None and written % XLSX_PROGRESS_EVERY == 0:
                progress(written)
    workbook.save(path)
    return written
