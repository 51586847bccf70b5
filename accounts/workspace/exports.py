"""CSV and XLSX exports of My accounts: the filtered list across all pages, only what the user
may see. The rows stream from one query (a server-side cursor on PostgreSQL); the per-customer
figures (tickets, contacts, cadences, earlier revenue) are read beforehand in a few grouped
queries over the same filtered list, so an export costs the same queries at any size."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import date
from itertools import islice

from django.db import transaction
from django.db.models import CharField, F, Func, QuerySet
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from ..models import CustomerStatus, Industry, Region, RelationshipLevel, RiskBand, Tier
from ..packing import unpack_first
from ..people import display_name
from ..risk.reasons import render_reason
from ..spreadsheet_safety import neutralise
from .my_accounts import row_figures

# Customers fetched per round trip of the rows' cursor (not a query each: one cursor).
EXPORT_CHUNK_SIZE = 2000
# A workbook is written by a background job, so its size is not bound by a request's timeout;
# this only keeps a runaway query from filling the disk (Excel's own limit is 1,048,575 rows).
XLSX_MAX_ROWS = 1_000_000
# CSV lines handed to the server at a time (a few tens of kilobytes): fewer, larger writes.
CSV_LINES_PER_WRITE = 200
# A running XLSX job reports how far it got every this many rows.
XLSX_PROGRESS_EVERY = 2000


def headers() -> list[str]:
    """The export's column headers, in the active language; `export_rows` gives the cells in
    this order."""
    return [
        gettext("Customer code"),
        gettext("Customer"),
        gettext("Tier"),
        gettext("Status"),
        gettext("Industry"),
        gettext("Region"),
        gettext("Relationship level"),
        gettext("Owner"),
        gettext("Band"),
        gettext("Risk score"),
        gettext("Risk change, 7 days"),
        gettext("Manual band"),
        gettext("Top reason"),
        gettext("Revenue, 12 months"),
        gettext("Revenue change vs 90 days ago (%)"),
        gettext("Open tickets"),
        gettext("Overdue tickets"),
        gettext("Last contact"),
        gettext("Days since contact"),
        gettext("Last executive contact"),
        gettext("Days since executive contact"),
        gettext("Next cadence"),
        gettext("Next cadence due"),
    ]


# At most this many distinct values are remembered per export (top reasons put into words, text
# checked for formulas): most repeat (labels, owners, common reasons), and memory stays bounded.
_MEMO_SIZE = 50_000


class _TextCells(dict):
    """The cell of each value of a text column (a choice, a cadence's name), checked by
    `neutralise` once per export: a choice shows its label, any other value itself, or
    ``unknown`` when given."""

    def __init__(self, labels=(), *, unknown: str | None = None):
        super().__init__((value, neutralise(str(label))) for value, label in labels)
        self.unknown = unknown

    def __missing__(self, value):
        cell = neutralise(value if self.unknown is None else self.unknown)
        if len(self) < _MEMO_SIZE:
            self[value] = cell
        return cell


class _Owner:
    __slots__ = ("first_name", "last_name", "username")

    def __init__(self, first_name: str, last_name: str, username: str):
        self.first_name, self.last_name, self.username = first_name, last_name, username

    def get_username(self) -> str:
        return self.username


def _days_since(today: date, day: date | None) -> int | None:
    return (today - day).days if day else None


class _Hex(Func):
    """A bytes column as hexadecimal text (``bytes.fromhex`` reads it back); None, or on SQLite
    an empty text, for NULL."""

    function = "HEX"  # SQLite
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="ENCODE(%(expressions)s, 'hex')", **extra_context)


# What an export reads of each customer: plain values, not model instances, so no object is built.
# The snapshot's reasons come as stored (packed, accounts.packing), as text: a row of text,
# numbers and dates is left alone by Python's garbage collector, while rows holding the driver's
# memoryviews of bytes were walked again and again by full collections (about 0.3 s of a
# whole-book export). Only the first reason is read.
_FIELDS = (
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
    "owner_id",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
)
_STORED_REASONS = _Hex(F("snapshot_reasons"))
# The figures' cells of a customer without tickets, contacts or cadence.
_NO_TICKETS, _NO_CONTACTS, _NO_CADENCE = (0, 0), (None, None, None, None), ("", None)


def export_rows(queryset: QuerySet, *, scored_on: date | None, ids: QuerySet | None = None) -> Iterator[tuple]:
    """The cells of the filtered, sorted list, a tuple per customer in the order of `headers()`:
    text in the active language and checked by `neutralise`, numbers and dates as they are, None
    for an empty cell. First the figures of every customer in it (four or five grouped queries
    over a subquery of its customers: ``ids`` when given — the same customers without the list's
    joins, `AccountFilter.count_queryset` — else the list itself), then the customers from one
    cursor."""
    figures = row_figures((queryset if ids is None else ids).values("pk"), scored_on=scored_on)
    today, tickets, revenue_then = figures.today, figures.tickets, figures.revenue_then
    contacts = {
        pk: (last, _days_since(today, last), executive, _days_since(today, executive))
        for pk, (last, executive) in figures.contacts.items()
    }
    cadence_names = _TextCells()
    cadences = {pk: (cadence_names[name], due_on) for pk, (name, due_on) in figures.cadences.items()}

    tiers, statuses = _TextCells(Tier.choices), _TextCells(CustomerStatus.choices)
    industries, regions = _TextCells(Industry.choices), _TextCells(Region.choices)
    levels = _TextCells(RelationshipLevel.choices, unknown="")
    bands = _TextCells(RiskBand.choices, unknown="")
    yes = neutralise(gettext("yes"))
    owners: dict[int, str] = {}
    reasons: dict[str, str] = {}  # the top reason's JSON text -> its sentence, checked

    values = queryset.values_list(*_FIELDS, _STORED_REASONS)
    for (
        pk,
        code,
        name,
        tier,
        status,
        industry,
        region,
        level,
        revenue,
        band,
        score,
        change,
        override_band,
        owner_id,
        first_name,
        last_name,
        username,
        stored_reasons,
    ) in values.iterator(chunk_size=EXPORT_CHUNK_SIZE):
        owner = owners.get(owner_id)
        if owner is None:
            owner = owners[owner_id] = neutralise(display_name(_Owner(first_name, last_name, username)))
        top_reason = ""
        if stored_reasons and (first := unpack_first("reasons", bytes.fromhex(stored_reasons))):
            reason, text = first
            top_reason = reasons.get(text)
            if top_reason is None:
                top_reason = neutralise(render_reason(reason) if isinstance(reason, dict) else "")
                if len(reasons) < _MEMO_SIZE:
                    reasons[text] = top_reason
        then = revenue_then.get(pk)
        yield (
            (
                neutralise(code),
                neutralise(name),
                tiers[tier],
                statuses[status],
                industries[industry],
                regions[region],
                levels[level],
                owner,
                bands[band],
                None if score is None else round(score, 1),
                None if change is None else round(change, 1),
                yes if override_band is not None else "",
                top_reason,
                revenue,
                None if then is None or then <= 0 else round(float((revenue - then) / then) * 100, 1),
            )
            + tickets.get(pk, _NO_TICKETS)
            + contacts.get(pk, _NO_CONTACTS)
            + cadences.get(pk, _NO_CADENCE)
        )


def csv_lines(
    queryset: QuerySet, *, scored_on: date | None, language: str, ids: QuerySet | None = None
) -> Iterator[str]:
    """The export as CSV lines, handed out a few hundred at a time. It starts with a byte-order
    mark so Excel reads the UTF-8 (Chinese names) correctly; an empty cell is written empty.

    It reads inside a transaction of its own (it writes nothing): outside one, PostgreSQL keeps a
    server-side cursor past its transaction only by copying the whole result first (WITH HOLD),
    which delays the first row and costs about a tenth of a whole-book export. Should the
    download stop half-way, closing the response closes this generator and the transaction."""
    rows = export_rows(queryset, scored_on=scored_on, ids=ids)
    # The rows, and with them their cursor, are closed before the transaction ends.
    with translation.override(language), transaction.atomic(), closing(rows):
        buffer = io.StringIO()
        writer = csv.writer(buffer)  # writes None as an empty cell
        writer.writerow([neutralise(label) for label in headers()])
        yield "\ufeff" + _taken(buffer)
        while lines := list(islice(rows, CSV_LINES_PER_WRITE)):
            writer.writerows(lines)
            yield _taken(buffer)


def _taken(buffer: io.StringIO) -> str:
    """What was written into ``buffer``, which is emptied."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


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
    ids: QuerySet | None = None,
) -> int:
    """The export as an XLSX workbook written to ``path``; the number of rows. The write-only
    workbook streams rows to disk; numbers stay numeric cells. ``progress`` hears the rows written
    so far every few thousand rows."""
    with translation.override(language):
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=gettext("Customers")[:31])
        sheet.append([_xlsx_value(neutralise(label)) for label in headers()])
        written = 0
        for row in export_rows(queryset, scored_on=scored_on, ids=ids):
            sheet.append([_xlsx_value(v) for v in row])
            written += 1
            if progress is not None and written % XLSX_PROGRESS_EVERY == 0:
                progress(written)
    workbook.save(path)
    return written
