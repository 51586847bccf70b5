"""How a whole book is scored fast: nothing here decides a score, everything here decides how long it takes.

- Reading: on PostgreSQL all loaders read one REPEATABLE READ snapshot, for a large book exported
  and shared by several connections at once (``read_in_one_snapshot``; ``read_all`` for any
  list of reads, such as the dashboard summaries').
- Scoring: Python's cyclic garbage collector is paused while a book is loaded and scored
  (``without_cycle_collection``); a large book's scoring is shared out in chunks to the Celery
  worker processes that are free (``chunks``).
- Writing: snapshots go to PostgreSQL as COPY text written for this one table
  (``snapshot_copy_rows``), straight in for a date scored the first time, merged for a date
  scored again (``copy_snapshots``); elsewhere in bulk (``upsert_snapshots``). A write can run
  on a connection of its own, taking chunks while the next ones are made (``writing_behind``).

Every path stores the same snapshots: the tests compare them.
"""

import gc
import os
import queue
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import orjson
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import RiskSnapshot
from accounts.packing import pack
from accounts.standing import refresh_after_snapshot
from keyaccounts.bulk import copy_insert, copy_rows, copy_text, copy_upsert, upsert
from keyaccounts.bulk import fields as bulk_fields

from .storage import analyze_snapshot_month, ensure_snapshot_partitions

# Reading ------------------------------------------------------------------------------------

# Above this many customers on PostgreSQL the loaders run over several connections at once, all
# reading one exported snapshot; below it one connection is as quick and cheaper to open.
PARALLEL_READ_MIN_CUSTOMERS = 20_000


def read_connections() -> int:
    """How many connections read a large book at once: one per core plus one, two to four.

    Loading is spent partly in the database server and partly in Python turning rows into
    values, one thread at a time: with a connection more than there are cores, the server's
    processes keep every core busy while Python works through another connection's rows.
    """
    return max(2, min((os.cpu_count() or 1) + 1, 4))


def read_in_one_snapshot(
    *,
    load_customers: Callable[[], dict],
    jobs: Callable[[dict, threading.Event | None], list[Callable[[], None]]],
    expected: int | None,
) -> dict:
    """The customers' records, filled by the loading jobs, all reading the database at one moment.

    ``load_customers()`` returns the records by customer id; ``jobs(data, customers_read)`` the
    loading jobs that file their rows on them, longest first. ``expected`` is how many customers
    the scope was narrowed to, if it was.

    On PostgreSQL, outside a transaction, everything is read in one read-only REPEATABLE READ
    transaction. For the whole book (or at least ``PARALLEL_READ_MIN_CUSTOMERS``) that snapshot is
    exported and the jobs share it over several connections (``read_connections``); the first
    job starts while the customers are still being read, and is given an event set once they are
    in (``customers_read``), elsewhere None.
    """
    with _one_snapshot() as snapshot_id:
        if snapshot_id is None or (expected is not None and expected < PARALLEL_READ_MIN_CUSTOMERS):
            data = load_customers()
            if data:
                for job in jobs(data, None):
                    job()
            return data

        data: dict = {}
        customers_read = threading.Event()

        def customers() -> None:
            try:
                data.update(load_customers())
            finally:
                customers_read.set()

        # The customers and the first loader start at once (the first loader files its rows only
        # once the customers are there). With more than two connections a later job can be taken
        # while the customers are still being read: each waits for them too.
        def after_customers(job: Callable[[], None]) -> Callable[[], None]:
            def run() -> None:
                customers_read.wait()
                if data:  # none when the customers could not be read (that error is raised)
                    job()

            return run

        first, *later = jobs(data, customers_read)
        run_on_connections(
            [customers, first, *(after_customers(job) for job in later)], snapshot_id, read_connections()
        )
    return data


