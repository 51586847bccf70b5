"""The model quality pages: who may see them, the form that starts a run, the worker's task, the run
page drawn from a result of the evaluation's contract (also a sparse one), the comparison, and the
query counts of each page."""

import copy
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from accounts import tasks
from accounts.models import BacktestRun, RiskBand
from accounts.permissions import ROLE_ADMIN
from accounts.risk import evaluation, quality_runs
from accounts.risk.quality_report import quality_report
from accounts.risk.reasons import FACTOR_LABELS
from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f

pytestmark = pytest.mark.django_db

INDEX = reverse("risk_quality")
COMPARE = reverse("risk_quality_compare")


def _roc(bend: float) -> list:
    return [[x / 10, min(1.0, (x / 10) ** bend)] for x in range(11)]


def _predictor(key, label, auc, low, high, precision, lift, bend):
    return {
        "key": key,
        "label": label,
        "auc": auc,
        "auc_low": low,
        "auc_high": high,
        "top_k_precision": precision,
        "lift": lift,
        "auc_by_component": {"recorded_churn": auc + 0.05, "lapse": auc, "collapse": auc - 0.1},
        "roc": _roc(bend),
        "lift_curve": [[0.05, lift + 0.5], [0.1, lift], [0.5, 1.4], [1.0, 1.0]],
    }


# A result as `evaluation.evaluate` returns it (the contract in docs/risk-method.md).
RESULT = {
    "version": 3,
    "start": "2024-11-30",
    "end": "2025-05-31",
    "horizon_days": 180,
    "dates": ["2024-11-30", "2024-12-31", "2025-01-31", "2025-02-28", "2025-03-31", "2025-04-30", "2025-05-31"],
    "samples": 51234,
    "positives": 4321,
    "base_rate": 0.084,
    "components": {"recorded_churn": 120, "lapse": 3900, "collapse": 301},
    "top_k": 2345,
    "predictors": [
        _predictor("score", "Risk score v3", 0.83, 0.82, 0.84, 0.30, 3.6, 0.3),
        _predictor("recency", "Days since last order", 0.76, 0.75, 0.77, 0.22, 2.6, 0.5),
        _predictor("rfm", "RFM logistic (fitted on earlier dates)", 0.78, 0.77, 0.79, 0.24, 2.9, 0.45),
        _predictor("purchase_factor", "Purchase factor alone", 0.71, 0.70, 0.72, 0.18, 2.1, 0.6),
    ],
    "calibration": [
        {"band": "green", "samples": 40000, "lost": 1000, "rate": 0.025},
        {"band": "amber", "samples": 7000, "lost": 1400, "rate": 0.2},
        {"band": "red", "samples": 2345, "lost": 1700, "rate": 0.725},
        {"band": "grey", "samples": 1889, "lost": 221, "rate": 0.117},
    ],
    "early_warning": {"share": 0.52, "customers": 80, "revenue": 1.2e8},
    "weekly_band_change": 0.031,
    "factors": [
        {"name": "purchase_trend", "auc": 0.75, "coverage": 0.98, "mean_lost": 61.0, "mean_retained": 22.0},
        {"name": "relationship", "auc": 0.64, "coverage": 0.7, "mean_lost": 48.0, "mean_retained": 35.0},
        {"name": "quality", "auc": None, "coverage": 0.0, "mean_lost": None, "mean_retained": None},
    ],
    "notes": ["Labels of the last date are incomplete: its outcome window runs past today."],
}

# What the real evaluation may also return: figures missing or null, lists empty.
SPARSE_RESULTS = [
    {},
    {"predictors": [], "calibration": [], "factors": [], "notes": [], "dates": []},
    {
        "version": None,
        "samples": None,
        "positives": 0,
        "base_rate": None,
        "components": {"lapse": None},
        "top_k": None,
        "predictors": [{"key": "score", "auc": None, "roc": None, "lift_curve": [[None, 1]]}, {"key": "novel"}],
        "calibration": [{"band": "red"}, {"band": "purple", "samples": 3, "lost": 1, "rate": None}],
        "early_warning": {"share": None},
        "weekly_band_change": None,
        "factors": [{"name": "unknown_factor"}, {}],
        "notes": [None, "Only one note."],
    },
    {"predictors": "not a list", "calibration": None, "early_warning": None, "factors": {"x": 1}, "samples": "many"},
]


@pytest.fixture
def adam(db):
    return f.UserFactory(username="adam", role=ROLE_ADMIN)


@pytest.fixture
def version(db):
    return f.RiskModelVersionFactory(version=3, is_active=True)


