"""Where risk snapshots are kept: monthly partitions on PostgreSQL, and the retention that keeps
every night of the last 90 days and one snapshot a week (Mondays) before that."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Q

from accounts.models import RiskSnapshot
from accounts.risk import engine, storage
from accounts.tests.test_risk_engine import snapshot_fields
from accounts.tests.test_risk_factors import AS_OF, days_before, order
from keyaccounts.tests import factories as f
from plays.effect import risk_after
from plays.models import Play

# AS_OF is 2026-06-30: the nightly window runs from 2026-04-01; January to March are old months.
KEEP_FROM = AS_OF - timedelta(days=storage.NIGHTLY_DAYS)
FIRST = date(2026, 1, 1)


def _on(day: date) -> Q:
    return Q(as_of=day)


def partition_of(snapshot_filter) -> set[str]:
    ids = list(RiskSnapshot.objects.filter(snapshot_filter).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tableoid::regclass::text FROM accounts_risksnapshot WHERE id = ANY(%s)", [ids])
        return {name for (name,) in cursor.fetchall()}


def default_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {storage.DEFAULT_PARTITION}")
        return cursor.fetchone()[0]


@pytest.fixture
def book(alice):
    customers = []
    for i in range(4):
        c = f.CustomerFactory(owner=alice)
        for month in range(1, 13):
            order(c, days_before(30 * month), amount=1000 * (i + 1))
        customers.append(c)
    return customers


@pytest.fixture
def daily(db):
    """Two customers with a snapshot every day from 1 January to AS_OF (181 days each)."""
    version = engine.active_model_version()
    customers = [f.CustomerFactory(), f.CustomerFactory()]
    storage.ensure_snapshot_partitions(FIRST, AS_OF)
    days = [FIRST + timedelta(days=i) for i in range((AS_OF - FIRST).days + 1)]
    RiskSnapshot.objects.bulk_create(
        RiskSnapshot(
            customer=c,
            as_of=day,
            model_version=version,
            score=float(i % 100),
            computed_band="amber",
            band="amber",
            completeness=0.9,
        )
        for c in customers
        for i, day in enumerate(days)
    )
    return customers, days


# Partitions (PostgreSQL) --------------------------------------------------------------------


@pytest.mark.needs_postgres
@pytest.mark.django_db
def test_the_table_is_partitioned_by_month_on_as_of_with_a_default_partition(postgres_only):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.partstrat, a.attname FROM pg_partitioned_table p "
            "JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0] "
            "WHERE p.partrelid = 'accounts_risksnapshot'::regclass"
        )
        assert cursor.fetchall() == [("r", "as_of")]
        cursor.execute("SELECT pg_get_serial_sequence('accounts_risksnapshot', 'id')")
        assert cursor.fetchone()[0] == "public.accounts_risksnapshot_id_seq"
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'accounts_risksnapshot'::regclass ORDER BY conname"
        )
        names = [name for (name,) in cursor.fetchall()]
    assert "risksnapshot_one_per_day" in names and "accounts_risksnapshot_pkey" in names
    assert {"risksnapshot_score_range", "risksnapshot_completeness_range", "risksnapshot_band_valid"} <= set(names)
    assert sum(name.endswith("_fk_accounts_") for name in names) == 2
    assert default_rows() == 0
    assert storage.month_partitions()  # this month and the next at least


@pytest.mark.needs_postgres
def test_a_nights_snapshots_land_in_their_months_partition_and_rewrite_identically(postgres_only, book):
    engine.risk_recompute(as_of=AS_OF)  # June 2026's partition is made first if missing
    assert partition_of(_on(AS_OF)) == {"accounts_risksnapshot_y2026m06"}
    assert default_rows() == 0
    first = sorted((snapshot_fields(s) for s in RiskSnapshot.objects.all()), key=lambda s: s["customer"])
    engine.risk_recompute(as_of=AS_OF)  # a date scored again: the merge (ON CONFLICT) path
    again = sorted((snapshot_fields(s) for s in RiskSnapshot.objects.all()), key=lambda s: s["customer"])
    assert again == first and len(first) == 4


@pytest.mark.needs_postgres
def test_the_planner_knows_a_nights_snapshots_as_soon_as_they_are_written(postgres_only, book):
    """Without fresh statistics the planner takes a new date for about one snapshot and joins the
    night's snapshots by nested loop (the summaries ran for minutes at 300,000 customers)."""
    engine.risk_recompute(as_of=AS_OF)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'accounts_risksnapshot_y2026m06'")
        assert cursor.fetchone()[0] == 4
        cursor.execute("EXPLAIN (FORMAT JSON) SELECT * FROM accounts_risksnapshot WHERE as_of = %s", [AS_OF])
        assert cursor.fetchone()[0][0]["Plan"]["Plan Rows"] == 4


@pytest.mark.needs_postgres
def test_rows_parked_in_the_default_partition_move_when_their_month_is_made(postgres_only, db):
    parked = f.RiskSnapshotFactory(as_of=date(2025, 3, 15))  # no partition for March 2025 yet
    assert partition_of(_on(parked.as_of)) == {storage.DEFAULT_PARTITION}

    assert storage.ensure_snapshot_partitions(date(2025, 3, 1), date(2025, 4, 30)) == [
        "accounts_risksnapshot_y2025m03",
        "accounts_risksnapshot_y2025m04",
    ]
    assert partition_of(_on(parked.as_of)) == {"accounts_risksnapshot_y2025m03"}
    assert default_rows() == 0
    assert RiskSnapshot.objects.get().pk == parked.pk
    assert storage.ensure_snapshot_partitions(date(2025, 3, 20)) == []  # there already: nothing to do


