"""Where risk snapshots are kept, and for how long: monthly partitions and retention.

On PostgreSQL ``accounts_risksnapshot`` is partitioned by month on ``as_of`` (migration
``accounts`` 0017): one partition per month, ``accounts_risksnapshot_yYYYYmMM``, and a default
partition under them that catches a row whose month has no partition yet. ``ensure_snapshot_partitions``
creates the months a write is about to need (one catalog query when they exist), moving any rows
of such a month out of the default partition first, in one transaction. Other databases keep one
plain table and these functions do nothing there.

Retention (``snapshot_retention``): every night of the last ``NIGHTLY_DAYS`` days is kept; a month
whose every day is older than that keeps one snapshot a week, the ``KEPT_WEEKDAY``'s (Monday, the
day the dashboard's weekly trends read). On PostgreSQL a month is compacted by building a new
table of the kept rows and swapping it in for the month's partition (detach, attach, drop), so no
deleted rows are left behind to bloat the table; the new partition's name ends in ``_weekly``, so
a compacted month is never done again. Other databases delete the same rows.

Stored ``factors`` and ``reasons`` are packed (``accounts.packing``, migration ``accounts`` 0019):
a row is a few hundred bytes and stays whole in its partition (column storage MAIN, inherited
from the parent table like the rest of its shape).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection, transaction

from accounts.models import RiskSnapshot

TABLE = RiskSnapshot._meta.db_table
DEFAULT_PARTITION = f"{TABLE}_default"
# Nights kept one by one; older months keep one snapshot a week.
NIGHTLY_DAYS = 90
KEPT_WEEKDAY = 0  # Monday (date.weekday()), accounts.portfolio.cells.TREND_WEEKDAY
COMPACTED_SUFFIX = "_weekly"
# pg_advisory_xact_lock key for partition changes (two writers never create the same month).
PARTITION_LOCK = 0x52534E50  # "RSNP"

_MONTH_NAME = re.compile(rf"^{TABLE}_y(\d{{4}})m(\d{{2}})({COMPACTED_SUFFIX})?$")


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def partition_name(month: date) -> str:
    return f"{TABLE}_y{month.year:04d}m{month.month:02d}"


def _partitioned() -> bool:
    return connection.vendor == "postgresql"


def month_partitions() -> dict[date, str]:
    """The month partitions there are (PostgreSQL): first day of the month → table name."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [TABLE],
        )
        names = [name for (name,) in cursor.fetchall()]
    months = {}
    for name in names:
        match = _MONTH_NAME.match(name)
        if match:
            months[date(int(match[1]), int(match[2]), 1)] = name
    return months


def _months(first_day: date, last_day: date) -> list[date]:
    months, month = [], month_start(first_day)
    while month <= last_day:
        months.append(month)
        month = next_month(month)
    return months


def _new_table_sql(name: str) -> str:
    """A stand-alone table shaped like the snapshots' (columns, defaults, checks, compression)."""
    return (
        f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
        f"INCLUDING COMPRESSION INCLUDING STORAGE)"
    )


def _bounds(month: date) -> str:
    return f"FOR VALUES FROM ('{month.isoformat()}') TO ('{next_month(month).isoformat()}')"


def ensure_snapshot_partitions(first_day: date, last_day: date | None = None) -> list[str]:
    """Create the month partitions from ``first_day``'s month to ``last_day``'s that are missing
    (PostgreSQL; nothing elsewhere), each with the rows of its month moved out of the default
    partition, in one transaction. Returns the names created."""
    if not _partitioned():
        return []
    wanted = _months(first_day, last_day or first_day)
    existing = month_partitions()
    missing = [month for month in wanted if month not in existing]
    if not missing:
        return []
    created = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PARTITION_LOCK])
        existing = month_partitions()  # another writer may have made them meanwhile
        for month in missing:
            if month in existing:
                continue
            name = partition_name(month)
            cursor.execute(_new_table_sql(name))
            cursor.execute(
                f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE as_of >= %s AND as_of < %s RETURNING *) "
                f"INSERT INTO {name} SELECT * FROM moved",
                [month, next_month(month)],
            )
            cursor.execute(f"ALTER TABLE {TABLE} ATTACH PARTITION {name} {_bounds(month)}")
            created.append(name)
    return created


# Retention ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthRetention:
    """What retention does to one month: snapshots kept and dropped; done before means nothing to do."""

    month: date
    kept: int
    dropped: int
    compacted_before: bool = False