def done_run(version, result=RESULT, **fields):
    return f.BacktestRunFactory(model_version=version, status=BacktestRun.Status.DONE, result=result, **fields)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def as_user(client, user):
    client.force_login(user)
    return client


# Who may see the pages --------------------------------------------------------------------------


def _urls(run):
    return [
        INDEX,
        reverse("risk_quality_run", args=[run.pk]),
        reverse("risk_quality_progress", args=[run.pk]),
        f"{COMPARE}?a={run.pk}&b={run.pk}",
    ]


@pytest.mark.parametrize("who", ["alice", "sam"])
def test_account_managers_and_the_service_desk_are_refused(client, version, who, request):
    run = done_run(version)
    as_user(client, request.getfixturevalue(who))
    for url in _urls(run):
        assert client.get(url).status_code == 403, url
    response = client.post(INDEX, {"model_version": version.pk, "start": "2025-01-31", "end": "2025-03-31"})
    assert response.status_code == 403
    assert client.post(reverse("risk_quality_run", args=[run.pk])).status_code == 403
    assert BacktestRun.objects.count() == 1


@pytest.mark.parametrize("who", ["erin", "adam", "superuser"])
def test_executives_and_admins_see_every_page(client, version, who, request):
    run = done_run(version)
    as_user(client, request.getfixturevalue(who))
    for url in _urls(run):
        assert client.get(url).status_code == 200, url


def test_signed_out_visitors_are_sent_to_sign_in(client, version):
    run = done_run(version)
    for url in _urls(run):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url
    assert client.post(INDEX, {}).status_code == 302


def test_navigation_links_the_page_for_executives_and_admins_only(client, erin, alice, adam):
    for user, shown in ((erin, True), (adam, True), (alice, False)):
        as_user(client, user)
        assert ('data-testid="nav-model-quality"' in client.get(reverse("today")).text) is shown


def test_a_missing_run_is_not_found(client, erin):
    as_user(client, erin)
    assert client.get(reverse("risk_quality_run", args=[999])).status_code == 404
    assert client.get(reverse("risk_quality_progress", args=[999])).status_code == 404


# Starting a run ---------------------------------------------------------------------------------


def test_the_form_offers_the_active_version_and_a_180_day_horizon(client, erin, version):
    f.RiskModelVersionFactory(version=4)
    page = as_user(client, erin).get(INDEX).text
    assert f'<option value="{version.pk}" selected>v3 (active)</option>' in page
    assert 'name="horizon_days" value="180"' in page
    assert 'data-testid="no-runs"' in page


