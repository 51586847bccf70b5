"""Reads: what a user may see, shaped for pages. Writes live in services."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, F, Prefetch, Q, Window
from django.db.models.functions import RowNumber, TruncDate, TruncMonth
from django.utils import formats

from complaints.models import Ticket
from keyaccounts.clock import business_today
from relationships.models import Contact, Interaction

from ..bands import shown_band
from ..models import (
    AccountPlan,
    Alert,
    Customer,
    DeliveryLine,
    Incentive,
    Order,
    PriceBenchmark,
    ProductNeed,
    PurchaseCriterion,
    RiskModelVersion,
    RiskOverride,
    RiskSnapshot,
)
from ..permissions import sees_all_alerts
from ..risk.defaults import DEFAULT_PARAMETERS, FACTORS
from ..risk.reasons import ACTIONS, FACTOR_LABELS, TRIPWIRE_LABELS, render_action, render_countermeasure, render_reason


def _contributions(snapshot: RiskSnapshot | None) -> dict[str, float]:
    """Each factor's points of the total score: wᵢ·rᵢ / Σw over the factors with data."""
    if snapshot is None:
        return {}
    present = {k: v for k, v in snapshot.factors.items() if v.get("risk") is not None and v.get("weight")}
    total_weight = sum(v["weight"] for v in present.values())
    return {k: v["weight"] * v["risk"] / total_weight for k, v in present.items()} if total_weight else {}


def _weekly_scores(history: list[RiskSnapshot], *, weeks: int) -> list[dict]:
    """One point per week, oldest first, ending on the latest snapshot: the last snapshot of each
    seven-day stretch (a week without any is a gap, not a zero)."""
    if not history:
        return []
    end = history[0].as_of
    points = []
    for week in range(weeks - 1, -1, -1):
        week_end = end - timedelta(days=7 * week)
        in_week = [s for s in history if week_end - timedelta(days=7) < s.as_of <= week_end]
        last = max(in_week, key=lambda s: s.as_of) if in_week else None
        points.append(
            {
                "day": week_end.isoformat(),
                "week_end": week_end,
                "label": formats.date_format(week_end, "MONTH_DAY_FORMAT"),
                "score": None if last is None or last.score is None else round(last.score, 1),
                "band": last.band if last else None,
            }
        )
    return points


def customer_risk(*, customer: Customer) -> dict:
    """The risk panel of one customer: latest snapshot, factors with their 7/30-day change, the
    override in force, the score history, in a fixed number of queries."""

    history = list(
        RiskSnapshot.objects.filter(customer=customer)
        .order_by("-as_of")
        .only(
            "as_of",
            "score",
            "band",
            "computed_band",
            "completeness",
            "factors",
            "tripwires",
            "reasons",
            "score_change_7d",
            "score_change_30d",
            "model_version_id",
        )[:91]
    )
    latest = history[0] if history else None
    by_day = {s.as_of: s for s in history}
    factors = []
    if latest is not None:
        now = _contributions(latest)
        week = _contributions(by_day.get(latest.as_of - timedelta(days=7)))
        month = _contributions(by_day.get(latest.as_of - timedelta(days=30)))
        for name in FACTORS:
            entry = latest.factors.get(name, {})
            factors.append(
                {
                    "name": name,
                    "label": FACTOR_LABELS.get(name, name),
                    "risk": entry.get("risk"),
                    "weight": entry.get("weight"),
                    "points": now.get(name),
                    "change_7d": (now.get(name, 0) - week.get(name, 0)) if week else None,
                    "change_30d": (now.get(name, 0) - month.get(name, 0)) if month else None,
                }
            )
    override = RiskOverride.objects.filter(customer=customer, ended_on__isnull=True).select_related("set_by").first()
    display_band = shown_band(
        override_band=override.band if override is not None else None, computed_band=latest.band if latest else None
    )
    bands = DEFAULT_PARAMETERS["bands"]
    if latest is not None:
        # The thresholds of the model that scored the customer, so the chart's lines match its bands.
        stored = RiskModelVersion.objects.filter(pk=latest.model_version_id).values_list("parameters", flat=True)
        bands = {**bands, **((stored.first() or {}).get("bands") or {})}
    return {
        "weekly": _weekly_scores(history, weeks=12),
        "thresholds": {"amber": bands["amber"], "red": bands["red"]},
        "snapshot": latest,
        "display_band": display_band,
        "factors": factors,
        "reasons": [
            {
                "text": render_reason(r),
                "action": render_action(r),
                "countermeasure": render_countermeasure(r),
                "factor": FACTOR_LABELS.get(r.get("factor"), ""),
            }
            for r in (latest.reasons if latest else [])
        ],
        "tripwires": [TRIPWIRE_LABELS.get(code, code) for code in (latest.tripwires if latest else [])],
        "raised_by_tripwire": bool(latest and latest.raised_by_tripwire(amber=bands["amber"], red=bands["red"])),
        "override": override,
    }


