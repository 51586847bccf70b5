"""Writing behind (``accounts.risk.plumbing.writing_behind``): the night's COPY runs on another
connection while the next chunk is made, in one transaction that a failure on either side rolls
back, and never leaves the maker waiting for a writer that is gone."""

import pytest
from django.db import connection, transaction

from accounts.models import Competitor
from accounts.risk.plumbing import WRITE_BEHIND_CHUNKS, writing_behind


def _backend() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _write_competitors(seen: dict):
    def write(chunks) -> None:
        seen["backend"] = _backend()
        with transaction.atomic():
            for name in chunks:
                Competitor.objects.create(name=name)

    return write


@pytest.mark.django_db(transaction=True)
def test_the_chunks_are_written_by_another_connection_in_one_transaction(postgres_only):
    seen = {}
    names = [f"Rival {n}" for n in range(3 * WRITE_BEHIND_CHUNKS)]
    with writing_behind(_write_competitors(seen)) as put:
        for name in names:
            put(name)
        # The writer's transaction is open: nothing is visible from here before the block ends.
        assert not Competitor.objects.exists()
    assert seen["backend"] != _backend()
    assert sorted(Competitor.objects.values_list("name", flat=True)) == sorted(names)


@pytest.mark.django_db(transaction=True)
def test_a_failure_of_the_maker_rolls_the_write_back(postgres_only):
    seen = {}
    with pytest.raises(RuntimeError, match="scoring failed"):
        with writing_behind(_write_competitors(seen)) as put:
            put("Rival A")
            put("Rival B")
            raise RuntimeError("scoring failed")
    assert seen["backend"] != _backend()
    assert not Competitor.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_failed_write_is_raised_to_the_maker_which_never_waits_for_it(postgres_only):
    Competitor.objects.create(name="Taken")
    seen = {}
    with pytest.raises(Exception, match="duplicate key"):
        with writing_behind(_write_competitors(seen)) as put:
            put("Rival A")
            put("Taken")  # the unique name fails the write
            for n in range(10 * WRITE_BEHIND_CHUNKS):  # more than the queue holds
                put(f"Rival {n}")
    assert list(Competitor.objects.values_list("name", flat=True)) == ["Taken"]


@pytest.mark.django_db
def test_in_a_callers_transaction_the_chunks_are_written_on_its_connection_at_the_end(postgres_only):
    seen = {}
    with writing_behind(_write_competitors(seen)) as put:
        put("Rival A")
        put("Rival B")
        assert not Competitor.objects.exists()  # kept until the block ends
    assert seen["backend"] == _backend()
    assert Competitor.objects.count() == 2