def test_starting_a_run_queues_the_task_and_opens_the_run_page(
    client, erin, version, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(tasks.backtest_run, "delay", queued.append)
    as_user(client, erin)
    data = {"model_version": version.pk, "start": "2025-01-31", "end": "2025-06-30", "horizon_days": 90}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(INDEX, data)
    run = BacktestRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("risk_quality_run", args=[run.pk])
    assert (run.model_version, run.start, run.end, run.horizon_days) == (
        version,
        date(2025, 1, 31),
        date(2025, 6, 30),
        90,
    )
    assert run.status == BacktestRun.Status.QUEUED and run.created_by == erin
    assert queued == [run.pk]
    page = client.get(response["Location"]).text
    assert 'data-testid="run-progress"' in page and "Waiting for a worker" in page


def _bad_inputs(version_pk):
    today = business_today()
    good = {"model_version": version_pk, "start": "2025-01-31", "end": "2025-06-30", "horizon_days": 180}
    return [
        ({**good, "end": "2025-01-30"}, "end", "must not be before"),
        ({**good, "end": (today + timedelta(days=1)).isoformat()}, "end", "no later than today"),
        ({**good, "start": "2015-01-31", "end": "2021-01-31"}, "end", "five years"),
        ({**good, "start": "1899-12-31"}, "start", "Give a date between 1900-01-01 and"),
        ({**good, "start": "0001-01-01"}, "start", "Give a date between 1900-01-01 and"),
        ({**good, "start": "31/01/2025"}, "start", "valid date"),
        ({**good, "horizon_days": 29}, "horizon_days", "greater than or equal to 30"),
        ({**good, "horizon_days": 731}, "horizon_days", "less than or equal to 730"),
        ({**good, "horizon_days": "x"}, "horizon_days", "whole number"),
        ({**good, "model_version": 987654}, "model_version", "valid choice"),
        ({}, "start", "required"),
    ]


def test_bad_input_is_refused_with_its_reason_and_nothing_is_created(client, erin, version, monkeypatch):
    monkeypatch.setattr(tasks.backtest_run, "delay", lambda *a: pytest.fail("queued a task for bad input"))
    as_user(client, erin)
    for data, field, reason in _bad_inputs(version.pk):
        response = client.post(INDEX, data)
        assert response.status_code == 422, data
        assert reason in " ".join(response.context["form"].errors.get(field, [])), (
            data,
            response.context["form"].errors,
        )
        assert BacktestRun.objects.count() == 0


# The worker's task ------------------------------------------------------------------------------


def test_the_task_stores_the_result_and_reports_progress_while_it_runs(version, monkeypatch):
    run = f.BacktestRunFactory(model_version=version, start=date(2025, 1, 31), end=date(2025, 3, 31))
    seen = []

    def evaluate(model_version, *, start, end, horizon_days, progress):
        assert (model_version, start, end, horizon_days) == (version, run.start, run.end, 180)
        seen.append(BacktestRun.objects.get(pk=run.pk).status)
        for done in range(4):
            progress(done, 3)
            seen.append(quality_runs.progress_of(run))
        return copy.deepcopy(RESULT)

    monkeypatch.setattr(evaluation, "evaluate", evaluate)
    outcome = tasks.backtest_run.delay(run.pk).get()
    run.refresh_from_db()
    assert outcome == {"run": run.pk, "status": "done"}
    assert seen[0] == BacktestRun.Status.RUNNING
    assert seen[1:] == [
        {"done": 0, "total": 3, "percent": 0},
        {"done": 1, "total": 3, "percent": 33},
        {"done": 2, "total": 3, "percent": 67},
        {"done": 3, "total": 3, "percent": 100},
    ]
    assert run.status == BacktestRun.Status.DONE and run.result == RESULT and run.error == ""
    assert run.started_at and run.finished_at and run.finished_at >= run.started_at
    assert quality_runs.progress_of(run) is None and not quality_runs.interrupted(run)
    # A second delivery of the same task does nothing.
    assert tasks.backtest_run.delay(run.pk).get() == {"run": run.pk, "status": None}


def test_a_failing_evaluation_leaves_a_failed_run_with_its_error(client, erin, version, monkeypatch):
    def evaluate(*args, **kwargs):
        raise ValueError("no orders before 2025-01-31")

    monkeypatch.setattr(evaluation, "evaluate", evaluate)
    run = f.BacktestRunFactory(model_version=version)
    assert tasks.backtest_run.delay(run.pk).get()["status"] == "failed"
    run.refresh_from_db()
    assert run.status == BacktestRun.Status.FAILED and run.result is None
    assert run.error == "ValueError: no orders before 2025-01-31"
    page = as_user(client, erin).get(reverse("risk_quality_run", args=[run.pk])).text
    assert 'data-testid="run-failed"' in page and "no orders before 2025-01-31" in page


def test_a_run_over_a_period_without_known_outcome_fails_with_the_backtests_message(version):
    today = business_today()
    run = f.BacktestRunFactory(model_version=version, start=today - timedelta(days=60), end=today)
    tasks.backtest_run.delay(run.pk).get()
    run.refresh_from_db()
    assert run.status == BacktestRun.Status.FAILED
    assert "No month end in the period has a known outcome yet" in run.error


def test_a_run_on_real_history_stores_the_score_beside_its_baselines(version, alice):
    today = business_today()
    for n in range(40):
        regular = f.CustomerFactory(owner=alice, customer_since=today - timedelta(days=900))
        lapsing = f.CustomerFactory(owner=alice, customer_since=today - timedelta(days=900))
        for k in range(30):
            f.OrderFactory(customer=regular, ordered_on=today - timedelta(days=5 + 30 * k + n % 7))
        # They stop one after another, so that both earlier and later dates see some go.
        for k in range(12):
            f.OrderFactory(customer=lapsing, ordered_on=today - timedelta(days=230 + 12 * n + 30 * k))
    run = f.BacktestRunFactory(
        model_version=version, start=today - timedelta(days=700), end=today - timedelta(days=200), horizon_days=180
    )
    tasks.backtest_run.delay(run.pk).get()
    run.refresh_from_db()
    assert run.status == BacktestRun.Status.DONE, run.error
    result = run.result
    assert [p["key"] for p in result["predictors"]] == ["score", "recency", "rfm", "purchase_factor"]
    assert result["components"]["lapse"] > 0
    # Customers who stop buying on a steady rhythm are what the purchase model sees best.
    assert result["predictors"][0]["auc"] > 0.75
    assert {row["band"] for row in result["calibration"]} == {"green", "amber", "red", "grey"}


def test_an_interrupted_run_offers_to_run_again(client, erin, version, monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr(tasks.backtest_run, "delay", queued.append)
    run = f.BacktestRunFactory(model_version=version, status=BacktestRun.Status.RUNNING)
    as_user(client, erin)
    url = reverse("risk_quality_run", args=[run.pk])
    page = client.get(url).text
    assert 'data-testid="run-interrupted"' in page and "Run again" in page
    assert "Interrupted" in client.get(INDEX).text
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    run.refresh_from_db()
    assert run.status == BacktestRun.Status.QUEUED and queued == [run.pk]
    assert not quality_runs.interrupted(run)
    # Now a worker is expected: running it "again" is refused.
    assert client.post(url).status_code == 409
    assert queued == [run.pk]


def test_a_done_run_cannot_be_run_again(client, erin, version):
    run = done_run(version)
    response = as_user(client, erin).post(reverse("risk_quality_run", args=[run.pk]))
    assert response.status_code == 409
    assert BacktestRun.objects.get().status == BacktestRun.Status.DONE


def test_the_progress_panel_polls_while_running_and_reloads_the_page_when_done(client, erin, version):
    run = f.BacktestRunFactory(model_version=version, status=BacktestRun.Status.RUNNING)
    quality_runs.set_progress(run.pk, 2, 8)
    as_user(client, erin)
    url = reverse("risk_quality_progress", args=[run.pk])
    response = client.get(f"{url}?was=active")
    assert "hx-trigger" in response.text and "2 of 8" in response.text and "25%" in response.text
    assert "HX-Refresh" not in response
    BacktestRun.objects.filter(pk=run.pk).update(status=BacktestRun.Status.DONE, result=RESULT)
    response = client.get(f"{url}?was=active")
    assert response["HX-Refresh"] == "true" and "hx-trigger" not in response.text


# The run page -----------------------------------------------------------------------------------


def test_a_done_run_shows_every_section(client, erin, version):
    run = done_run(version)
    response = as_user(client, erin).get(reverse("risk_quality_run", args=[run.pk]))
    page = response.text
    assert '<div class="display-6 fw-semibold lh-1" data-testid="headline-auc">0.83</div>' in page
    assert "95% interval 0.82–0.84" in page
    assert "beyond its 95% interval" in page  # the best baseline (RFM, 0.78) is below 0.82
    for label in ("Risk score v3", "Days since last order", "RFM logistic (fitted on earlier dates)"):
        assert label in page
    assert "Here k = 2,345." in page
    targets = {t.key: t.met for t in response.context["report"].targets}
    assert targets == {"auc": True, "top_k": True, "early_warning": False, "weekly_band_change": True}
    assert page.count('data-met="met"') == 3 and page.count('data-met="not-met"') == 1
    for text in ("Recorded churn", "Lapse (stopped ordering)", "Revenue collapse", "3,900"):
        assert text in page
    for text in ("Purchase trend", "Relationship network", "Quality &amp; complaints", "98%"):
        assert text in page
    assert "Insufficient data" in page and "72.5%" in page
    assert "Labels of the last date are incomplete" in page
    assert 'id="quality-data"' in page and "chart.umd.min.js" in page
    for canvas in ("chart-roc", "chart-lift", "chart-calibration"):
        assert f'id="{canvas}"' in page
    charts = response.context["charts"]
    assert [p["key"] for p in charts["predictors"]] == ["score", "recency", "rfm", "purchase_factor"]
    assert charts["predictors"][0]["roc"][0] == [0.0, 0.0] and charts["calibration"][2]["band"] == "red"


def test_the_run_page_labels_by_key_in_the_page_language(client, erin, version):
    relabelled = copy.deepcopy(RESULT)
    for predictor in relabelled["predictors"]:
        predictor["label"] = "label from the evaluation"
    run = done_run(version, result=relabelled)
    as_user(client, erin)
    assert "label from the evaluation" not in client.get(reverse("risk_quality_run", args=[run.pk])).text
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(reverse("risk_quality_run", args=[run.pk])).text
    with translation.override("zh-hans"):
        chinese = [str(FACTOR_LABELS["purchase_trend"]), str(RiskBand.GREY.label), str(BacktestRun.Status.DONE.label)]
        report = quality_report(relabelled)
    assert chinese[0] != "Purchase trend"
    for text in chinese:
        assert text in page
    assert report.predictors[0].label in page and "label from the evaluation" not in page


@pytest.mark.parametrize("result", SPARSE_RESULTS, ids=range(len(SPARSE_RESULTS)))
def test_a_sparse_result_still_renders(client, erin, version, result):
    run = done_run(version, result=result)
    response = as_user(client, erin).get(reverse("risk_quality_run", args=[run.pk]))
    assert response.status_code == 200
    assert 'data-testid="headline"' in response.text
    as_user(client, erin).get(INDEX)
    other = done_run(version)
    assert client.get(f"{COMPARE}?a={run.pk}&b={other.pk}").status_code == 200


def test_the_list_shows_each_run_with_its_auc(client, erin, version, adam):
    done_run(version, created_by=adam)
    f.BacktestRunFactory(model_version=version, status=BacktestRun.Status.FAILED, error="boom")
    response = as_user(client, erin).get(INDEX)
    runs = response.context["runs"]
    assert [r.status for r in runs] == ["failed", "done"]
    assert runs[1].score_auc == 0.83 and runs[0].score_auc is None
    assert "0.83" in response.text and "Failed" in response.text and "31 Jan 2025 – 31 Dec 2025" in response.text


# Comparing two runs -----------------------------------------------------------------------------


def test_two_done_runs_side_by_side(client, erin, version):
    v4 = f.RiskModelVersionFactory(version=4)
    better = copy.deepcopy(RESULT)
    better["version"] = 4
    better["predictors"][0]["auc"] = 0.86
    a, b = done_run(version), done_run(v4, result=better)
    response = as_user(client, erin).get(f"{COMPARE}?a={a.pk}&b={b.pk}")
    page = response.text
    assert response.status_code == 200
    assert "0.83" in page and "0.86" in page and "v3" in page and "v4" in page
    chart = response.context["compare"]["chart"]
    assert [p["label"] for p in chart["predictors"]] == [f"#{a.pk}: Risk score v3", f"#{b.pk}: Risk score v4"]
    factors = response.context["compare"]["factors"]
    assert [row["label"] for row in factors] == ["Purchase trend", "Relationship network", "Quality & complaints"]
    assert 'id="chart-roc"' in page and 'data-testid="compare-periods-differ"' not in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?a=1", "Choose two runs"),
        ("?a=x&b=2", "Choose two runs"),
        ("?a=-1&b=2", "Choose two runs"),
        ("?a=99999999999999999999&b=1", "Choose two runs"),
        ("?a={done}&b=424242", "There is no run #424242"),
        ("?a={done}&b={failed}", "has no result to compare: it is Failed"),
    ],
)
def test_a_bad_comparison_says_what_is_wrong(client, erin, version, query, message):
    done = done_run(version)
    failed = f.BacktestRunFactory(model_version=version, status=BacktestRun.Status.FAILED)
    response = as_user(client, erin).get(COMPARE + query.format(done=done.pk, failed=failed.pk))
    assert response.status_code == 400
    assert message in response.text


