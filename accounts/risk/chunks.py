"""A large book's scoring shared out, in chunks of customers, to whichever worker processes are free.

``recompute`` is the night's scoring of the whole book. On PostgreSQL, for a book of at least
``settings.RISK_CHUNKED_MIN_CUSTOMERS`` active customers, it

1. loads every customer's signals once, as one process does best (``engine``: whole-table scans
   over several connections in one database snapshot; the purchase model is fitted on the whole
   book, so it could not be fitted chunk by chunk anyway);
2. plans ``ScoringChunk`` rows of ``settings.RISK_CHUNK_CUSTOMERS`` customers each and hands their
   ids to ``fan_out`` (the nightly task sends one Celery task per chunk);
3. scores chunks itself, first to last, while serving the chunks other worker processes ask for
   (``score_chunks_of``, from the last chunk backwards): an asked-for chunk's input — its
   customers' signals, history and manual bands — is written to its row, signed with the
   SECRET_KEY; the other process scores it and writes its snapshots back as COPY text. With no
   other process free, nothing is written but the chunk rows, and the night costs what it cost
   in one process; each further process (on this machine or another) takes chunks off it;
4. takes back chunks whose process went quiet (``STALE_CLAIM_SECONDS``) or failed, and scores
   them itself: a chunk's error fails the night with that error;
5. writes every chunk's snapshots in one transaction (``plumbing.copy_snapshots``), each chunk
   sent as soon as it is done, by another connection while the scoring goes on
   (``plumbing.writing_behind``): the day appears whole or not at all; the chunk rows are removed.

Every step that hands a chunk over is one conditional UPDATE, so no chunk is scored twice into
the result, and the late result of a chunk taken back is discarded. A smaller book, or another
database, is scored in one process (``engine.risk_recompute``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import pickle
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import ScoringChunk

from . import plumbing
from .engine import (
    History,
    RecomputeResult,
    ScoringRun,
    check_date,
    prepare_scoring,
    risk_recompute,
    score_customers,
)
from .parameters import RiskParameters
from .signals import customers_active_on
from .storage import ensure_snapshot_partitions

logger = logging.getLogger(__name__)

# A chunk of a few thousand customers is scored in a second or two; a process that asked for one
# and has not answered for this long is taken to be gone.
STALE_CLAIM_SECONDS = 60
POLL_SECONDS = 0.02
# Chunks of runs that ended without removing them (their process was killed) are removed by the
# next run once this old.
LEFTOVER_HOURS = 6

State = ScoringChunk.State


def recompute(
    *,
    as_of: date,
    progress: Callable[[int, int], None] | None = None,
    fan_out: Callable[[list[int]], None] | None = None,
) -> RecomputeResult:
    """Score every customer active on ``as_of`` and store their snapshots, sharing the scoring
    out in chunks for a large book on PostgreSQL (see the module's docstring)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return risk_recompute(as_of=as_of, progress=progress)
    check_date(as_of)
    if customers_active_on(as_of).count() < settings.RISK_CHUNKED_MIN_CUSTOMERS:
        return risk_recompute(as_of=as_of, progress=progress)
    _remove_leftovers()
    with plumbing.without_cycle_collection():
        items, scoring = prepare_scoring(as_of=as_of, model_version=None, customer_ids=None)
        items.sort(key=lambda customer: customer.customer_id)
        run = uuid.uuid4()
        # Made before the write's long transaction, which then finds its month's partition there.
        ensure_snapshot_partitions(as_of)
        try:
            book = _Book(run, scoring, items)
            if fan_out is not None and len(book.inputs) > 1:
                fan_out(list(book.inputs))
            with plumbing.writing_behind(partial(plumbing.copy_snapshots, as_of=as_of)) as put:
                book.score_until_done(progress, put)
            bands, workers = Counter(), set()
            for chunk_bands, claimed_by in ScoringChunk.objects.filter(run=run).values_list("bands", "claimed_by"):
                bands.update(chunk_bands)
                workers.add(claimed_by)
        finally:
            ScoringChunk.objects.filter(run=run).delete()
    total = len(items)
    if progress is not None and total == 0:
        progress(0, 0)
    return RecomputeResult(
        as_of=as_of,
        customers_scored=total,
        bands=bands,
        model_version=scoring.version,
        chunks=len(book.inputs),
        processes=len(workers),
    )


class _Book:
    """The run's side: the loaded book in chunks, what it scored itself, what it handed out."""

    def __init__(self, run: uuid.UUID, scoring: ScoringRun, items: list) -> None:
        self.run, self.scoring = run, scoring
        size = max(1, settings.RISK_CHUNK_CUSTOMERS)
        parts = [items[start : start + size] for start in range(0, len(items), size)] or [[]]
        rows = ScoringChunk.objects.bulk_create(
            ScoringChunk(
                run=run,
                as_of=scoring.as_of,
                model_version=scoring.version,
                first_id=part[0].customer_id if part else 0,
                last_id=part[-1].customer_id if part else 0,
            )
            for part in parts
        )
        self.inputs: dict[int, list] = {row.pk: part for row, part in zip(rows, parts, strict=True)}
        self.texts: dict[int, bytes] = {}
        self.me = _me()

    def score_until_done(self, progress: Callable[[int, int], None] | None, put: Callable[[bytes], None]) -> None:
        """Score and serve chunks until every chunk is done, handing each done chunk's COPY text
        to ``put`` once (the run's own in order, the others' as they come back)."""
        total, done = sum(len(part) for part in self.inputs.values()), 0
        written: set[int] = set()
        while True:
            self._serve_requests()
            chunk_id = self._claim_next()
            if chunk_id is not None:
                self._score_here(chunk_id)
            rows = list(ScoringChunk.objects.filter(run=self.run).values_list("pk", "state", "claimed_at"))
            finished = [pk for pk, state, _at in rows if state == State.DONE]
            for pk in finished:
                if pk not in written:
                    written.add(pk)
                    self._hand_over(pk, put)
            done = sum(len(self.inputs[pk]) for pk in finished)
            if progress is not None:
                progress(done, total)
            if len(finished) == len(rows):
                return
            if chunk_id is None:
                self._take_back(rows)
                time.sleep(POLL_SECONDS)

    def _hand_over(self, pk: int, put: Callable[[bytes], None]) -> None:
        """A done chunk's COPY text to the writer: the run's own from memory, another process's
        from its row."""
        text = self.texts.pop(pk, None)
        if text is None:
            text = ScoringChunk.objects.filter(pk=pk).values_list("copy_text", flat=True).get()
        if text:
            put(bytes(text))

    def _serve_requests(self) -> None:
        """Write the input of every chunk another process asked for, unless it asked so long ago
        that it is taken to be gone (``_take_back``). The claim keeps the time it was asked: a
        process has ``STALE_CLAIM_SECONDS`` from asking to storing its result."""
        stale = timezone.now() - timedelta(seconds=STALE_CLAIM_SECONDS)
        asked = ScoringChunk.objects.filter(run=self.run, state=State.REQUESTED, claimed_at__gte=stale)
        for pk, claimed_by in asked.values_list("pk", "claimed_by"):
            payload = _sign(pickle.dumps(self._input_of(pk), protocol=pickle.HIGHEST_PROTOCOL))
            ScoringChunk.objects.filter(pk=pk, state=State.REQUESTED, claimed_by=claimed_by).update(
                state=State.READY, payload=payload
            )

    def _input_of(self, pk: int) -> dict:
        items, history, overrides = self.inputs[pk], self.scoring.history, self.scoring.overrides
        ids = [customer.customer_id for customer in items]
        return {
            "items": items,
            "previous": {i: history.previous[i] for i in ids if i in history.previous},
            "score_7d": {i: history.score_7d[i] for i in ids if i in history.score_7d},
            "score_30d": {i: history.score_30d[i] for i in ids if i in history.score_30d},
            "overrides": {i: overrides[i] for i in ids if i in overrides},
        }

    def _claim_next(self) -> int | None:
        """The first waiting chunk, taken by this process (first to last)."""
        with transaction.atomic():
            pk = (
                ScoringChunk.objects.select_for_update(skip_locked=True)
                .filter(run=self.run, state=State.PENDING)
                .order_by("first_id")
                .values_list("pk", flat=True)
                .first()
            )
            if pk is None:
                return None
            ScoringChunk.objects.filter(pk=pk).update(
                state=State.RUNNING, claimed_by=self.me, claimed_at=timezone.now()
            )
        return pk

    def _score_here(self, pk: int) -> None:
        try:
            count, bands, text = plumbing.score_to_copy(self.inputs[pk], partial(score_customers, run=self.scoring))
        except Exception as exc:
            ScoringChunk.objects.filter(pk=pk).update(state=State.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
            raise
        self.texts[pk] = text
        ScoringChunk.objects.filter(pk=pk).update(
            state=State.DONE, claimed_by=self.me, customers=count, bands=dict(bands), payload=None
        )

    def _take_back(self, rows) -> None:
        """Chunks handed out whose process went quiet, or failed, are scored here."""
        stale = timezone.now() - timedelta(seconds=STALE_CLAIM_SECONDS)
        for pk, state, claimed_at in rows:
            quiet = state in (State.REQUESTED, State.READY) and claimed_at is not None and claimed_at < stale
            if quiet or state == State.FAILED:
                taken = ScoringChunk.objects.filter(pk=pk, state=state, claimed_at=claimed_at).update(
                    state=State.RUNNING, claimed_by=self.me, claimed_at=timezone.now()
                )
                if taken:
                    logger.warning("Chunk %s of run %s (%s) is scored by the run itself.", pk, self.run, state)
                    self._score_here(pk)


def score_chunks_of(chunk_id: int, *, wait_seconds: float = STALE_CLAIM_SECONDS) -> int:
    """Another worker process's share of a run (the task sent for ``chunk_id``): ask for the
    run's last waiting chunk, and, once its input is there, ask for the next one before scoring
    it (so the run writes the next input meanwhile), until none is left. Returns how many chunks
    it scored. A failure marks the chunk failed (the run scores it again) and ends this share."""
    run = ScoringChunk.objects.filter(pk=chunk_id).values_list("run", flat=True).first()
    if run is None:
        return 0
    me, scored = _me(), 0
    asked = _ask(run, me)
    while asked is not None:
        row = _input_when_ready(asked, me, wait_seconds)
        if row is None:
            break  # taken back, or the run is gone
        following = _ask(run, me)
        try:
            count, bands, text = _score_input(asked, row)
        except Exception as exc:
            logger.exception("Scoring chunk %s of run %s failed; the run scores it again.", asked, run)
            ScoringChunk.objects.filter(pk=asked, claimed_by=me, state=State.READY).update(
                state=State.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
            )
            _give_up(following, me)
            break
        stored = ScoringChunk.objects.filter(pk=asked, claimed_by=me, state=State.READY).update(
            state=State.DONE, customers=count, bands=dict(bands), copy_text=text, payload=None
        )
        if not stored:
            logger.warning("Chunk %s was taken back before this process finished it.", asked)
        scored += bool(stored)
        asked = following
    return scored


def _input_when_ready(pk: int, me: str, wait_seconds: float) -> dict | None:
    """The chunk's row once the run has written its input; None if it was taken back meanwhile."""
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        row = ScoringChunk.objects.filter(pk=pk, claimed_by=me).values("state", "payload").first()
        if row is None or row["state"] not in (State.REQUESTED, State.READY):
            return None
        if row["state"] == State.READY:
            return row
        time.sleep(POLL_SECONDS)
    _give_up(pk, me)
    return None


def _give_up(pk: int | None, me: str) -> None:
    """Hand a chunk asked for back to the waiting ones."""
    if pk is not None:
        ScoringChunk.objects.filter(pk=pk, claimed_by=me, state__in=(State.REQUESTED, State.READY)).update(
            state=State.PENDING, claimed_by="", claimed_at=None, payload=None
        )


def _ask(run: uuid.UUID, me: str) -> int | None:
    """Ask for the run's last waiting chunk (the run scores from the first)."""
    with transaction.atomic():
        pk = (
            ScoringChunk.objects.select_for_update(skip_locked=True)
            .filter(run=run, state=State.PENDING)
            .order_by("-first_id")
            .values_list("pk", flat=True)
            .first()
        )
        if pk is None:
            return None
        ScoringChunk.objects.filter(pk=pk).update(state=State.REQUESTED, claimed_by=me, claimed_at=timezone.now())
    return pk


@plumbing.without_cycle_collection()
def _score_input(pk: int, row: dict) -> tuple[int, Counter, bytes]:
    data = pickle.loads(_verified(bytes(row["payload"])))  # noqa: S301 - signed by the run with SECRET_KEY
    chunk = ScoringChunk.objects.select_related("model_version").get(pk=pk)
    version = chunk.model_version
    scoring = ScoringRun(
        as_of=chunk.as_of,
        version=version,
        parameters=RiskParameters.of_version(version),
        history=History(previous=data["previous"], score_7d=data["score_7d"], score_30d=data["score_30d"]),
        overrides=data["overrides"],
    )
    return plumbing.score_to_copy(data["items"], partial(score_customers, run=scoring))


_SIGNATURE = hashlib.sha256().digest_size


def _sign(data: bytes) -> bytes:
    key = hashlib.sha256(b"accounts.risk.chunks" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, data, hashlib.sha256).digest() + data


def _verified(signed: bytes) -> bytes:
    signature, data = signed[:_SIGNATURE], signed[_SIGNATURE:]
    if not hmac.compare_digest(signature, _sign(data)[:_SIGNATURE]):
        raise ValueError("A scoring chunk's input is not signed with this installation's SECRET_KEY.")
    return data


def _remove_leftovers() -> None:
    ScoringChunk.objects.filter(created_at__lt=timezone.now() - timedelta(hours=LEFTOVER_HOURS)).delete()


def _me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
