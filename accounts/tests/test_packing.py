"""Snapshots' factors and reasons stored packed: the same documents back, a fraction of the bytes."""

import hashlib
from datetime import date

import orjson
import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

import accounts.packing as packing
from accounts.models import PortfolioSummary, RiskSnapshot
from accounts.portfolio.summaries import portfolio_summaries_refresh
from accounts.risk.plumbing import copy_snapshots, snapshot_copy_rows
from keyaccounts.tests import factories as f

FACTORS = {
    "purchase_trend": {
        "risk": 54.3,
        "weight": 23,
        "signals": {"revenue_trend": [None, None], "order_lapse": [0.041, 24.8], "account_size": [0.043, 94.8]},
    },
    "relationship": {
        "risk": 25.3,
        "weight": 22,
        "signals": {"department_coverage": [2, 55.0], "trust": [3.5, 35.0], "last_interaction": [263, 100.0]},
    },
    "criteria": {"risk": None, "weight": 5, "signals": {}},
    "quality": {"risk": None, "weight": 16, "signals": {}},
    "supply": {"risk": 100.0, "weight": 5, "signals": {"otif": [0.5, 100.0], "peak_season": [None, None]}},
    "price": {"risk": 1.5, "weight": 16, "signals": {"price_vs_market": [0.95, 0.0]}},
    "strategy": {"risk": 98.0, "weight": 13, "signals": {"relationship_level": [1, 100.0], "open_needs": [3, 100.0]}},
}
REASONS = [
    {
        "factor": "strategy",
        "code": "open_needs",
        "params": {"count": 2, "needs": ["伺服系统 高功率", 'IoT remote monitoring \\ tab\tand "quotes"']},
        "countermeasure": 8,
        "action": "plan_product_needs",
    },
    {
        "factor": "relationship",
        "code": "key_person_left",
        "params": {"name": "王经理", "role": "decision_maker", "left_on": "2026-10-01", "replaced": False},
        "countermeasure": 1,
        "action": "meet_successor",
    },
]

# The dictionaries' bytes: a packed value needs the very dictionary it was packed with, so a
# dictionary file once shipped never changes (a new one is a new version).
SHIPPED_DICTIONARIES = {
    ("factors", 1): "d6fc827a657d40488d40ceab32767793d8210ea74508f8325584e2443bbde45e",
    ("reasons", 1): "453f46ccd8feb603b11249abbc9a7f46daad022395f4a6dd3287566200d52b5e",
}


def stored_bytes(snapshot: RiskSnapshot, column: str) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM accounts_risksnapshot WHERE id = %s", [snapshot.pk])
        return bytes(cursor.fetchone()[0])


@pytest.mark.django_db
def test_a_snapshot_reads_back_the_very_documents_written_from_a_fraction_of_the_bytes():
    snapshot = f.RiskSnapshotFactory(factors=FACTORS, reasons=REASONS)
    snapshot.refresh_from_db()
    assert snapshot.factors == FACTORS
    assert snapshot.reasons == REASONS
    factors, reasons = stored_bytes(snapshot, "factors"), stored_bytes(snapshot, "reasons")
    assert packing.is_packed(factors) and packing.is_packed(reasons)
    assert len(factors) < len(orjson.dumps(FACTORS)) / 3, len(factors)
    assert len(reasons) < len(orjson.dumps(REASONS)) * 0.75, len(reasons)
    # Values read through the ORM's other doors are unpacked as well.
    assert RiskSnapshot.objects.values_list("factors", "reasons").get() == (FACTORS, REASONS)


@pytest.mark.django_db
def test_snapshots_written_by_copy_read_back_the_same(postgres_only):
    customer = f.CustomerFactory()
    version = f.RiskModelVersionFactory()
    row = {
        "customer_id": customer.pk,
        "as_of": date(2026, 3, 31),
        "model_version_id": version.pk,
        "score": 61.5,
        "computed_band": "amber",
        "band": "amber",
        "completeness": 0.9,
        "factors": FACTORS,
        "factor_risks": [54.3, 25.3, None, None, 100.0, 1.5, 98.0],
        "tripwires": [],
        "reasons": REASONS,
        "score_change_7d": None,
        "score_change_30d": None,
        "tier": "key",
        "revenue_12m": 1000,
    }
    copy_snapshots([snapshot_copy_rows([row])], as_of=row["as_of"])
    snapshot = RiskSnapshot.objects.get(customer=customer)
    assert (snapshot.factors, snapshot.reasons) == (FACTORS, REASONS)
    assert packing.is_packed(stored_bytes(snapshot, "reasons"))