def compactable_months(as_of: date) -> list[date]:
    """First days of the months whose every day is more than NIGHTLY_DAYS days before ``as_of``."""
    keep_from = as_of - timedelta(days=NIGHTLY_DAYS)
    oldest = RiskSnapshot.objects.order_by("as_of").values_list("as_of", flat=True).first()
    if oldest is None:
        return []
    return [month for month in _months(oldest, keep_from) if next_month(month) <= keep_from]


def _kept_weekday_sql() -> str:
    # ISO day of week: Monday 1 … Sunday 7.
    return f"EXTRACT(ISODOW FROM as_of) = {KEPT_WEEKDAY + 1}"


def _counts(month: date) -> tuple[int, int]:
    """(kept, dropped) snapshots of the month under the weekly rule."""
    rows = RiskSnapshot.objects.filter(as_of__gte=month, as_of__lt=next_month(month))
    kept_days = {day for day in _month_days(month) if day.weekday() == KEPT_WEEKDAY}
    total = rows.count()
    kept = rows.filter(as_of__in=kept_days).count()
    return kept, total - kept


def _month_days(month: date) -> list[date]:
    end = next_month(month)
    return [month + timedelta(days=i) for i in range((end - month).days)]


def snapshot_retention(*, as_of: date, dry_run: bool = False) -> list[MonthRetention]:
    """Apply the retention rule as of ``as_of``: each month wholly older than NIGHTLY_DAYS days
    keeps only its KEPT_WEEKDAY snapshots. Returns what was (or, with ``dry_run``, would be) kept
    and dropped per month; idempotent."""
    months = compactable_months(as_of)
    compacted = set()
    if _partitioned():
        if months and not dry_run:
            ensure_snapshot_partitions(months[0], months[-1])
        compacted = {month for month, name in month_partitions().items() if name.endswith(COMPACTED_SUFFIX)}
    results = []
    for month in months:
        if month in compacted:
            results.append(MonthRetention(month, kept=0, dropped=0, compacted_before=True))
            continue
        kept, dropped = _counts(month)
        results.append(MonthRetention(month, kept=kept, dropped=dropped))
        if dry_run:
            continue
        if _partitioned():
            _compact_partition(month)
        elif dropped:
            kept_days = [day for day in _month_days(month) if day.weekday() == KEPT_WEEKDAY]
            RiskSnapshot.objects.filter(as_of__gte=month, as_of__lt=next_month(month)).exclude(
                as_of__in=kept_days
            ).delete()
    if not dry_run and _partitioned() and (as_of.weekday() == KEPT_WEEKDAY or any(r.dropped for r in results)):
        _analyze_parent()
    return results


def analyze_snapshot_month(day: date) -> None:
    """Fresh statistics for the partition holding ``day`` (PostgreSQL), right after a date's
    snapshots were written: until autovacuum gets to it, the planner believes a date it has not
    sampled has about one snapshot, and a join with a day's snapshots (the dashboard's summaries,
    the lists) turns into a nested loop that ran for over ten minutes at 300,000 customers instead
    of six seconds. Samples the month's rows, about a second; inside the writer's transaction its
    own new rows count."""
    if not _partitioned():
        return
    name = month_partitions().get(month_start(day))
    if name is None:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(name)}")


def _analyze_parent() -> None:
    """The partitioned table's own statistics, which autovacuum never gathers (it analyzes the
    partitions only): without them a join over the whole table is planned from guesses. Weekly,
    and after a month was compacted; a sample of the rows, a second or two at 100,000 customers."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {RiskSnapshot._meta.db_table}")


def _compact_partition(month: date) -> None:
    """Swap the month's partition for a new table of its kept rows (PostgreSQL), in one transaction."""
    old = partition_name(month)
    new = old + COMPACTED_SUFFIX
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PARTITION_LOCK])
        # Readers go on reading the old rows; a write into the month waits until the swap is done.
        cursor.execute(f"LOCK TABLE {old} IN EXCLUSIVE MODE")
        # Foreign keys checked at commit would still hold events on the old table (rows written
        # earlier in the same transaction), and a table with pending checks cannot be dropped:
        # check them now, and the copied rows as they are written.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(_new_table_sql(new))
        cursor.execute(f"INSERT INTO {new} SELECT * FROM {old} WHERE {_kept_weekday_sql()} ORDER BY customer_id, as_of")
        cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {old}")
        cursor.execute(f"ALTER TABLE {TABLE} ATTACH PARTITION {new} {_bounds(month)}")
        cursor.execute(f"DROP TABLE {old}")
        # Back to the foreign keys' own timing (Django's are all deferred to the commit).
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