def test_the_comparison_without_runs_chosen_offers_a_picker(client, erin, version):
    as_user(client, erin)
    assert 'data-testid="compare-none"' in client.get(COMPARE).text
    done_run(version), done_run(version)
    page = client.get(COMPARE).text
    assert 'data-testid="compare-picker"' in page and 'name="a"' in page


# Query counts -----------------------------------------------------------------------------------


def _big_result() -> dict:
    big = copy.deepcopy(RESULT)
    big["dates"] = [f"2020-01-{day:02d}" for day in range(1, 29)] * 20
    for predictor in big["predictors"]:
        predictor["roc"] = [[i / 100, (i / 100) ** 0.5] for i in range(101)]
    big["notes"] = ["A note."] * 50
    return big


def test_query_counts_do_not_grow_with_runs_or_result_size(client, erin, version, django_assert_num_queries):
    a, b = done_run(version), done_run(version)
    as_user(client, erin)
    pages = {
        "list": INDEX,
        "run": reverse("risk_quality_run", args=[a.pk]),
        "compare": f"{COMPARE}?a={a.pk}&b={b.pk}",
        "progress": reverse("risk_quality_progress", args=[a.pk]),
    }
    # session, user, the user's roles, then the page's own queries
    expected = {"list": 5, "run": 5, "compare": 5, "progress": 4}
    for name, url in pages.items():
        with django_assert_num_queries(expected[name]):
            assert client.get(url).status_code == 200
    for _ in range(30):
        done_run(version, result=_big_result())
        f.BacktestRunFactory(model_version=f.RiskModelVersionFactory(), status=BacktestRun.Status.RUNNING)
    BacktestRun.objects.filter(pk__in=[a.pk, b.pk]).update(result=_big_result())
    for name, url in pages.items():
        with django_assert_num_queries(expected[name]):
            assert client.get(url).status_code == 200