# The customer 360 page: timeline, supply, price vs market ------------------------------------

TIMELINE_PAGE_SIZE = 20
# Order of the kinds within one day, first shown first; also the tie-break of the paging cursor.
TIMELINE_KINDS = ("ticket_resolved", "ticket_opened", "interaction", "order", "criterion", "plan_review")
_TIMELINE_RANK = {kind: len(TIMELINE_KINDS) - i for i, kind in enumerate(TIMELINE_KINDS)}
_MAX_PK = 2**63 - 1


@dataclass(frozen=True)
class TimelineEntry:
    """One dated event of the customer's timeline; ``record`` is the model instance it shows."""

    day: date
    kind: str
    pk: int
    record: object

    @property
    def sort_key(self) -> tuple[date, int, int]:
        return (self.day, _TIMELINE_RANK[self.kind], self.pk)

    @property
    def cursor(self) -> str:
        """Where the next page starts: everything strictly older than this entry."""
        return f"{self.day.isoformat()}.{self.kind}.{self.pk}"


def parse_timeline_cursor(value: str) -> tuple[date, str, int]:
    """The ``before`` parameter of a timeline page; ValueError when it is not one we wrote."""
    day, kind, pk = value.split(".")
    if kind not in _TIMELINE_RANK or not pk.isascii() or not pk.isdigit() or not 0 < int(pk) <= _MAX_PK:
        raise ValueError(value)
    return date.fromisoformat(day), kind, int(pk)


def _older_than(cursor: tuple[date, str, int] | None, kind: str, day_field: str, today: date) -> Q:
    """Rows of one kind that sort after the cursor (newest first by day, kind rank, id)."""
    up_to_today = Q(**{f"{day_field}__lte": today})
    if cursor is None:
        return up_to_today
    day, cursor_kind, pk = cursor
    older = Q(**{f"{day_field}__lt": day})
    rank, cursor_rank = _TIMELINE_RANK[kind], _TIMELINE_RANK[cursor_kind]
    if rank < cursor_rank:
        older |= Q(**{day_field: day})
    elif rank == cursor_rank:
        older |= Q(**{day_field: day, "pk__lt": pk})
    return up_to_today & older


def customer_timeline(
    *, customer: Customer, before: tuple[date, str, int] | None = None, limit: int = TIMELINE_PAGE_SIZE
) -> dict:
    """Interactions, tickets opened and resolved, orders, criteria assessments and plan reviews,
    newest first, one page at a time.

    One query per kind, each limited to a page and one more, merged here: the newest ``limit``
    of the union are always among them, and the extra row tells whether another page exists.
    Only what happened up to today is shown.
    """
    today = business_today()
    take = limit + 1

    def newest(queryset, kind: str, day_field: str = "day"):
        rows = queryset.filter(_older_than(before, kind, day_field, today)).order_by(f"-{day_field}", "-pk")[:take]
        return [TimelineEntry(getattr(row, day_field), kind, row.pk, row) for row in rows]

    tickets = Ticket.objects.filter(customer=customer).only(
        "pk", "kind", "category", "severity", "subject", "status", "opened_at", "resolved_at", "satisfaction"
    )
    entries = [
        *newest(
            Interaction.objects.filter(customer=customer)
            .select_related("logged_by")
            .prefetch_related(Prefetch("contacts", queryset=Contact.objects.only("pk", "name", "title"))),
            "interaction",
            "occurred_on",
        ),
        *newest(tickets.annotate(day=TruncDate("opened_at")), "ticket_opened"),
        *newest(tickets.filter(resolved_at__isnull=False).annotate(day=TruncDate("resolved_at")), "ticket_resolved"),
        *newest(Order.objects.filter(customer=customer), "order", "ordered_on"),
        *newest(
            PurchaseCriterion.objects.filter(customer=customer).select_related("competitor"), "criterion", "assessed_on"
        ),
        *newest(AccountPlan.objects.filter(customer=customer), "plan_review", "reviewed_on"),
    ]
    entries.sort(key=lambda entry: entry.sort_key, reverse=True)
    page = entries[:limit]
    return {"entries": page, "next_before": page[-1].cursor if len(entries) > limit else None}