def test_plain_json_as_stored_before_packing_still_reads():
    assert packing.unpack("factors", orjson.dumps(FACTORS)) == FACTORS
    assert packing.unpack("reasons", orjson.dumps(REASONS).decode()) == REASONS
    assert packing.unpack("reasons", memoryview(packing.pack("reasons", REASONS))) == REASONS
    assert packing.unpack("factors", None) is None


@pytest.mark.parametrize(
    "stored",
    [
        packing.pack("reasons", REASONS),
        memoryview(packing.pack("reasons", REASONS)),
        orjson.dumps(REASONS),
        orjson.dumps(REASONS).decode(),
        orjson.dumps(REASONS, option=orjson.OPT_INDENT_2),  # written by hand, with spaces
        REASONS,
    ],
)
def test_the_first_item_reads_alone_as_the_whole_value_would_give_it(stored):
    item, text = packing.unpack_first("reasons", stored)
    assert item == REASONS[0] and orjson.loads(text) == REASONS[0]


@pytest.mark.parametrize("stored", [None, [], packing.pack("reasons", []), b"[ ]", b'{"code": "x"}', '"text"'])
def test_no_first_item_without_a_non_empty_array(stored):
    assert packing.unpack_first("reasons", stored) is None


def test_the_first_items_text_tells_items_apart():
    first, second = ({**REASONS[0], "params": {"count": n}} for n in (1, 2))
    texts = {packing.unpack_first("reasons", packing.pack("reasons", [item, *REASONS]))[1] for item in (first, second)}
    assert len(texts) == 2


@pytest.mark.parametrize("damaged", [b"\x07abc", b"\x01not a frame", b""])
def test_a_damaged_value_says_so_instead_of_returning_garbage(damaged):
    with pytest.raises(packing.PackingError):
        packing.unpack("factors", damaged)


def test_each_kind_packs_with_its_own_dictionary():
    packed = packing.pack("factors", FACTORS)
    assert packing.unpack("factors", packed) == FACTORS
    with pytest.raises(packing.PackingError):
        packing.unpack("reasons", packed)


def test_shipped_dictionaries_never_change():
    for (kind, version), digest in SHIPPED_DICTIONARIES.items():
        data = packing.dictionary_path(kind, version).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, f"{kind}-{version}.zdict changed"


@pytest.mark.django_db
def test_the_training_command_never_overwrites_a_dictionary():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="never changed"):
        call_command("train_packing_dictionary", "factors", "--dictionary-version", "1")


@pytest.mark.django_db(transaction=True)
def test_the_migration_packs_stored_json_fills_factor_risks_and_goes_back(postgres_only):
    """Snapshots stored as JSON before 0019 come out packed with their factor risks, and back."""
    snapshot = f.RiskSnapshotFactory(factors=FACTORS, reasons=REASONS, factor_risks=None)
    executor = MigrationExecutor(connection)
    before, latest = [("accounts", "0018_scoring_chunks")], executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(before)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT factors::text, reasons::text FROM accounts_risksnapshot WHERE id = %s", [snapshot.pk]
            )
            factors_text, reasons_text = cursor.fetchone()
        assert (orjson.loads(factors_text), orjson.loads(reasons_text)) == (FACTORS, REASONS)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE accounts_risksnapshot SET factor_risks = NULL WHERE id = %s", [snapshot.pk])
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    finally:
        MigrationExecutor(connection).migrate(latest)
    snapshot = RiskSnapshot.objects.get(pk=snapshot.pk)
    assert (snapshot.factors, snapshot.reasons) == (FACTORS, REASONS)
    assert snapshot.factor_risks == [54.3, 25.3, None, None, 100.0, 1.5, 98.0]
    assert packing.is_packed(stored_bytes(snapshot, "factors"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT attstorage FROM pg_attribute WHERE attrelid = 'accounts_risksnapshot'::regclass "
            "AND attname IN ('factors', 'reasons')"
        )
        assert cursor.fetchall() == [("m",)]


@pytest.mark.django_db
def test_the_dashboard_sums_factors_of_a_snapshot_without_factor_risks(alice):
    """A snapshot without ``factor_risks`` (written by hand, say) still counts in the factor sums."""
    customer = f.CustomerFactory(owner=alice, tier="key")
    f.RiskSnapshotFactory(customer=customer, factors=FACTORS, factor_risks=None, revenue_12m=1000, tier="key")
    portfolio_summaries_refresh(as_of=f.RiskSnapshotFactory.as_of)
    summary = PortfolioSummary.objects.get(as_of=f.RiskSnapshotFactory.as_of, grain="cell")
    weighted, revenue, count = summary.factors["supply"]
    assert (weighted, revenue, count) == (pytest.approx(100.0 * 1000), pytest.approx(1000), 1)
    assert "criteria" not in summary.factors
