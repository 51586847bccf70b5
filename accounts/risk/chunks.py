"""A large book scored in chunks of customer ids by whichever worker processes are free.

``recompute`` is the night's scoring of the whole book. On PostgreSQL, for a book of at least
``settings.RISK_CHUNKED_MIN_CUSTOMERS`` active customers, it

1. holds one database snapshot open and exported (``plumbing.shared_read_snapshot``), so every
   chunk, wherever it is scored, reads the database as it was at that moment;
2. plans ``ScoringChunk`` rows of ``settings.RISK_CHUNK_CUSTOMERS`` customers each, contiguous
   ranges of customer ids covering every id;
3. hands their ids to ``fan_out`` (the nightly task sends one Celery task per chunk), then claims
   and scores chunks itself until none is left — so one worker process finishes the night alone,
   and every further process (on this machine or another) takes chunks off it;
4. gives back chunks whose claim went stale (their process died) and takes a failed chunk again
   itself, so a chunk's error fails the night with the error, not with a timeout;
5. writes every chunk's snapshots in one transaction (``plumbing.copy_snapshots``): the day
   appears whole or not at all, as when one process scored it; the chunks' rows are removed.

Claims are ``SELECT … FOR UPDATE SKIP LOCKED``: two processes never score the same chunk, and a
late result of a chunk given back is discarded (its claim no longer matches). A smaller book, or
another database, is scored in one process (``engine.risk_recompute``).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import RiskModelVersion, ScoringChunk

from . import plumbing
from .engine import RecomputeResult, active_model_version, check_date, risk_recompute, score_range
from .signals import customers_active_on

logger = logging.getLogger(__name__)

# A chunk of 5,000 customers is scored in a few seconds; a claim this old belongs to a process
# that died, and the chunk is given to another.
STALE_CLAIM_SECONDS = 120
POLL_SECONDS = 0.05
# Chunks of runs that ended without removing them (their process was killed) are removed by the
# next run once this old.
LEFTOVER_HOURS = 6
LAST_ID = 2**63 - 1

State = ScoringChunk.State


def recompute(
    *,
    as_of: date,
    progress: Callable[[int, int], None] | None = None,
    fan_out: Callable[[list[int]], None] | None = None,
) -> RecomputeResult:
    """Score every customer active on ``as_of`` and store their snapshots, in chunks for a large
    book on PostgreSQL (see the module's docstring), else in this process."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return risk_recompute(as_of=as_of, progress=progress)
    check_date(as_of)
    if customers_active_on(as_of).count() < settings.RISK_CHUNKED_MIN_CUSTOMERS:
        return risk_recompute(as_of=as_of, progress=progress)
    version = active_model_version()
    run = uuid.uuid4()
    _remove_leftovers()
    try:
        with plumbing.shared_read_snapshot() as snapshot_id:
            planned = _plan(run=run, as_of=as_of, version=version, snapshot_id=snapshot_id)
            if fan_out is not None and len(planned) > 1:
                fan_out(planned)
            total = _score_until_done(run, progress=progress)
        bands, processes = Counter(), set()
        for chunk_bands, claimed_by in ScoringChunk.objects.filter(run=run).values_list("bands", "claimed_by"):
            bands.update(chunk_bands)
            processes.add(claimed_by)
        plumbing.copy_snapshots(_copy_texts(run), as_of=as_of)
    finally:
        ScoringChunk.objects.filter(run=run).delete()
    if progress is not None and total == 0:
        progress(0, 0)
    return RecomputeResult(
        as_of=as_of,
        customers_scored=total,
        bands=bands,
        model_version=version,
        chunks=len(planned),
        processes=len(processes),
    )


def score_chunks_of(chunk_id: int) -> int:
    """A worker's share of a run: claim and score the run's waiting chunks, starting with
    ``chunk_id`` if it still waits, until none is left. Returns how many chunks it scored; a
    chunk that fails is marked failed (the run takes it again) and ends this share."""
    run = ScoringChunk.objects.filter(pk=chunk_id).values_list("run", flat=True).first()
    scored = 0
    while run is not None:
        chunk = _claim(run, states=(State.PENDING,), prefer=chunk_id)
        if chunk is None:
            break
        try:
            _score(chunk)
        except Exception:
            logger.exception("Scoring chunk %s of run %s failed; the run scores it again.", chunk.pk, run)
            break
        scored += 1
    return scored


def _plan(*, run: uuid.UUID, as_of: date, version: RiskModelVersion, snapshot_id: str) -> list[int]:
    """The run's chunks, read in its database snapshot: contiguous id ranges from 0 to the largest
    id, each holding ``settings.RISK_CHUNK_CUSTOMERS`` active customers (the last one fewer)."""
    with plumbing.reading_snapshot(snapshot_id):
        ids = list(customers_active_on(as_of).order_by("pk").values_list("pk", flat=True))
    starts = ids[:: max(1, settings.RISK_CHUNK_CUSTOMERS)] or [0]
    bounds = [
        (0 if n == 0 else start, (starts[n + 1] - 1) if n + 1 < len(starts) else LAST_ID)
        for n, start in enumerate(starts)
    ]
    chunks = ScoringChunk.objects.bulk_create(
        ScoringChunk(
            run=run, as_of=as_of, model_version=version, read_snapshot=snapshot_id, first_id=first, last_id=last
        )
        for first, last in bounds
    )
    return [chunk.pk for chunk in chunks]


def _score_until_done(run: uuid.UUID, *, progress: Callable[[int, int], None] | None) -> int:
    """Claim and score the run's chunks here until every one is scored; returns the customers."""
    while True:
        chunk = _claim(run, states=(State.PENDING, State.FAILED))
        if chunk is not None:
            # Raises with the chunk's error: the run fails, as it would scoring in one process.
            _score(chunk)
        chunks = list(ScoringChunk.objects.filter(run=run).values_list("state", "customers"))
        done = sum(customers for state, customers in chunks if state == State.DONE)
        scored = sum(state == State.DONE for state, _customers in chunks)
        if progress is not None:
            # Chunks not yet scored are counted at the mean size of those that were.
            mean = done / scored if scored else settings.RISK_CHUNK_CUSTOMERS
            progress(done, done + round(mean * (len(chunks) - scored)))
        if scored == len(chunks):
            return done
        if chunk is None:
            _give_back_stale(run)
            time.sleep(POLL_SECONDS)


def _claim(run: uuid.UUID, *, states: tuple[str, ...], prefer: int | None = None) -> ScoringChunk | None:
    """Take one of the run's chunks in ``states`` (``prefer`` first), skipping those another
    process is taking at this very moment."""
    with transaction.atomic():
        waiting = (
            ScoringChunk.objects.select_for_update(skip_locked=True)
            .select_related("model_version")
            .defer("copy_text")
            .filter(run=run, state__in=states)
        )
        chunk = None
        if prefer is not None:
            chunk = waiting.filter(pk=prefer).first()
        if chunk is None:
            chunk = waiting.order_by("first_id").first()
        if chunk is None:
            return None
        chunk.state, chunk.claimed_by, chunk.claimed_at = State.RUNNING, _me(), timezone.now()
        chunk.save(update_fields=["state", "claimed_by", "claimed_at"])
    return chunk


@plumbing.without_cycle_collection()
def _score(chunk: ScoringChunk) -> None:
    """Score a claimed chunk in the run's database snapshot and store its result, if the claim
    still holds. An error marks the chunk failed and is raised."""
    claimed = ScoringChunk.objects.filter(pk=chunk.pk, state=State.RUNNING, claimed_by=chunk.claimed_by)
    try:
        with plumbing.reading_snapshot(chunk.read_snapshot):
            count, bands, text = score_range(
                as_of=chunk.as_of, model_version=chunk.model_version, first_id=chunk.first_id, last_id=chunk.last_id
            )
    except Exception as exc:
        claimed.update(state=State.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    if not claimed.update(state=State.DONE, customers=count, bands=dict(bands), copy_text=text):
        logger.warning("Chunk %s was given to another process before this one finished it.", chunk.pk)


def _give_back_stale(run: uuid.UUID) -> int:
    stale = timezone.now() - timedelta(seconds=STALE_CLAIM_SECONDS)
    given = ScoringChunk.objects.filter(run=run, state=State.RUNNING, claimed_at__lt=stale).update(
        state=State.PENDING, claimed_by="", claimed_at=None
    )
    if given:
        logger.warning("Gave back %d chunks of run %s whose process stopped answering.", given, run)
    return given


def _copy_texts(run: uuid.UUID) -> Iterator[bytes]:
    """The scored chunks' COPY text, one chunk at a time, in customer id order."""
    for pk in ScoringChunk.objects.filter(run=run).order_by("first_id").values_list("pk", flat=True):
        text = ScoringChunk.objects.filter(pk=pk).values_list("copy_text", flat=True).get()
        if text:
            yield bytes(text)


def _remove_leftovers() -> None:
    ScoringChunk.objects.filter(created_at__lt=timezone.now() - timedelta(hours=LEFTOVER_HOURS)).delete()


def _me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"
