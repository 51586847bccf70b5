"""A large book's scoring shared out in chunks to other worker processes (accounts.risk.chunks): the
same snapshots as one process, chunks asked for by another process, chunks of quiet or failing
processes taken back, a failing chunk failing the whole night, nothing left behind."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import RiskSnapshot, ScoringChunk
from accounts.risk import chunks
from accounts.risk.engine import RiskError, risk_recompute
from accounts.tests.test_risk_engine import populate, snapshot_fields
from accounts.tests.test_risk_factors import AS_OF, days_before, order
from keyaccounts.tests import factories as f

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def book(customer, oscars_customer, alice, postgres_only):
    """Seven customers with data of every kind and with very little, two earlier nights scored."""
    populate(customer, user=alice)
    populate(oscars_customer, user=alice)
    others = [f.CustomerFactory(owner=alice) for _ in range(5)]
    for n, other in enumerate(others):
        for day in range(n + 1):
            order(other, days_before(30 * day + 3))
    for days in (7, 1):
        risk_recompute(as_of=AS_OF - timedelta(days=days))
    return [customer, oscars_customer, *others]


@pytest.fixture
def in_chunks_of_two(settings):
    settings.RISK_CHUNKED_MIN_CUSTOMERS = 1
    settings.RISK_CHUNK_CUSTOMERS = 2


def night() -> list[dict]:
    return sorted((snapshot_fields(s) for s in RiskSnapshot.objects.filter(as_of=AS_OF)), key=lambda s: s["customer"])


@pytest.fixture
def scored_in_one_process(book) -> list[dict]:
    risk_recompute(as_of=AS_OF)
    expected = night()
    RiskSnapshot.objects.filter(as_of=AS_OF).delete()
    assert len(expected) == len(book)
    return expected


def test_a_book_scored_in_chunks_stores_what_one_process_stores(scored_in_one_process, in_chunks_of_two):
    progress = []

    result = chunks.recompute(as_of=AS_OF, progress=lambda done, total: progress.append((done, total)))

    assert night() == scored_in_one_process
    assert (result.customers_scored, result.chunks, result.processes) == (7, 4, 1)
    assert sum(result.bands.values()) == 7
    assert progress[-1] == (7, 7) and [done for done, _total in progress] == sorted(done for done, _ in progress)
    assert not ScoringChunk.objects.exists()


def test_a_date_scored_again_in_chunks_is_rewritten_identically(scored_in_one_process, in_chunks_of_two):
    chunks.recompute(as_of=AS_OF)
    chunks.recompute(as_of=AS_OF)

    assert night() == scored_in_one_process


def another_worker(chunk_id, taken):
    """A worker process's share, on a connection of its own."""

    def work():
        try:
            taken.append(chunks.score_chunks_of(chunk_id))
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    return thread


def test_another_worker_scores_the_chunks_it_asks_for_from_the_last(scored_in_one_process, in_chunks_of_two, book):
    taken, threads = [], []

    def fan_out(chunk_ids):
        # The other worker asks before the run starts scoring; the run serves it between chunks.
        threads.append(another_worker(chunk_ids[0], taken))
        deadline = time.monotonic() + 30
        while not ScoringChunk.objects.filter(state="requested").exists():
            assert time.monotonic() < deadline, "the other worker never asked for a chunk"
            time.sleep(0.01)

    result = chunks.recompute(as_of=AS_OF, fan_out=fan_out)
    threads[0].join()

    assert night() == scored_in_one_process
    assert taken[0] >= 1 and result.processes == 2
    assert (result.customers_scored, result.chunks) == (7, 4)
    assert not ScoringChunk.objects.exists()


def test_a_chunk_whose_worker_went_quiet_or_failed_is_scored_by_the_run(scored_in_one_process, in_chunks_of_two):
    def fan_out(chunk_ids):
        an_hour_ago = timezone.now() - timedelta(hours=1)
        ScoringChunk.objects.filter(pk=chunk_ids[-1]).update(
            state="ready", claimed_by="gone:1:1", claimed_at=an_hour_ago
        )
        ScoringChunk.objects.filter(pk=chunk_ids[-2]).update(
            state="failed", claimed_by="other:2:2", claimed_at=timezone.now(), error="OperationalError: lost"
        )

    result = chunks.recompute(as_of=AS_OF, fan_out=fan_out)

    assert night() == scored_in_one_process
    assert (result.customers_scored, result.processes) == (7, 1)


def test_a_late_result_of_a_chunk_taken_back_is_discarded(book, in_chunks_of_two):
    taken = []

    def fan_out(chunk_ids):
        # The other worker asked and went quiet; the run takes the chunk back before the worker
        # comes back with its input.
        ScoringChunk.objects.filter(pk=chunk_ids[-1]).update(
            state="requested", claimed_by="slow:3:3", claimed_at=timezone.now() - timedelta(hours=1)
        )

    result = chunks.recompute(as_of=AS_OF, fan_out=fan_out)
    assert result.customers_scored == 7
    # A worker sent for a run that has ended finds nothing to do.
    assert chunks.score_chunks_of(10**9) == 0 and taken == []


def test_a_chunk_that_fails_fails_the_night_and_writes_nothing(book, in_chunks_of_two, monkeypatch):
    real = chunks.score_customers

    def score_chunk(items, run):
        if items and items[0].customer_id == max(c.pk for c in book):
            raise RuntimeError("the scorer broke")
        return real(items, run=run)

    monkeypatch.setattr(chunks, "score_customers", score_chunk)

    with pytest.raises(RuntimeError, match="the scorer broke"):
        chunks.recompute(as_of=AS_OF)

    assert not RiskSnapshot.objects.filter(as_of=AS_OF).exists()
    assert not ScoringChunk.objects.exists()


def test_an_input_not_signed_with_this_installation_s_key_is_refused(book, in_chunks_of_two, settings):
    signed = chunks._sign(b"input")
    assert chunks._verified(signed) == b"input"
    settings.SECRET_KEY = "another-installation"
    with pytest.raises(ValueError, match="not signed"):
        chunks._verified(signed)


def test_a_small_book_and_a_date_ahead_are_handled_as_before(book, settings):
    settings.RISK_CHUNKED_MIN_CUSTOMERS = 8
    assert chunks.recompute(as_of=AS_OF).chunks == 1
    assert RiskSnapshot.objects.filter(as_of=AS_OF).count() == 7
    settings.RISK_CHUNKED_MIN_CUSTOMERS = 1
    with pytest.raises(RiskError):
        chunks.recompute(as_of=timezone.localdate() + timedelta(days=2))
    assert not ScoringChunk.objects.exists()
