"""Complaint analytics: what customers complain about, who complains most, month by month; how fast
we respond and resolve against the SLA windows; how often the same problem comes back.

Every figure comes from aggregates in the database over the tickets the user may see, so the page
costs the same few queries whatever the number of tickets.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django import forms
from django.db import connection, transaction
from django.db.models import Count, Exists, F, FloatField, Func, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Tier
from keyaccounts.clock import day_start
from keyaccounts.editing import BoundedDates, date_input

from .models import Severity, Ticket

# A ticket recurs when the same customer raised one of the same category within this many days before.
RECURRENCE_DAYS = 90
TOP_CUSTOMERS = 10
DEFAULT_MONTHS = 12
MAX_DAYS = 3 * 366


class HoursBetween(Func):
    """Hours from ``start`` to ``end`` as a number (NULL when either is missing)."""

    arity = 2
    output_field = FloatField()

    def _compiled(self, compiler):
        return [compiler.compile(expression) for expression in self.get_source_expressions()]

    def as_sql(self, compiler, connection, **extra):
        (start, start_params), (end, end_params) = self._compiled(compiler)
        return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0)", (*end_params, *start_params)

    def as_sqlite(self, compiler, connection, **extra):
        (start, start_params), (end, end_params) = self._compiled(compiler)
        return f"((julianday({end}) - julianday({start})) * 24.0)", (*end_params, *start_params)


def default_start(today: date) -> date:
    """The first day of the month DEFAULT_MONTHS - 1 months before today's: a year of whole months."""
    month_index = today.year * 12 + today.month - 1 - (DEFAULT_MONTHS - 1)
    return date(month_index // 12, month_index % 12 + 1, 1)


def _small_date() -> forms.DateInput:
    widget = date_input()
    widget.attrs["class"] = "form-control form-control-sm"
    return widget


def _small_select() -> forms.Select:
    return forms.Select(attrs={"class": "form-select form-select-sm"})


class AnalyticsFilterForm(BoundedDates, forms.Form):
    """Period (by opening date), kind, tier and department."""

    start = forms.DateField(label=_("Opened from"), widget=_small_date())
    end = forms.DateField(label=_("Opened until"), widget=_small_date())
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All tickets")), *Ticket.Kind.choices], required=False, widget=_small_select()
    )
    tier = forms.ChoiceField(
        label=_("Tier"), choices=[("", _("All tiers")), *Tier.choices], required=False, widget=_small_select()
    )
    department = forms.ChoiceField(
        label=_("Department"),
        choices=[("", _("All departments")), *Ticket.Department.choices],
        required=False,
        widget=_small_select(),
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The period ends before it starts."))
            if (end - start).days > MAX_DAYS:
                raise forms.ValidationError(_("Choose a period of at most three years."))
        return cleaned


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    kind: str = Ticket.Kind.COMPLAINT
    tier: str = ""
    department: str = ""


def filters_from(params, *, today: date) -> tuple[Filters, AnalyticsFilterForm]:
    """The filters asked for, or the defaults (complaints of the last twelve months) when the
    request asks for nothing or for something invalid — the form then carries the errors."""
    defaults = {
        "start": default_start(today),
        "end": today,
        "kind": Ticket.Kind.COMPLAINT,
        "tier": "",
        "department": "",
    }
    data = {**{k: v.isoformat() if isinstance(v, date) else v for k, v in defaults.items()}, **params.dict()}
    form = AnalyticsFilterForm(data if any(k in params for k in defaults) else None, initial=defaults)
    if form.is_bound and form.is_valid():
        return Filters(**form.cleaned_data), form
    return Filters(**defaults), form


def tickets_in_scope(*, user, filters: Filters) -> QuerySet[Ticket]:
    """The tickets the user may see, opened in the period, narrowed by kind, tier and department."""
    tickets = Ticket.objects.visible_to(user).filter(
        opened_at__gte=day_start(filters.start), opened_at__lt=day_start(filters.end + timedelta(days=1))
    )
    if filters.kind:
        tickets = tickets.filter(kind=filters.kind)
    if filters.tier:
        tickets = tickets.filter(customer__tier=filters.tier)
    if filters.department:
        tickets = tickets.filter(department=filters.department)
    return tickets


def recurs() -> Exists:
    """The ticket's customer raised a ticket of the same category in the RECURRENCE_DAYS before it."""
    return Exists(
        Ticket.objects.filter(
            customer_id=OuterRef("customer_id"),
            category=OuterRef("category"),
            opened_at__lt=OuterRef("opened_at"),
            opened_at__gte=OuterRef("opened_at") - timedelta(days=RECURRENCE_DAYS),
        )
    )


def _measures(now: datetime) -> dict:
    """Counts and sums from which every figure is derived. Sums and counts, not averages: cells
    of the fine breakdown add up to the coarser ones, so one query serves them all."""
    response_late = Q(first_response_at__gt=F("response_due_at")) | Q(
        first_response_at__isnull=True, response_due_at__lt=now
    )
    resolution_late = Q(resolved_at__gt=F("resolution_due_at")) | Q(resolved_at__isnull=True, resolution_due_at__lt=now)
    responded = Q(first_response_at__isnull=False)
    resolved = Q(resolved_at__isnull=False)
    responded_with_target = responded & Q(response_due_at__isnull=False)
    resolved_with_target = resolved & Q(resolution_due_at__isnull=False)
    return {
        "tickets": Count("pk"),
        "responded": Count("pk", filter=responded),
        "resolved": Count("pk", filter=resolved),
        "responded_with_target": Count("pk", filter=responded_with_target),
        "resolved_with_target": Count("pk", filter=resolved_with_target),
        "response_hours_sum": Sum(HoursBetween(F("opened_at"), F("first_response_at")), filter=responded),
        "response_target_sum": Sum(HoursBetween(F("opened_at"), F("response_due_at")), filter=responded_with_target),
        "resolution_hours_sum": Sum(HoursBetween(F("opened_at"), F("resolved_at")), filter=resolved),
        "resolution_target_sum": Sum(HoursBetween(F("opened_at"), F("resolution_due_at")), filter=resolved_with_target),
        "response_met": Count("pk", filter=Q(first_response_at__lte=F("response_due_at"))),
        "response_missed": Count("pk", filter=response_late),
        "resolution_met": Count("pk", filter=Q(resolved_at__lte=F("resolution_due_at"))),
        "resolution_missed": Count("pk", filter=resolution_late),
        "recurrent": Count("pk", filter=Q(recurs=True)),
    }


COUNTS = (
    "tickets",
    "responded",
    "resolved",
    "responded_with_target",
    "resolved_with_target",
    "response_hours_sum",
    "response_target_sum",
    "resolution_hours_sum",
    "resolution_target_sum",
    "response_met",
    "response_missed",
    "resolution_met",
    "resolution_missed",
    "recurrent",
)


def _share(part: float | None, whole: int) -> float | None:
    return part / whole if whole and part is not None else None


def _totals(cells: list[dict]) -> dict:
    """The cells added up, with the means and rates: SLA attainment over the tickets whose outcome
    is known (met or missed; an open ticket not yet due is neither), recurrence over all."""
    row = {name: sum(cell[name] or 0 for cell in cells) for name in COUNTS}
    return {
        **row,
        "response_hours": _share(row["response_hours_sum"], row["responded"]),
        "response_target_hours": _share(row["response_target_sum"], row["responded_with_target"]),
        "resolution_hours": _share(row["resolution_hours_sum"], row["resolved"]),
        "resolution_target_hours": _share(row["resolution_target_sum"], row["resolved_with_target"]),
        "response_attainment": _share(row["response_met"], row["response_met"] + row["response_missed"]),
        "resolution_attainment": _share(row["resolution_met"], row["resolution_met"] + row["resolution_missed"]),
        "recurrence_rate": _share(row["recurrent"], row["tickets"]),
    }


def _grouped(cells: list[dict], key: str) -> dict:
    groups: dict = {}
    for cell in cells:
        groups.setdefault(cell[key], []).append(cell)
    return {value: _totals(members) for value, members in groups.items()}


@dataclass
class Analytics:
    filters: Filters
    summary: dict
    by_severity: list[dict]
    by_category: list[dict]
    by_customer: list[dict]
    by_month: list[dict]


def _months(start: date, end: date) -> list[date]:
    months, month = [], date(start.year, start.month, 1)
    while month <= end:
        months.append(month)
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return months


@contextmanager
def _reporting_query():
    """PostgreSQL's JIT compiler, set off by the cost of the recurrence subqueries, spends seconds
    compiling what runs in a fraction of one: off for these queries, in their own transaction."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        yield


def complaint_analytics(*, user, filters: Filters, now: datetime | None = None) -> Analytics:
    """Every figure of the analytics page in three aggregate queries: one by month, severity and
    category (every breakdown but customers is a sum of its cells), the top customers, and their
    recurrences."""
    now = now or timezone.now()
    tickets = tickets_in_scope(user=user, filters=filters)
    measures = _measures(now)
    month = TruncMonth("opened_at", tzinfo=timezone.get_current_timezone())
    with _reporting_query():
        cells = [
            {**cell, "month": cell["month"].date() if isinstance(cell["month"], datetime) else cell["month"]}
            for cell in tickets.alias(recurs=recurs())
            .annotate(month=month)
            .values("month", "severity", "category")
            .annotate(**measures)
            .order_by()
        ]
        by_customer = list(
            tickets.values("customer_id", "customer__name")
            .annotate(tickets=measures["tickets"], resolution_missed=measures["resolution_missed"])
            .order_by("-tickets", "customer__name")[:TOP_CUSTOMERS]
        )
        # Recurrences only for the customers shown: the subquery runs for their few tickets.
        recurrent = dict(
            tickets.filter(customer_id__in=[row["customer_id"] for row in by_customer])
            .alias(recurs=recurs())
            .values("customer_id")
            .annotate(recurrent=measures["recurrent"])
            .values_list("customer_id", "recurrent")
            .order_by()
        )
    for row in by_customer:
        row["recurrent"] = recurrent.get(row["customer_id"], 0)

    summary = _totals(cells)
    severity_rank = {value: i for i, value in enumerate(Severity.values)}
    by_severity = [
        {**row, "severity": severity, "label": Severity(severity).label}
        for severity, row in sorted(_grouped(cells, "severity").items(), key=lambda i: -severity_rank.get(i[0], -1))
    ]
    category_labels = dict(Ticket.Category.choices)
    by_category = sorted(
        (
            {**row, "category": category, "label": category_labels.get(category, category)}
            for category, row in _grouped(cells, "category").items()
        ),
        key=lambda row: (-row["tickets"], row["category"]),
    )
    monthly = _grouped(cells, "month")
    empty = _totals([])
    by_month = [{**monthly.get(m, empty), "month": m} for m in _months(filters.start, filters.end)]
    return Analytics(filters, summary, by_severity, by_category, by_customer, by_month)