# Retention (both databases) ----------------------------------------------------------------


def test_retention_keeps_every_night_of_90_days_and_mondays_before(daily):
    customers, days = daily
    results = storage.snapshot_retention(as_of=AS_OF)

    assert [r.month for r in results] == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    kept = set(RiskSnapshot.objects.filter(customer=customers[0]).values_list("as_of", flat=True))
    expected = {d for d in days if d >= date(2026, 4, 1) or d.weekday() == storage.KEPT_WEEKDAY}
    assert kept == expected
    assert all(d in kept for d in days if d >= KEEP_FROM)
    mondays = sum(1 for d in days if d < date(2026, 4, 1) and d.weekday() == 0)
    assert sum(r.kept for r in results) == 2 * mondays
    assert sum(r.dropped for r in results) == 2 * (90 - mondays)  # Jan–Mar 2026: 90 days
    if connection.vendor == "postgresql":
        names = storage.month_partitions()
        assert names[date(2026, 1, 1)].endswith("_weekly") and not names[date(2026, 4, 1)].endswith("_weekly")

    # Once is enough: a second run finds nothing to do and changes nothing.
    again = storage.snapshot_retention(as_of=AS_OF)
    assert sum(r.dropped for r in again) == 0
    assert set(RiskSnapshot.objects.filter(customer=customers[0]).values_list("as_of", flat=True)) == kept
    if connection.vendor == "postgresql":
        assert all(r.compacted_before for r in again)


def test_a_month_not_yet_wholly_older_than_90_days_is_left_whole(daily):
    # On 2026-06-29 the window starts on 2026-03-31: March is not wholly outside it yet.
    results = storage.snapshot_retention(as_of=AS_OF - timedelta(days=1))
    assert [r.month for r in results] == [date(2026, 1, 1), date(2026, 2, 1)]
    assert RiskSnapshot.objects.filter(as_of__month=3, as_of__year=2026).count() == 2 * 31


def test_the_dry_run_changes_nothing_and_says_what_it_would_do(daily):
    before = RiskSnapshot.objects.count()
    out = StringIO()
    call_command("snapshot_retention", "--dry-run", "--as-of", AS_OF.isoformat(), stdout=out)
    assert RiskSnapshot.objects.count() == before
    text = out.getvalue()
    assert "Dry run" in text and "2026-01: would keep 8 snapshots and drop 54." in text
    if connection.vendor == "postgresql":
        assert not any(name.endswith("_weekly") for name in storage.month_partitions().values())

    out = StringIO()
    call_command("snapshot_retention", "--as-of", AS_OF.isoformat(), stdout=out)
    assert "2026-01: kept 8 snapshots, dropped 54." in out.getvalue()


def test_a_plays_effect_90_days_after_still_has_a_figure_after_compaction(daily, alice):
    customers, _days = daily
    play = f.PlayFactory(
        customer=customers[0],
        opened_on=date(2025, 12, 20),
        due_on=date(2026, 1, 10),
        status=Play.Status.DONE,
        closed_on=date(2026, 1, 10),
        closed_by=alice,
        outcome="Met the general manager",
        score_at_open=60.0,
        band_at_open="red",
    )
    before = {later.days: later.score for later in risk_after(play, today=AS_OF)}
    storage.snapshot_retention(as_of=AS_OF)
    after = {later.days: later for later in risk_after(play, today=AS_OF)}

    # 30 days after (9 February, a Monday) is kept as it was; 90 days after (10 April) is in the
    # nightly window. The latest snapshot on or before the day is read in both cases.
    assert after[30].score == before[30] and after[90].score == before[90]
    # A play closed on 14 January reads 13 February's figure: Monday 9 February is the kept one.
    play.closed_on = date(2026, 1, 14)
    play.save()
    later_30 = next(later for later in risk_after(play, today=AS_OF) if later.days == 30)
    nine_feb = RiskSnapshot.objects.get(customer=customers[0], as_of=date(2026, 2, 9))
    assert later_30.measured and later_30.score == nine_feb.score


def test_the_nightly_write_after_compaction_still_works(daily, book):
    storage.snapshot_retention(as_of=AS_OF)
    scored = engine.risk_recompute(as_of=AS_OF).customers_scored
    assert scored >= 4 and RiskSnapshot.objects.filter(as_of=AS_OF).count() == scored
    # A date in a compacted month can still be scored (a backfill): the rows go to its partition.
    scored = engine.risk_recompute(as_of=date(2026, 1, 5)).customers_scored
    assert scored >= 4 and RiskSnapshot.objects.filter(as_of=date(2026, 1, 5)).count() == scored


def test_the_nights_jobs_end_with_the_retention(daily):
    from accounts import nightly

    result = nightly.nightly_jobs(as_of=AS_OF)
    assert result.outcome == "succeeded"
    assert not RiskSnapshot.objects.filter(as_of=date(2026, 1, 6)).exists()  # a Tuesday of an old month
    assert RiskSnapshot.objects.filter(as_of=date(2026, 1, 5)).count() == 2  # its Monday
    assert RiskSnapshot.objects.filter(as_of=date(2026, 4, 1)).count() == 2  # inside the 90 nights