OTIF_WINDOW_DAYS = DEFAULT_PARAMETERS["supply"]["otif_window_days"]
# The risk signal's definition (accounts/risk/signals.py): delivered, no later than promised, in full.
_OTIF_HIT = Q(
    delivered_on__isnull=False, delivered_on__lte=F("promised_on"), quantity_delivered__gte=F("quantity_ordered")
)
_LATE = Q(delivered_on__isnull=True) | Q(delivered_on__gt=F("promised_on"))
_SHORT = Q(quantity_delivered__lt=F("quantity_ordered"))


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def customer_supply(*, customer: Customer, as_of: date | None = None, months: int = 12, miss_limit: int = 50) -> dict:
    """On-time-in-full over the lines promised in the last 90 days, the late and short ones, and
    OTIF per month of the promise over the last ``months`` calendar months, in three queries.

    Lines are counted as the risk score counts them: promised on or before the date and after
    the window's start, on orders placed by the date; a line not delivered yet is late.
    """
    as_of = as_of or business_today()
    window_from = as_of - timedelta(days=OTIF_WINDOW_DAYS)
    lines = DeliveryLine.objects.filter(order__customer=customer, order__ordered_on__lte=as_of, promised_on__lte=as_of)
    in_window = lines.filter(promised_on__gt=window_from)
    totals = in_window.aggregate(
        lines=Count("pk"),
        hits=Count("pk", filter=_OTIF_HIT),
        on_time=Count("pk", filter=~_LATE),
        in_full=Count("pk", filter=~_SHORT),
    )
    misses = [
        {
            "line": line,
            "late": line.delivered_on is None or line.delivered_on > line.promised_on,
            "short": line.quantity_delivered < line.quantity_ordered,
            "shortfall": line.quantity_ordered - line.quantity_delivered,
            "days_late": ((line.delivered_on or as_of) - line.promised_on).days,
        }
        for line in in_window.filter(_LATE | _SHORT)
        .select_related("order", "product")
        .order_by("-promised_on", "-pk")[:miss_limit]
    ]
    first_month = date(as_of.year, as_of.month, 1)
    for _ in range(months - 1):
        first_month = (first_month - timedelta(days=1)).replace(day=1)
    per_month = {
        row["month"]: row
        for row in lines.filter(promised_on__gte=first_month)
        .annotate(month=TruncMonth("promised_on"))
        .order_by()
        .values("month")
        .annotate(lines=Count("pk"), hits=Count("pk", filter=_OTIF_HIT))
    }
    monthly, month = [], first_month
    while month <= as_of:
        row = per_month.get(month, {"lines": 0, "hits": 0})
        monthly.append(
            {
                "month": month.isoformat(),
                "label": formats.date_format(month, "YEAR_MONTH_FORMAT"),
                "lines": row["lines"],
                "hits": row["hits"],
                "otif": _share(row["hits"], row["lines"]),
            }
        )
        month = (month + timedelta(days=32)).replace(day=1)
    return {
        "as_of": as_of,
        "window_from": window_from + timedelta(days=1),
        "window_days": OTIF_WINDOW_DAYS,
        **totals,
        "misses_total": totals["lines"] - totals["hits"],
        "otif": _share(totals["hits"], totals["lines"]),
        "on_time_share": _share(totals["on_time"], totals["lines"]),
        "in_full_share": _share(totals["in_full"], totals["lines"]),
        "misses": misses,
        "monthly": monthly,
    }


PRICE_STALE_AFTER_DAYS = 180


def customer_pricing(*, customer: Customer, as_of: date | None = None) -> dict:
    """Each product's latest price benchmark on or before the date, our price against the market
    and the competitor's quote, the widest gap first, in one query."""
    as_of = as_of or business_today()
    latest = (
        PriceBenchmark.objects.filter(customer=customer, observed_on__lte=as_of)
        .annotate(
            recency=Window(
                RowNumber(), partition_by=[F("product_id")], order_by=[F("observed_on").desc(), F("pk").desc()]
            )
        )
        .filter(recency=1)
        .select_related("product", "competitor")
    )
    rows = []
    for benchmark in latest:
        quote = benchmark.competitor_quote
        rows.append(
            {
                "benchmark": benchmark,
                "gap_pct": (float(benchmark.our_price / benchmark.market_average_price) - 1) * 100,
                "quote_gap_pct": (float(benchmark.our_price / quote) - 1) * 100 if quote else None,
                "age_days": (as_of - benchmark.observed_on).days,
                "stale": (as_of - benchmark.observed_on).days > PRICE_STALE_AFTER_DAYS,
            }
        )
    rows.sort(key=lambda row: (-row["gap_pct"], row["benchmark"].product.sku))
    return {
        "as_of": as_of,
        "rows": rows,
        "above_market": sum(1 for row in rows if row["gap_pct"] > 0),
        "stale_after_days": PRICE_STALE_AFTER_DAYS,
    }


def alerts_for(*, user, limit: int = 10):
    """Open alerts addressed to the user (executives and admins: every visible one)."""

    alerts = Alert.objects.open().visible_to(user).select_related("customer")
    if not sees_all_alerts(user):
        alerts = alerts.filter(recipients=user)
    return alerts.order_by("-as_of", "-id")[:limit]


