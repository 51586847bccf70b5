"""The model quality pages: backtests of a risk model version against history; executives and admins only.

The list of runs with the form that starts one, a run's page (progress while it runs, its result
when done), the progress panel the page polls, and two runs side by side.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models.fields.json import KT
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from keyaccounts.faults import enqueue

from .. import tasks
from ..forms import QualityRunForm
from ..models import BacktestRun, RiskModelVersion
from ..permissions import may_see_model_quality
from ..risk import quality_runs
from ..risk.quality_report import compare_report, number, quality_report

# The list shows the latest runs; older ones stay in the admin.
LISTED_RUNS = 50
# The parts of a run every page reads: never the result of the runs it only lists.
VERSION_HEAVY = ("model_version__weights", "model_version__parameters", "model_version__notes")


def _queue(request, run: BacktestRun) -> None:
    """Queue the run's task once the run is committed; with the background service down the run
    stays recorded, its page offers to run it again, and the user is told so."""

    def send():
        if not enqueue(tasks.backtest_run, run.pk):
            messages.warning(
                request,
                _(
                    "The background service is unavailable, so this run cannot start now. It is saved and "
                    "nothing was lost: press “Run again” on its page once the service is back."
                ),
            )

    transaction.on_commit(send)


def _door(request) -> None:
    if not may_see_model_quality(request.user):
        raise PermissionDenied


def _runs():
    return BacktestRun.objects.select_related("model_version", "created_by").defer(*VERSION_HEAVY)


def _listed_runs(**filters) -> list[BacktestRun]:
    """The latest runs without their results; the score's AUC read out of each result by the database."""
    runs = list(
        _runs()
        .filter(**filters)
        .defer("result", "error")
        .annotate(score_auc_text=KT("result__predictors__0__auc"))[:LISTED_RUNS]
    )
    for run in runs:
        try:
            run.score_auc = number(float(run.score_auc_text)) if run.score_auc_text is not None else None
        except (TypeError, ValueError):
            run.score_auc = None
        run.interrupted = quality_runs.interrupted(run)
    return runs


@login_required
@require_http_methods(["GET", "POST"])
def quality_index(request):
    """Every recent run, and the form that starts one."""
    _door(request)
    versions = list(RiskModelVersion.objects.order_by("-version").only("pk", "version", "is_active"))
    form = QualityRunForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        run = quality_runs.quality_run_start(
            user=request.user,
            model_version=data["model_version"],
            start=data["start"],
            end=data["end"],
            horizon_days=data["horizon_days"],
        )
        _queue(request, run)
        return redirect("risk_quality_run", pk=run.pk)
    if request.method == "POST":
        chosen = form.data.get("model_version")
    else:
        chosen = next((v.pk for v in versions if v.is_active), versions[0].pk if versions else None)
    context = {"form": form, "versions": versions, "chosen": str(chosen or ""), "runs": _listed_runs()}
    return render(request, "accounts/quality/index.html", context, status=422 if form.is_bound else 200)


def _status_context(run: BacktestRun) -> dict:
    return {
        "run": run,
        "progress": quality_runs.progress_of(run),
        "interrupted": quality_runs.interrupted(run),
        "may_run_again": quality_runs.may_run_again(run),
    }


@login_required
@require_http_methods(["GET", "POST"])
def quality_run(request, pk: int):
    """A run: its progress while it runs, its result when done, its error when it failed. A POST
    runs a failed or interrupted run again."""
    _door(request)
    run = get_object_or_404(_runs(), pk=pk)
    if request.method == "POST":
        if quality_runs.quality_run_requeue(run):
            _queue(request, run)
            return redirect("risk_quality_run", pk=run.pk)
        refusal = _("This run cannot be started again: it is %(status)s.")
        messages.error(request, refusal % {"status": run.get_status_display()})
    report = quality_report(run.result) if run.status == BacktestRun.Status.DONE else None
    context = {
        **_status_context(run),
        "report": report,
        "charts": report.chart_data() if report else None,
        "others": _listed_runs(status=BacktestRun.Status.DONE) if report else [],
    }
    return render(request, "accounts/quality/run.html", context, status=409 if request.method == "POST" else 200)


@login_required
@require_GET
def quality_progress(request, pk: int):
    """The run's status panel, polled by its page while the run is queued or running."""
    _door(request)
    run = get_object_or_404(_runs().defer("result"), pk=pk)
    response = render(request, "accounts/quality/_run_status.html", _status_context(run))
    if not run.is_active and request.GET.get("was") == "active":
        # Finished while the page watched: reload the whole page for the result or the error.
        response["HX-Refresh"] = "true"
    return response


def _compare_pair(request) -> tuple[list[BacktestRun] | None, str]:
    """The two done runs of ``?a=&b=``, or None and what is wrong with the request."""
    raw = [request.GET.get("a", "").strip(), request.GET.get("b", "").strip()]
    if not any(raw):
        return None, ""
    if not all(value.isascii() and value.isdigit() and len(value) < 12 for value in raw):
        return None, _("Choose two runs to compare.")
    ids = [int(value) for value in raw]
    found = {run.pk: run for run in _runs().filter(pk__in=ids)}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        return None, _("There is no run #%(id)s.") % {"id": missing[0]}
    pair = [found[pk] for pk in ids]
    for run in pair:
        if run.status != BacktestRun.Status.DONE:
            return None, _("Run #%(id)s has no result to compare: it is %(status)s.") % {
                "id": run.pk,
                "status": run.get_status_display(),
            }
    return pair, ""


@login_required
@require_GET
def quality_compare(request):
    """Two done runs side by side (typically two model versions on the same period)."""
    _door(request)
    pair, problem = _compare_pair(request)
    context = {"problem": problem, "done_runs": _listed_runs(status=BacktestRun.Status.DONE)}
    context["a_id"], context["b_id"] = request.GET.get("a", ""), request.GET.get("b", "")
    if pair:
        a, b = pair
        reports = [quality_report(a.result), quality_report(b.result)]
        context.update(
            a=a,
            b=b,
            reports=reports,
            compare=compare_report(*reports, a_name=f"#{a.pk}", b_name=f"#{b.pk}"),
        )
    return render(request, "accounts/quality/compare.html", context, status=400 if problem else 200)
