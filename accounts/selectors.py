"""Reads: what a user may see, shaped for pages. Writes live in services."""

from datetime import timedelta

from django.db.models import OuterRef, Q, QuerySet, Subquery

from .models import Alert, Customer, RiskOverride, RiskSnapshot
from .risk.defaults import FACTORS
from .risk.reasons import FACTOR_LABELS, TRIPWIRE_LABELS, render_action, render_countermeasure, render_reason
from .roles import is_admin, is_executive


def customer_list(*, user, search: str = "") -> QuerySet[Customer]:
    """The user's visible customers with their latest risk band and score, in one query."""
    latest = RiskSnapshot.objects.filter(customer=OuterRef("pk")).order_by("-as_of")
    customers = (
        Customer.objects.visible_to(user)
        .select_related("owner", "backup_owner")
        .annotate(
            latest_band=Subquery(latest.values("band")[:1]),
            latest_score=Subquery(latest.values("score")[:1]),
        )
    )
    if search:
        customers = customers.filter(Q(name__icontains=search) | Q(code__iexact=search))
    return customers.order_by("-revenue_12m", "name")


def _contributions(snapshot: RiskSnapshot | None) -> dict[str, float]:
    """Each factor's points of the total score: wᵢ·rᵢ / Σw over the factors with data."""
    if snapshot is None:
        return {}
    present = {k: v for k, v in snapshot.factors.items() if v.get("risk") is not None and v.get("weight")}
    total_weight = sum(v["weight"] for v in present.values())
    return {k: v["weight"] * v["risk"] / total_weight for k, v in present.items()} if total_weight else {}


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
    # A band set by hand shows at once, not only from the next nightly snapshot.
    display_band = override.band if override is not None else (latest.band if latest else None)
    return {
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
        "override": override,
        "series": [{"day": s.as_of.isoformat(), "score": s.score} for s in reversed(history)],
    }


def alerts_for(*, user, limit: int = 10):
    """Open alerts addressed to the user (executives and admins: every visible one)."""

    alerts = Alert.objects.open().visible_to(user).select_related("customer")
    if not (is_admin(user) or is_executive(user)):
        alerts = alerts.filter(recipients=user)
    return alerts.order_by("-as_of", "-id")[:limit]


def customer_criteria(*, customer: Customer) -> dict:
    """The purchase-criteria section of the customer 360 page."""
    return {}


def customer_strategy(*, customer: Customer) -> dict:
    """The strategy section of the customer 360 page: plan, needs, incentives."""
    return {}
