"""Which countermeasures work: per playbook, what the plays done in the last 12 months did to the
risk, aggregated in the database in one query (the executive dashboard's "Effect of plays").

Per playbook (plays opened by hand without one together): how many plays were done; of those
*measured* at 30 days (a band when opened and a snapshot within 30 days after closing), the share
whose band improved (red → amber or green, amber → green); the mean score change over those with
a score at both ends (points, negative is less risk); of those measured at 90 days, the share whose
band is still better than when the play opened; and the share of the plays whose customer churned
after the play closed. A play's risk *after N days* is the customer's latest snapshot after the
closing day and on or before it plus N days, as in `plays.effect`; a play closed less than N days
ago is left out of that horizon's shares rather than read from a snapshot taken too early.

One statement on SQLite and PostgreSQL: the plays with their three correlated snapshot subqueries
(served by the snapshots' (customer, as_of) index) as a derived table, grouped by playbook and
joined to its names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection
from django.db.models import Case, F, IntegerField, Value, When

from accounts.models import CustomerStatus

from .effect import after_closing
from .models import Play, Playbook, localized

# The window: plays done within this many days before the day.
WINDOW_DAYS = 365


@dataclass(frozen=True)
class PlaybookEffectRow:
    playbook_id: int | None
    name: str
    name_zh: str
    countermeasure: int | None
    done: int
    measured: int
    improved: int
    mean_score_change: float | None
    measured_90: int
    improved_90: int
    churned: int

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_zh)

    @property
    def improved_share(self) -> float | None:
        return self.improved / self.measured if self.measured else None

    @property
    def improved_share_90(self) -> float | None:
        return self.improved_90 / self.measured_90 if self.measured_90 else None

    @property
    def churn_rate(self) -> float | None:
        return self.churned / self.done if self.done else None

    # Percentages for the page (whole numbers).
    @property
    def improved_pct(self) -> int | None:
        return _pct(self.improved_share)

    @property
    def improved_90_pct(self) -> int | None:
        return _pct(self.improved_share_90)

    @property
    def churn_pct(self) -> int | None:
        return _pct(self.churn_rate)


def _pct(share: float | None) -> int | None:
    return None if share is None else round(share * 100)


def _rank(column: str) -> str:
    return f"(CASE {column} WHEN 'green' THEN 0 WHEN 'amber' THEN 1 WHEN 'red' THEN 2 END)"


def play_effect_summary(*, today: date, plays=None) -> list[PlaybookEffectRow]:
    """The table's rows, most plays done first: one query."""
    plays = plays if plays is not None else Play.objects.all()
    since = today - timedelta(days=WINDOW_DAYS)
    inner = (
        plays.filter(status=Play.Status.DONE, closed_on__gt=since, closed_on__lte=today)
        .annotate(
            after_30=after_closing(30, ("band", "score"), today, closed_after=since),
            band_90=after_closing(90, "band", today, closed_after=since),
            churned_after=Case(
                When(customer__status=CustomerStatus.CHURNED, customer__churned_on__gt=F("closed_on"), then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .values("playbook_id", "band_at_open", "score_at_open", "after_30", "band_90", "churned_after")
        .order_by()
    )
    inner_sql, params = inner.query.sql_with_params()
    opened, at_30, at_90 = _rank("x.band_at_open"), _rank("x.band_30"), _rank("x.band_90")
    measured = f"{opened} IS NOT NULL AND {at_30} IS NOT NULL"
    measured_90 = f"{opened} IS NOT NULL AND {at_90} IS NOT NULL"
    playbooks = connection.ops.quote_name(Playbook._meta.db_table)
    # The plays with their snapshots after closing, looked up once (two look-ups a play: the band
    # and score at 30 days together). Inlined into the select, each of the eight uses of a
    # horizon's band or score ran its look-up again: at 100,000 customers 60,000 look-ups, 460 ms.
    if connection.vendor == "postgresql":
        materialized = "MATERIALIZED "
        band_30, score_30 = "p.after_30 ->> 'band'", "(p.after_30 ->> 'score')::double precision"
    else:
        materialized = ""
        band_30, score_30 = "json_extract(p.after_30, '$.band')", "json_extract(p.after_30, '$.score')"
    sql = (
        f"WITH p AS {materialized}({inner_sql}), "
        f"x AS (SELECT p.playbook_id, p.band_at_open, p.score_at_open, {band_30} AS band_30, "
        f"{score_30} AS score_30, p.band_90, p.churned_after FROM p) "
        "SELECT x.playbook_id, pb.name, pb.name_zh, pb.countermeasure, COUNT(*), "
        f"SUM(CASE WHEN {measured} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {measured} AND {at_30} < {opened} THEN 1 ELSE 0 END), "
        f"AVG(CASE WHEN {measured} THEN x.score_30 - x.score_at_open END), "
        f"SUM(CASE WHEN {measured_90} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {measured_90} AND {at_90} < {opened} THEN 1 ELSE 0 END), "
        "SUM(x.churned_after) "
        f"FROM x LEFT JOIN {playbooks} pb ON pb.id = x.playbook_id "
        "GROUP BY x.playbook_id, pb.name, pb.name_zh, pb.countermeasure "
        "ORDER BY COUNT(*) DESC, pb.name"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        PlaybookEffectRow(
            playbook_id=pk,
            name=name or "",
            name_zh=name_zh or "",
            countermeasure=countermeasure,
            done=int(done),
            measured=int(measured or 0),
            improved=int(improved or 0),
            mean_score_change=float(change) if change is not None else None,
            measured_90=int(m90 or 0),
            improved_90=int(i90 or 0),
            churned=int(churned or 0),
        )
        for pk, name, name_zh, countermeasure, done, measured, improved, change, m90, i90, churned in rows
    ]