def read_all(jobs: list[Callable[[], Any]]) -> list:
    """Each job's result, in the order of the jobs, all of them reading the database at one moment.

    On PostgreSQL, outside a transaction, the jobs share one exported REPEATABLE READ snapshot
    over several connections at once (``read_connections``), taken in the order given (put the
    longest first); elsewhere they run one after another on this connection, in the caller's
    transaction if there is one.
    """
    results: list = [None] * len(jobs)

    def keep(index: int, job: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            results[index] = job()

        return run

    with _one_snapshot() as snapshot_id:
        if snapshot_id is None or len(jobs) < 2:
            return [job() for job in jobs]
        run_on_connections(
            [keep(index, job) for index, job in enumerate(jobs)], snapshot_id, min(read_connections(), len(jobs))
        )
    return results


@contextmanager
def _one_snapshot():
    """A read-only REPEATABLE READ transaction whose snapshot is exported; yields its id.

    Yields None, and opens nothing, inside a caller's transaction (whose uncommitted rows other
    connections could not see) or on a database other than PostgreSQL.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield None
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot_id = cursor.fetchone()[0]
        yield snapshot_id


_NO_PARALLEL_WORKERS = "SET LOCAL max_parallel_workers_per_gather = 0"


def run_on_connections(jobs: list[Callable[[], None]], snapshot_id: str, connections: int) -> None:
    """Run the jobs on this thread's connection and ``connections - 1`` more, all in one snapshot.

    Each helper thread opens its own connection, imports the snapshot and takes the next job
    until none is left. The loaders file their rows on different fields of the customers'
    records, so they never write the same thing. The first error is raised once all have stopped.
    """
    pending = deque(jobs)
    errors: list[BaseException] = []

    def work() -> None:
        while not errors:
            try:
                job = pending.popleft()
            except IndexError:
                return
            try:
                job()
            except BaseException as error:  # re-raised in the calling thread
                errors.append(error)

    def helper() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot_id])
                cursor.execute(_NO_PARALLEL_WORKERS)
                work()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    with connection.cursor() as cursor:
        cursor.execute(_NO_PARALLEL_WORKERS)
    threads = [threading.Thread(target=helper, name=f"risk-read-{n}") for n in range(1, connections)]
    for thread in threads:
        thread.start()
    work()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


# Scoring ------------------------------------------------------------------------------------


@contextmanager
def without_cycle_collection():
    """Pause Python's cyclic garbage collector while a whole book is loaded and scored.

    A run builds millions of small objects (signal rows, factor results, snapshot values) and
    frees almost none of them until the end, so the collector, which runs every few hundred
    new objects, walks the ever larger heap again and again: half of the scoring time at
    100,000 customers. Those objects hold no reference cycles; reference counting frees them as
    usual, and collection resumes afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


ScoreChunk = Callable[[list], list[dict]]


def scored_batches(items: list, score_chunk: ScoreChunk, *, batch_size: int) -> Iterator[tuple[int, Counter, bytes]]:
    """(count, bands, COPY text) per batch of customers, scored one batch at a time, so that the
    server loads one batch while the next is scored. ``score_chunk(items)`` returns the snapshots
    of a batch as field values. A large book is scored in chunks by worker processes instead
    (``chunks``)."""
    for start in range(0, len(items), batch_size):
        yield score_to_copy(items[start : start + batch_size], score_chunk)


def score_to_copy(items: list, score_chunk: ScoreChunk) -> tuple[int, Counter, bytes]:
    snapshots = score_chunk(items)
    return len(snapshots), Counter(s["band"] for s in snapshots), snapshot_copy_rows(snapshots)


# Writing ------------------------------------------------------------------------------------

# The snapshot's columns in COPY order, as ``keyaccounts.bulk.copy_rows`` writes them; checked
# against the model before each use, so a new field cannot be written in the wrong place.
SNAPSHOT_COPY_COLUMNS = [
    "customer_id",
    "as_of",
    "model_version_id",
    "score",
    "computed_band",
    "band",
    "completeness",
    "factors",
    "factor_risks",
    "tripwires",
    "reasons",
    "score_change_7d",
    "score_change_30d",
    "tier",
    "revenue_12m",
    "computed_at",
]
# A date scored again rewrites everything but the key.
SNAPSHOT_UPDATE_FIELDS = [
    column.removesuffix("_id") for column in SNAPSHOT_COPY_COLUMNS if column not in ("customer_id", "as_of")
]


# How many chunks may wait for the writer behind (``writing_behind``) before their maker waits.
WRITE_BEHIND_CHUNKS = 4
_END, _STOP = object(), object()


class _Stopped(Exception):
    """Raised inside a write behind whose maker failed, so that its transaction rolls back."""


@contextmanager
def writing_behind(write: Callable[[Iterator], None]) -> Iterator[Callable[[Any], None]]:
    """Run ``write(chunks)`` on a thread and a connection of its own while the caller makes the
    chunks: yields ``put(chunk)``. The server loads one chunk while the next is made.

    Leaving the block normally ends the chunks and waits for the write, whose error is raised
    here; leaving it with an error stops the write with an error inside ``write`` (so its
    transaction rolls back) and raises the caller's. A failed write makes the next ``put`` raise.
    On PostgreSQL outside a transaction only: elsewhere, or in a caller's transaction (whose rows
    another connection could not see), the chunks are kept and written on this connection when
    the block ends.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        kept: list = []
        yield kept.append
        write(iter(kept))
        return
    pending: queue.Queue = queue.Queue(maxsize=WRITE_BEHIND_CHUNKS)
    failed: list[BaseException] = []
    ended = threading.Event()

    def chunks() -> Iterator:
        while True:
            item = pending.get()
            if item is _END or item is _STOP:
                ended.set()
                if item is _STOP:
                    raise _Stopped
                return
            yield item

    def run() -> None:
        try:
            write(chunks())
        except _Stopped:
            pass
        except BaseException as error:  # raised in the maker's thread
            failed.append(error)
        finally:
            connection.close()
            # Take what is still put, so that the maker never waits for a writer that is gone.
            while not ended.is_set():
                if pending.get() in (_END, _STOP):
                    ended.set()

    thread = threading.Thread(target=run, name="write-behind")
    thread.start()

    def put(chunk: Any) -> None:
        if failed:
            raise failed[0]
        pending.put(chunk)

    try:
        yield put
    except BaseException:
        pending.put(_STOP)
        thread.join()
        raise
    pending.put(_END)
    thread.join()
    if failed:
        raise failed[0]


def copy_snapshots(chunks: Iterable[bytes], *, as_of: date, customer_ids: Iterable[int] | None = None) -> None:
    """Stream the COPY text of a date's snapshots (of ``customer_ids``, or of the whole book) to
    PostgreSQL, in one transaction.

    A date scored for the first time, as every night, takes the straight COPY; a date scored
    before is merged, so its snapshots are rewritten in place. Then the month's partition is
    analyzed, so every query after it plans with the night's snapshots counted, and the kept
    standing is worked out again when the date is the latest (``accounts.standing``).
    """
    with transaction.atomic():
        ensure_snapshot_partitions(as_of)
        if RiskSnapshot.objects.filter(as_of=as_of).exists():
            copy_upsert(RiskSnapshot, chunks, unique_fields=["customer", "as_of"], update_fields=SNAPSHOT_UPDATE_FIELDS)
        else:
            copy_insert(RiskSnapshot, chunks)
        analyze_snapshot_month(as_of)
        refresh_after_snapshot(as_of=as_of, customer_ids=customer_ids)


def upsert_snapshots(snapshots: list[RiskSnapshot], *, batch_size: int) -> None:
    """Insert or rewrite the snapshots by (customer, date), on a database without COPY, and work
    out the kept standing of their customers again when their date is the latest."""
    if snapshots:
        days = [s.as_of for s in snapshots]
        ensure_snapshot_partitions(min(days), max(days))
    upsert(
        RiskSnapshot,
        snapshots,
        unique_fields=["customer", "as_of"],
        update_fields=SNAPSHOT_UPDATE_FIELDS,
        batch_size=batch_size,
    )
    if snapshots:
        last = max(s.as_of for s in snapshots)
        refresh_after_snapshot(as_of=last, customer_ids=[s.customer_id for s in snapshots if s.as_of == last])


def snapshot_copy_rows(snapshots: list[dict]) -> bytes:
    """``copy_rows(RiskSnapshot, snapshots)``, the same text, written for this one table, as UTF-8.

    A night writes 100,000 snapshots: converting each value by its field's kind, as the general
    function must, costs more than scoring a factor, and bytes go to the server as they are. Band,
    tier and date are plain words here, which need no escaping in COPY text; JSON escapes tabs
    and line breaks itself, only its backslashes are doubled. Factors and reasons go packed
    (``accounts.packing``), as ``bytea`` in hex.
    """
    if [f.attname for f in bulk_fields(RiskSnapshot)] != SNAPSHOT_COPY_COLUMNS:
        return copy_rows(RiskSnapshot, snapshots).encode()
    if not snapshots:
        return b""
    tail = f"\t{copy_text(timezone.now())}".encode()
    null = r"\N"
    dumps = orjson.dumps
    lines = []
    for s in snapshots:
        score, change_7d, change_30d = s["score"], s["score_change_7d"], s["score_change_30d"]
        head = (
            f"{s['customer_id']}\t{s['as_of'].isoformat()}\t{s['model_version_id']}\t"
            f"{null if score is None else score}\t{s['computed_band']}\t{s['band']}\t{s['completeness']}\t"
        )
        rest = (
            f"\t{null if change_7d is None else change_7d}\t{null if change_30d is None else change_30d}"
            f"\t{s['tier']}\t{s['revenue_12m']}"
        )
        lines.append(
            b"".join(
                (
                    head.encode(),
                    b"\\\\x",
                    pack("factors", s["factors"]).hex().encode(),
                    b"\t",
                    dumps(s["factor_risks"]),
                    b"\t",
                    dumps(s["tripwires"]).replace(b"\\", b"\\\\"),
                    b"\t\\\\x",
                    pack("reasons", s["reasons"]).hex().encode(),
                    rest.encode(),
                    tail,
                )
            )
        )
    return b"\n".join(lines) + b"\n"
