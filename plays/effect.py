"""What closed plays did: each one's risk 30 and 90 days after it closed (a play's page). Per
playbook, "which countermeasures work", is ``effect_summary``, built on the same expression.

A play's risk *after* is the customer's latest snapshot on or before its closing date plus 30 (or
90) days, and after the closing date; a play closed too recently to have one is left out of that
horizon's figures rather than counted as unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Case, DateField, ExpressionWrapper, F, OuterRef, Q, Subquery, When
from django.db.models.functions import JSONObject

from accounts.models import RiskBand, RiskSnapshot
from keyaccounts.clock import business_today

from .models import Play

HORIZONS = (30, 90)


def after_closing(days: int, field: str | tuple[str, ...], today: date, *, closed_after: date | None = None):
    """The play's customer's ``field`` ``days`` after closing; None while those days have not passed.

    ``field`` may be several fields: one look-up then reads them together, as a JSON object keyed
    by their names. ``closed_after``, a day before every closing of the plays asked about, leaves
    the snapshot partitions before it out of the plan, instead of each look-up passing over them."""
    # The closing date is the play's (the outer query's), not the snapshot's.
    until = ExpressionWrapper(OuterRef("closed_on") + timedelta(days=days), output_field=DateField())
    # One snapshot per customer and day: the latest day is the latest snapshot.
    later = RiskSnapshot.objects.filter(
        customer=OuterRef("customer"), as_of__gt=OuterRef("closed_on"), as_of__lte=until
    ).order_by("-as_of")
    if closed_after is not None:
        later = later.filter(as_of__gt=closed_after, as_of__lte=today)
    if isinstance(field, tuple):
        later, field = later.annotate(read=JSONObject(**{name: F(name) for name in field})), "read"
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
