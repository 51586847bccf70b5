import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import RiskModelVersion
from keyaccounts.clock import business_today


@pytest.fixture
def demo(db):
    call_command("seed_demo", customers=200, seed=7, verbosity=0)


def _period():
    today = business_today()
    return (today - timedelta(days=640)).isoformat(), (today - timedelta(days=200)).isoformat()


def test_backtest_on_demo_data_prints_auc_top_k_precision_and_the_baseline(demo):
    start, end = _period()
    out = StringIO()
    call_command("backtest_risk", "--start", start, "--end", end, "--horizon", "180", stdout=out, stderr=StringIO())
    text = out.getvalue()
    auc = re.search(r"ROC AUC\s+(\d\.\d{3})\s+\(purchase trend alone: (\d\.\d{3})\)", text)
    assert auc, text
    assert 0 <= float(auc.group(1)) <= 1 and 0 <= float(auc.group(2)) <= 1
    assert re.search(r"top-k precision \(k=\d+\) \d+\.\d%", text), text
    assert re.search(r"lift over base rate\s+\d+\.\d\d×", text), text
    assert "weekly band-change rate" in text
    for factor in ("purchase_trend", "relationship", "criteria", "quality", "supply", "price", "strategy"):
        assert factor in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2026-05-01", "--end", "2026-01-01"], "must not be before"),
        (["--start", "2026-01-01", "--end", "2999-01-01"], "future"),
        (["--start", "01/01/2026", "--end", "2026-03-01"], "YYYY-MM-DD"),
        (["--start", "2026-01-01", "--end", "2026-03-01", "--horizon", "5"], "between 30 and 730"),
        (["--start", "2026-01-02", "--end", "2026-01-20"], "no month end"),
    ],
)
def test_backtest_rejects_bad_periods_with_a_clear_message(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("backtest_risk", *args, stdout=StringIO(), stderr=StringIO())


def test_fit_proposes_an_inactive_model_version_from_history(demo):
    start, end = _period()
    active = RiskModelVersion.objects.filter(is_active=True).count()
    out = StringIO()
    call_command("fit_risk_weights", "--start", start, "--end", end, stdout=out)
    proposal = RiskModelVersion.objects.exclude(version=1).get()
    assert not proposal.is_active
    assert sum(proposal.weights.values()) == 100
    assert RiskModelVersion.objects.filter(is_active=True).count() == max(active, 1)
    assert "In-sample ROC AUC" in out.getvalue()


def test_fit_dry_run_saves_nothing(demo):
    start, end = _period()
    call_command("fit_risk_weights", "--start", start, "--end", end, "--dry-run", stdout=StringIO())
    assert RiskModelVersion.objects.count() <= 1
