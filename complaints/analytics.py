"""Complaint analytics: what customers complain about, who complains most, month by month; how fast
we respond and resolve against the SLA windows; how often the same problem comes back.

Every figure comes from aggregates in the database over the tickets the user may see, so the page
costs the same few queries whatever the number of tickets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django import forms
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Min, Q, QuerySet, Sum, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer, Tier
from accounts.permissions import may_see_every_customer, restrict
from keyaccounts.clock import day_start, project_zone
from keyaccounts.editing import BoundedDates, date_input
from keyaccounts.widgets import compact_select

from .models import ComplaintMonth, Severity, Ticket
from .monthly import COUNTS, measures_of, recurs, ticket_month

TOP_CUSTOMERS = 10
DEFAULT_MONTHS = 12
MAX_DAYS = 3 * 366


def default_start(today: date) -> date:
    """The first day of the month DEFAULT_MONTHS - 1 months before today's: a year of whole months."""
    month_index = today.year * 12 + today.month - 1 - (DEFAULT_MONTHS - 1)
    return date(month_index // 12, month_index % 12 + 1, 1)


def _small_date() -> forms.DateInput:
    widget = date_input()
    widget.attrs["class"] = "form-control form-control-sm"
    return widget


class AnalyticsFilterForm(BoundedDates, forms.Form):
    """Period (by opening date), kind, tier and department."""

    start = forms.DateField(label=_("Opened from"), widget=_small_date())
    end = forms.DateField(label=_("Opened until"), widget=_small_date())
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All tickets")), *Ticket.Kind.choices], required=False, widget=compact_select()
    )
    tier = forms.ChoiceField(
        label=_("Tier"), choices=[("", _("All tiers")), *Tier.choices], required=False, widget=compact_select()
    )
    department = forms.ChoiceField(
        label=_("Department"),
        choices=[("", _("All departments")), *Ticket.Department.choices],
        required=False,
        widget=compact_select(),
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


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def live_from(now: datetime) -> date:
    """The first day of the current month: from it on, the page reads the tickets themselves."""
    today = timezone.localtime(now, project_zone()).date()
    return date(today.year, today.month, 1)


def stored_months(filters: Filters, now: datetime) -> list[date]:
    """The months of the period the page reads from ``ComplaintMonth`` (complaints.monthly): wholly
    inside the period, before the current month, ended before the last full refresh, and with
    no open ticket whose deadline has passed since its row was computed."""
    first_live = live_from(now)
    candidates = [
        month
        for month in _months(filters.start, filters.end)
        if filters.start <= month < first_live and _next_month(month) - timedelta(days=1) <= filters.end
    ]
    if not candidates:
        return []
    refreshed = ComplaintMonth.objects.aggregate(oldest=Min("computed_at"))["oldest"]
    if refreshed is None:
        return []
    candidates = [month for month in candidates if day_start(_next_month(month)) <= refreshed]
    if not candidates:
        return []
    # The whole book's rows hold each month's earliest pending deadline.
    stale = set(
        ComplaintMonth.objects.filter(customer__isnull=True, month__in=candidates)
        .filter(Q(response_pending_due__lt=now) | Q(resolution_pending_due__lt=now))
        .values_list("month", flat=True)
        .distinct()
        .order_by()
    )
    return [month for month in candidates if month not in stale]


def _runs(months: list[date]) -> list[tuple[date, date]]:
    """Consecutive months as (first month, the month after the last)."""
    runs: list[tuple[date, date]] = []
    for month in sorted(months):
        if runs and runs[-1][1] == month:
            runs[-1] = (runs[-1][0], _next_month(month))
        else:
            runs.append((month, _next_month(month)))
    return runs


def _outside(months: list[date]) -> Q:
    """Tickets opened outside these months."""
    inside = Q()
    for first, after in _runs(months):
        inside |= Q(opened_at__gte=day_start(first), opened_at__lt=day_start(after))
    return ~inside if months else Q()


def _narrowed(rows: QuerySet[ComplaintMonth], filters: Filters) -> QuerySet[ComplaintMonth]:
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.department:
        rows = rows.filter(department=filters.department)
    return rows


def customer_rows(*, user, filters: Filters, visible: list[int] | None = None) -> QuerySet[ComplaintMonth]:
    """The customers' stored rows the user may see, narrowed like tickets_in_scope (any month).

    ``visible``, the ids of the customers the user may see (``restrict``'s answer, read once),
    lets PostgreSQL look a manager's thousand customers up by index instead of joining every row
    of the months to the union of owned, backed-up and team customers."""
    rows = ComplaintMonth.objects.filter(customer__isnull=False)
    rows = rows.filter(customer_id__in=visible) if visible is not None else restrict(rows, user)
    rows = _narrowed(rows, filters)
    if filters.tier:
        rows = rows.filter(customer__tier=filters.tier)
    return rows


def visible_customers(user) -> list[int] | None:
    """The ids of the customers the user may see, or None when that is every customer."""
    if _sees_every_customer(user):
        return None
    return list(restrict(Customer.objects.all(), user).values_list("pk", flat=True).order_by())


def _sees_every_customer(user) -> bool:
    """The whole book is the user's scope (the condition under which restrict leaves a queryset whole)."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and may_see_every_customer(user))


def stored_in_scope(
    *, user, filters: Filters, months: list[date], visible: list[int] | None = None
) -> QuerySet[ComplaintMonth]:
    """The stored rows of these months that make up the user's figures: the whole book's rows for
    someone who sees every customer and asks for every tier, else the rows of the customers the
    user may see (in the tier asked for, as of now)."""
    if not filters.tier and _sees_every_customer(user):
        return _narrowed(ComplaintMonth.objects.filter(customer__isnull=True, month__in=months), filters)
    return customer_rows(user=user, filters=filters, visible=visible).filter(month__in=months)


def _sql_of(queryset: QuerySet) -> tuple[str, list] | None:
    """The queryset's SQL and parameters; None when it can match nothing (no months, no access)."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return None
    return sql, list(params)


def _per_customer(live: QuerySet[Ticket], *stored: QuerySet[ComplaintMonth], now: datetime) -> tuple[str, list]:
    """Tickets, those past their resolution target and (stored months only) recurrences per
    customer over the live tickets and the stored rows, as SQL of (customer_id, tickets,
    resolution_missed, recurrent)."""
    measures = measures_of(now)
    parts = [
        _sql_of(
            live.values("customer_id")
            .annotate(tickets=measures["tickets"], resolution_missed=measures["resolution_missed"], recurrent=Value(0))
            .values_list("customer_id", "tickets", "resolution_missed", "recurrent")
            .order_by()
        ),
        *(
            _sql_of(
                rows.values("customer_id")
                .annotate(
                    tickets=Sum("tickets"), resolution_missed=Sum("resolution_missed"), recurrent=Sum("recurrent")
                )
                .values_list("customer_id", "tickets", "resolution_missed", "recurrent")
                .order_by()
            )
            for rows in stored
        ),
    ]
    parts = [part for part in parts if part is not None]
    # Every part selects (customer_id, tickets, resolution_missed, recurrent), so the union takes
    # the first part's names. Written so SQLite reads it too: no column list on an alias, no
    # parenthesised member of a union.
    union = (
        " UNION ALL ".join(f"SELECT * FROM ({sql}) AS p{i}" for i, (sql, _params) in enumerate(parts))
        or "SELECT NULL AS customer_id, 0 AS tickets, 0 AS resolution_missed, 0 AS recurrent WHERE 1 = 0"
    )
    sql = (
        f"SELECT x.customer_id, SUM(x.tickets) AS tickets, SUM(x.resolution_missed) AS resolution_missed, "
        f"SUM(x.recurrent) AS recurrent FROM ({union}) AS x GROUP BY x.customer_id"
    )
    return sql, [param for _sql, params in parts for param in params]


# Customers whose counts are worked out first, the busiest in all: the tenth of them sets the bar.
FIRST_CANDIDATE_ROWS = 1000


def _top_customers(
    live: QuerySet[Ticket], rows: QuerySet[ComplaintMonth], months: list[date], now: datetime, *, bounded: bool
) -> list[dict]:
    """The TOP_CUSTOMERS customers with most tickets in the period, with their tickets, those past
    their resolution target and the stored months' recurrences.

    Adding up every customer's rows would cost as much as the tickets, so the search is bounded:
    the stored counts of the customers busiest in all (``customer_tickets``) are worked out first;
    the tenth of them, ``bar``, is a count the top customers reach at least. A customer's stored
    months hold no more tickets than it has in all, so one with fewer than ``bar`` in all and no
    ticket read live cannot reach it: the last query adds up only the others' rows. Unless
    ``bounded`` is off: an account manager's own rows are few, and added up whole."""
    stored = rows.filter(month__in=months)
    if not bounded:
        return _ranked(live, [stored], now)
    busiest = stored.order_by("-customer_tickets").values("customer_id")[:FIRST_CANDIDATE_ROWS]
    first = list(
        stored.filter(customer_id__in=busiest)
        .values("customer_id")
        .annotate(tickets=Sum("tickets"))
        .order_by("-tickets")
        .values_list("tickets", flat=True)[:TOP_CUSTOMERS]
    )
    bar = first[-1] if len(first) == TOP_CUSTOMERS else 0
    parts = []
    if months:  # the busy customers' rows, and the others' of the customers with tickets read live
        live_customers = list(live.values_list("customer_id", flat=True).distinct().order_by())
        parts = [
            stored.filter(customer_tickets__gte=bar),
            stored.filter(customer_tickets__lt=bar, customer_id__in=live_customers),
        ]
    return _ranked(live, parts, now)


def _ranked(live: QuerySet[Ticket], stored: list[QuerySet[ComplaintMonth]], now: datetime) -> list[dict]:
    """The TOP_CUSTOMERS customers by tickets over the live tickets and these stored rows."""
    per_customer, params = _per_customer(live, *stored, now=now)
    customer = Customer._meta.db_table
    # Names only for the customers at or above the tenth count, which the ties are broken among.
    sql = (
        f"WITH u AS ({per_customer}) "
        f"SELECT u.customer_id, c.name, u.tickets, u.resolution_missed, u.recurrent FROM u "
        f"JOIN {customer} c ON c.id = u.customer_id "
        f"WHERE u.tickets >= COALESCE((SELECT t.tickets FROM u t ORDER BY t.tickets DESC LIMIT 1 OFFSET %s), 0) "
        f"ORDER BY u.tickets DESC, c.name LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, TOP_CUSTOMERS - 1, TOP_CUSTOMERS])
        return [
            {
                "customer_id": pk,
                "customer__name": name,
                "tickets": int(tickets),
                "resolution_missed": int(missed or 0),
                "recurrent": int(recurrent or 0),
            }
            for pk, name, tickets, missed, recurrent in cursor.fetchall()
        ]


def complaint_analytics(*, user, filters: Filters, now: datetime | None = None) -> Analytics:
    """Every figure of the analytics page: the months stored whole in ``ComplaintMonth`` summed
    from it, the rest (the current month, a month cut by the period, a month not refreshed since
    a deadline passed) from the tickets — one aggregate query each for the month × severity ×
    category cells (every breakdown but customers is a sum of its cells), two for the top
    customers over both, and one for their recurrences in the months read live."""
    now = now or timezone.now()
    measures = measures_of(now)
    months = stored_months(filters, now)
    live = tickets_in_scope(user=user, filters=filters).filter(_outside(months))
    visible = visible_customers(user) if months else None
    stored = stored_in_scope(user=user, filters=filters, months=months, visible=visible)
    cells = [
        *live.alias(recurs=recurs())
        .annotate(month=ticket_month())
        .values("month", "severity", "category")
        .annotate(**measures)
        .order_by(),
        *stored.values("month", "severity", "category").annotate(**{name: Sum(name) for name in COUNTS}).order_by(),
    ]
    rows = customer_rows(user=user, filters=filters, visible=visible)
    by_customer = _top_customers(live, rows, months, now, bounded=visible is None)
    # Recurrences of the months read live only for the customers shown: the subquery runs
    # for their few tickets.
    recurrent = dict(
        live.filter(customer_id__in=[row["customer_id"] for row in by_customer])
        .alias(recurs=recurs())
        .values("customer_id")
        .annotate(recurrent=measures["recurrent"])
        .values_list("customer_id", "recurrent")
        .order_by()
    )
    for row in by_customer:
        row["recurrent"] += recurrent.get(row["customer_id"], 0)

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
