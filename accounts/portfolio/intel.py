"""Competitor activity this month, for the executive dashboard: per competitor, the intelligence
entries noted since the first of the month, by kind (one grouped query, whatever the book's size)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count

from keyaccounts.clock import business_today

from ..models import CompetitorIntel

# The most active competitors shown; the rest are summed in one line.
COMPETITORS_SHOWN = 10


@dataclass
class CompetitorActivity:
    """One competitor's entries this month: per kind (in the order of the kinds) and in all."""

    competitor_id: int | None
    name: str
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    def cells(self) -> list[tuple[str, int]]:
        """(kind's label, entries) in the order of the kinds: the table's cells."""
        return [(label, self.by_kind.get(kind, 0)) for kind, label in CompetitorIntel.Kind.choices]


def competitor_activity(*, today: date | None = None) -> dict:
    """Entries noted from the first of ``today``'s month to ``today``, per competitor and kind, the
    most active competitors first (ties by name); beyond `COMPETITORS_SHOWN` summed as "others"."""
    today = today or business_today()
    start = today.replace(day=1)
    rows = (
        CompetitorIntel.objects.filter(noted_on__gte=start, noted_on__lte=today)
        .order_by()
        .values("competitor_id", "competitor__name", "kind")
        .annotate(entries=Count("pk"))
    )
    by_competitor: dict[int, CompetitorActivity] = {}
    for row in rows:
        activity = by_competitor.setdefault(
            row["competitor_id"], CompetitorActivity(row["competitor_id"], row["competitor__name"])
        )
        activity.by_kind[row["kind"]] = row["entries"]
    ranked = sorted(by_competitor.values(), key=lambda a: (-a.total, a.name))
    shown, rest = ranked[:COMPETITORS_SHOWN], ranked[COMPETITORS_SHOWN:]
    others = None
    if rest:
        others = CompetitorActivity(None, "")
        for activity in rest:
            for kind, entries in activity.by_kind.items():
                others.by_kind[kind] = others.by_kind.get(kind, 0) + entries
    totals = CompetitorActivity(None, "")
    for activity in ranked:
        for kind, entries in activity.by_kind.items():
            totals.by_kind[kind] = totals.by_kind.get(kind, 0) + entries
    return {
        "start": start,
        "end": today,
        "kinds": CompetitorIntel.Kind.choices,
        "rows": shown,
        "others": others,
        "others_count": len(rest),
        "totals": totals,
    }
