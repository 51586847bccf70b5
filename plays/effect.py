"""What closed plays did: each one's risk 30 and 90 days after it closed, and per playbook the
share of accounts whose band improved and the churn rate after it ("which countermeasures work").

A play's risk *after* is the customer's latest snapshot on or before its closing date plus 30 (or
90) days, and after the closing date; a play closed too recently to have one is left out of that
horizon's figures rather than counted as unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Case, DateField, ExpressionWrapper, OuterRef, Q, Subquery, When

from accounts.models import CustomerStatus, RiskBand, RiskSnapshot
from keyaccounts.clock import business_today

from .models import Play, Playbook

BAND_RANK = {"green": 0, "amber": 1, "red": 2}
HORIZONS = (30, 90)


def after_closing(days: int, field: str, today: date):
    """The play's customer's ``field`` ``days`` after closing; None while those days have not passed."""
    # The closing date is the play's (the outer query's), not the snapshot's.
    until = ExpressionWrapper(OuterRef("closed_on") + timedelta(days=days), output_field=DateField())
    later = RiskSnapshot.objects.filter(
        customer=OuterRef("customer"), as_of__gt=OuterRef("closed_on"), as_of__lte=until
    ).order_by("-as_of", "-pk")
    return Case(When(Q(closed_on__lte=today - timedelta(days=days)), then=Subquery(later.values(field)[:1])))


def closed_plays_with_effect(plays=None, *, today=None):
    """Closed plays annotated with their score and band 30 and 90 days after closing (None for a
    horizon that has not passed yet on ``today``)."""
    today = today or business_today()
    plays = (plays if plays is not None else Play.objects.all()).filter(status=Play.Status.DONE)
    return plays.annotate(
        score_30=after_closing(30, "score", today),
        band_30=after_closing(30, "band", today),
        score_90=after_closing(90, "score", today),
        band_90=after_closing(90, "band", today),
    )


@dataclass(frozen=True)
class Later:
    """A done play's risk some days after it closed; no score when no snapshot is there yet."""

    days: int
    due_on: date
    score: float | None
    band: str
    change: float | None  # points since the play opened

    @property
    def measured(self) -> bool:
        return self.score is not None

    @property
    def band_label(self) -> str:
        return RiskBand(self.band).label if self.band in RiskBand.values else ""


def risk_after(play: Play, *, today: date) -> list[Later]:
    """A done play's risk 30 and 90 days after it closed (one query); nothing for other plays. A
    horizon not reached by ``today`` has no score yet, whatever the latest snapshot says."""
    if play.status != Play.Status.DONE or play.closed_on is None:
        return []
    row = closed_plays_with_effect(Play.objects.filter(pk=play.pk), today=today).values(
        "score_30", "band_30", "score_90", "band_90"
    )[0]
    later = []
    for days in HORIZONS:
        due_on = play.closed_on + timedelta(days=days)
        score = row[f"score_{days}"] if due_on <= today else None
        change = score - play.score_at_open if score is not None and play.score_at_open is not None else None
        band = row[f"band_{days}"] or "" if score is not None else ""
        later.append(Later(days, due_on, score, band, change))
    return later


@dataclass
class PlaybookEffect:
    playbook: Playbook | None
    closed: int = 0
    measured: int = 0  # closed plays with a snapshot 30 days on
    improved: int = 0
    churned: int = 0
    scored: int = 0  # measured plays with a score when opened and 30 days on
    score_change: float = 0.0  # sum of the score changes at 30 days, points

    @property
    def improved_share(self) -> float | None:
        return self.improved / self.measured if self.measured else None

    @property
    def churn_rate(self) -> float | None:
        return self.churned / self.closed if self.closed else None

    @property
    def mean_score_change(self) -> float | None:
        return self.score_change / self.scored if self.scored else None


def playbook_effects(plays=None, *, today=None) -> list[PlaybookEffect]:
    """Per playbook (hand-opened plays together), over the done plays of ``plays`` (visible ones)."""
    rows = closed_plays_with_effect(plays, today=today).values_list(
        "playbook_id",
        "band_at_open",
        "score_at_open",
        "band_30",
        "score_30",
        "customer__status",
        "customer__churned_on",
        "closed_on",
    )
    by_playbook: dict[int | None, PlaybookEffect] = {}
    for playbook_id, band_open, score_open, band_30, score_30, status, churned_on, closed_on in rows.iterator(
        chunk_size=5000
    ):
        effect = by_playbook.setdefault(playbook_id, PlaybookEffect(None))
        effect.closed += 1
        if status == CustomerStatus.CHURNED and churned_on and churned_on > closed_on:
            effect.churned += 1
        if band_30 and band_open in BAND_RANK and band_30 in BAND_RANK:
            effect.measured += 1
            effect.improved += BAND_RANK[band_30] < BAND_RANK[band_open]
            if score_open is not None and score_30 is not None:
                effect.scored += 1
                effect.score_change += score_30 - score_open
    names = Playbook.objects.in_bulk([pk for pk in by_playbook if pk is not None])
    for pk, effect in by_playbook.items():
        effect.playbook = names.get(pk)
    return sorted(by_playbook.values(), key=lambda e: (-e.closed, e.playbook is None))