# An assessment older than this asks to be redone. The score still reads it as it stands; the hint
# only says the evidence may have moved on.
CRITERIA_STALE_AFTER_DAYS = 365
# The account plan should be reviewed within 12 months: the first step of plan_age_grid
# (docs/risk-method.md, "Factors").
PLAN_REVIEW_WITHIN_DAYS = 365
# The colour of each situation of the risk engine (risk/factors.py `_situation`): by default a
# criterion both sides meet and one nobody meets both weigh 50 points, so both are amber.
CRITERION_COLOURS = {"safe": "green", "caution": "amber", "gap": "amber", "alarm": "red"}
CRITERION_ACTIONS = {"alarm": "close_criterion_gap", "caution": "differentiate", "gap": "meet_criteria_first"}


def _criterion_tripwire_importance() -> int:
    """The importance at which an alarm makes the whole account red, from the active risk model."""
    default = DEFAULT_PARAMETERS["tripwires"]["criterion_min_importance"]
    parameters = RiskModelVersion.objects.filter(is_active=True).values_list("parameters", flat=True).first()
    tripwires = parameters.get("tripwires") if isinstance(parameters, dict) else None
    value = tripwires.get("criterion_min_importance", default) if isinstance(tripwires, dict) else default
    return value if isinstance(value, int | float) else default


def customer_criteria(*, customer: Customer, today: date | None = None) -> dict:
    """The purchase-criteria matrix: the latest assessment of each criterion on or before today,
    read the way the risk engine reads it (assessments dated later are not yet in force)."""
    today = today or business_today()
    rows = list(
        PurchaseCriterion.objects.filter(customer=customer, assessed_on__lte=today)
        .annotate(
            latest=Window(
                RowNumber(), partition_by=[F("criterion")], order_by=[F("assessed_on").desc(), F("pk").desc()]
            ),
            assessments=Window(Count("pk"), partition_by=[F("criterion")]),
        )
        .filter(latest=1)
        .select_related("competitor")
        .order_by("-importance", "criterion", "pk")
    )
    tripwire_importance = _criterion_tripwire_importance()
    counts = dict.fromkeys(CRITERION_COLOURS, 0)
    for row in rows:
        row.colour = CRITERION_COLOURS[row.situation]
        row.action = ACTIONS.get(CRITERION_ACTIONS.get(row.situation, ""), "")
        row.trips_wire = row.situation == "alarm" and row.importance >= tripwire_importance
        row.stale = (today - row.assessed_on).days > CRITERIA_STALE_AFTER_DAYS
        counts[row.situation] += 1
    return {
        "rows": rows,
        "counts": counts,
        "today": today,
        "stale_after_days": CRITERIA_STALE_AFTER_DAYS,
        "tripwire_importance": tripwire_importance,
        "tripwire_importance_label": dict(PurchaseCriterion.Importance.choices).get(
            int(tripwire_importance), tripwire_importance
        ),
    }


def customer_strategy(*, customer: Customer, today: date | None = None) -> dict:
    """The strategy section: the account plan in force and its earlier reviews, product needs by
    status, and incentives running, planned and past."""
    today = today or business_today()
    plans = list(
        AccountPlan.objects.filter(customer=customer, reviewed_on__lte=today).order_by("-reviewed_on", "-pk")[:6]
    )
    plan = plans[0] if plans else None
    review_overdue = False
    if plan is not None:
        if plan.next_review_on is not None:
            review_overdue = plan.next_review_on < today
        else:
            review_overdue = (today - plan.reviewed_on).days > PLAN_REVIEW_WITHIN_DAYS
    needs = list(
        ProductNeed.objects.filter(customer=customer).select_related("product").order_by("identified_on", "pk")
    )
    needs_by_status = [
        {"status": status, "label": label, "needs": [n for n in needs if n.status == status]}
        for status, label in (
            (ProductNeed.Status.UNMET, ProductNeed.Status.UNMET.label),
            (ProductNeed.Status.PLANNED, ProductNeed.Status.PLANNED.label),
            (ProductNeed.Status.MET, ProductNeed.Status.MET.label),
        )
    ]
    incentives = list(Incentive.objects.filter(customer=customer).order_by("-starts_on", "-pk"))
    for incentive in incentives:
        incentive.running = incentive.starts_on <= today <= incentive.ends_on
        incentive.can_end_early = incentive.starts_on <= today < incentive.ends_on
    return {
        "plan": plan,
        "earlier_plans": plans[1:],
        "review_overdue": review_overdue,
        "plan_review_within_days": PLAN_REVIEW_WITHIN_DAYS,
        "needs_by_status": needs_by_status,
        "open_needs": sum(1 for n in needs if n.status != ProductNeed.Status.MET),
        "incentives_current": [i for i in incentives if i.ends_on >= today],
        "incentives_past": [i for i in incentives if i.ends_on < today],
        "today": today,
    }
