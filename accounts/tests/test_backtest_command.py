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


def test_backtest_on_demo_data_prints_the_score_beside_every_baseline(demo):
    start, end = _period()
    out = StringIO()
    call_command(
        "backtest_risk", "--start", start, "--end", end, "--stability-days", "7", stdout=out, stderr=StringIO()
    )
    text = out.getvalue()
    assert "fitted on" in text and "earlier month ends" in text
    labels = ("Risk score v", "Days since last order", "RFM logistic (fitted on earlier", "Purchase factor alone")
    for label in labels:
        row = re.search(re.escape(label) + r".*?\s(\d\.\d{3})\s+\[(\d\.\d{3})–(\d\.\d{3})\]", text)
        assert row, (label, text)
        auc, low, high = (float(v) for v in row.groups())
        assert 0 <= low <= auc <= high <= 1
    assert re.search(r"lift at top-k \(k=\d+\) \d+\.\d\d×", text), text
    assert re.search(r"weekly band-change rate \(nightly replay with hysteresis\) \d+\.\d%", text), text
    assert "calibration" in text
    for factor in ("purchase_trend", "relationship", "criteria", "quality", "supply", "price", "strategy"):
        assert factor in text


def test_backtest_replays_another_model_version_when_asked(demo):
    start, end = _period()
    call_command("backtest_risk", "--start", start, "--end", end, stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="no risk model version 99"):
        call_command("backtest_risk", "--start", start, "--end", end, "--model-version", "99", stdout=StringIO())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2026-05-01", "--end", "2026-01-01"], "must not be before"),
        (["--start", "2026-01-01", "--end", "2999-01-01"], "future"),
        (["--start", "01/01/2026", "--end", "2026-03-01"], "YYYY-MM-DD"),
        (["--start", "2026-01-01", "--end", "2026-03-01", "--horizon", "5"], "between 30 and 730"),
        (["--start", "2026-01-02", "--end", "2026-01-20"], "no month end"),
        (["--start", "2025-01-01", "--end", "2025-03-31", "--test-from", "2025-06-01"], "test period"),
    ],
)
def test_backtest_rejects_bad_periods_with_a_clear_message(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("backtest_risk", *args, stdout=StringIO(), stderr=StringIO())


def test_fit_proposes_an_inactive_model_version_judged_on_later_dates(demo):
    start, end = _period()
    active = RiskModelVersion.objects.filter(is_active=True).count()
    out = StringIO()
    call_command("fit_risk_weights", "--start", start, "--end", end, stdout=out)
    proposal = RiskModelVersion.objects.exclude(version=1).get()
    assert not proposal.is_active
    assert sum(proposal.weights.values()) == 100
    assert RiskModelVersion.objects.filter(is_active=True).count() == max(active, 1)
    text = out.getvalue()
    assert "Out of time, on the test dates" in text
    assert re.search(r"ROC AUC \[95%\]\s+\d\.\d{3} \[.*\]\s+\d\.\d{3} \[", text), text
    assert "Out of time on" in proposal.notes
    bands = proposal.parameters["bands"]
    assert 0 < bands["amber"] < bands["red"] <= 100
    assert set(proposal.parameters["tripwires"]["bands"].values()) <= {"red", "amber", "none"}


def test_fit_dry_run_saves_nothing(demo):
    start, end = _period()
    call_command("fit_risk_weights", "--start", start, "--end", end, "--dry-run", stdout=StringIO())
    assert RiskModelVersion.objects.count() <= 1
