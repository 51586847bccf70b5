"""A large book scored in chunks that any worker process may take (accounts.risk.chunks): the same
snapshots as one process, shared with other connections, chunks of dead or failing processes taken
again, a failing chunk failing the whole night, nothing left behind."""

import threading
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


def test_other_processes_take_chunks_and_read_the_run_s_database_snapshot(
    scored_in_one_process, in_chunks_of_two, book
):
    taken = []

    def fan_out(chunk_ids):
        # A customer's orders change after the run was planned; another worker (its own
        # connection) then takes every chunk: it reads the database as it was when planned.
        order(book[2], AS_OF)

        def worker():
            try:
                taken.append(chunks.score_chunks_of(chunk_ids[1]))
            finally:
                connection.close()

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()

    result = chunks.recompute(as_of=AS_OF, fan_out=fan_out)

    assert taken == [4]  # every chunk, the one it was sent for first
    assert night() == scored_in_one_process
    assert result.customers_scored == 7


def test_the_chunks_of_a_dead_or_failed_process_are_scored_again_by_the_run(scored_in_one_process, in_chunks_of_two):
    def fan_out(chunk_ids):
        an_hour_ago = timezone.now() - timedelta(hours=1)
        ScoringChunk.objects.filter(pk=chunk_ids[0]).update(
            state="running", claimed_by="gone:1", claimed_at=an_hour_ago
        )
        ScoringChunk.objects.filter(pk=chunk_ids[1]).update(state="failed", error="OperationalError: lost")

    result = chunks.recompute(as_of=AS_OF, fan_out=fan_out)

    assert night() == scored_in_one_process
    assert result.customers_scored == 7


def test_a_chunk_that_fails_fails_the_night_and_writes_nothing(book, in_chunks_of_two, monkeypatch):
    real = chunks.score_range

    def score_range(**kwargs):
        if kwargs["first_id"] > 0:
            raise RuntimeError("the scorer broke")
        return real(**kwargs)

    monkeypatch.setattr(chunks, "score_range", score_range)

    with pytest.raises(RuntimeError, match="the scorer broke"):
        chunks.recompute(as_of=AS_OF)

    assert not RiskSnapshot.objects.filter(as_of=AS_OF).exists()
    assert not ScoringChunk.objects.exists()


def test_a_late_result_of_a_chunk_given_back_is_discarded(book, in_chunks_of_two):
    def fan_out(chunk_ids):
        chunk = chunks._claim(ScoringChunk.objects.get(pk=chunk_ids[0]).run, states=("pending",), prefer=chunk_ids[0])
        # Given back as stale and taken by another process before this one stores its result.
        ScoringChunk.objects.filter(pk=chunk.pk).update(claimed_by="other:2")
        chunks._score(chunk)
        assert ScoringChunk.objects.get(pk=chunk.pk).state == "running"
        ScoringChunk.objects.filter(pk=chunk.pk).update(state="pending", claimed_by="", claimed_at=None)

    result = chunks.recompute(as_of=AS_OF, fan_out=fan_out)

    assert result.customers_scored == 7


def test_a_small_book_and_a_date_ahead_are_handled_as_before(book, settings):
    settings.RISK_CHUNKED_MIN_CUSTOMERS = 8
    assert chunks.recompute(as_of=AS_OF).chunks == 1
    assert RiskSnapshot.objects.filter(as_of=AS_OF).count() == 7
    settings.RISK_CHUNKED_MIN_CUSTOMERS = 1
    with pytest.raises(RiskError):
        chunks.recompute(as_of=timezone.localdate() + timedelta(days=2))
    assert not ScoringChunk.objects.exists()
