"""The import pages: upload, the check's preview with row-level errors, confirm, progress, templates."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import is_account_manager, is_admin
from accounts.spreadsheet_safety import CONTENT_TYPES
from keyaccounts.faults import enqueue

from . import jobs, tasks
from .engine import may_import
from .formats import FORMATS
from .models import ImportJob
from .reading import max_bytes, size_refusal

RECENT = 20


def _enqueue(request, task, job: ImportJob) -> None:
    """Queue the job's task; with the background service down the job stays as it was (its page
    offers the same button again: Import now when checked, Run again otherwise), and the user is
    told so."""
    if enqueue(task, job.pk):
        return
    if job.status == ImportJob.Status.CHECKED:
        refusal = _(
            "The background service is unavailable, so this import cannot run now. Nothing was imported "
            "and nothing was lost: press “Import now” again once the service is back."
        )
    else:
        refusal = _(
            "The background service is unavailable, so this file cannot be checked now. It is saved "
            "and nothing was lost: press “Run again” on this page once the service is back."
        )
    messages.warning(request, refusal)


def _count_labels() -> dict:
    """What each line of the counts table is about, in the page's language."""
    from accounts.models import Competitor, Customer, DeliveryLine, Order, PriceBenchmark, Product, PurchaseCriterion
    from complaints.models import Ticket
    from relationships.models import Contact, Interaction

    models = {
        "customers": Customer,
        "contacts": Contact,
        "interactions": Interaction,
        "orders": Order,
        "delivery_lines": DeliveryLine,
        "price_benchmarks": PriceBenchmark,
        "criteria": PurchaseCriterion,
        "tickets": Ticket,
        "products": Product,
        "competitors": Competitor,
    }
    return {label: model._meta.verbose_name_plural for label, model in models.items()}


def _importable(user) -> list:
    return [fmt for fmt in FORMATS.values() if may_import(user, fmt)]


def _job(request, pk: int) -> ImportJob:
    """A job its uploader or an admin may see; anyone else's reads as missing."""
    queryset = ImportJob.objects.select_related("user")
    if not is_admin(request.user):
        queryset = queryset.filter(user=request.user)
    return get_object_or_404(queryset, pk=pk)


def _may_use_imports(user) -> bool:
    return is_admin(user) or is_account_manager(user)


@login_required
@require_http_methods(["GET", "POST"])
def import_index(request):
    if not _may_use_imports(request.user):
        raise PermissionDenied
    formats = _importable(request.user)
    chosen, error = request.GET.get("kind") or "", ""
    if request.method == "POST":
        # Too large a request is refused before its body is read at all.
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > max_bytes() + 64 * 1024:
            error = size_refusal(length)
        else:
            chosen = request.POST.get("kind") or ""
            upload = request.FILES.get("file")
            if chosen not in {fmt.kind for fmt in formats}:
                error = _("Choose what the file holds.")
            elif upload is None:
                error = _("Choose a file.")
            else:
                try:
                    job = jobs.store_upload(request.user, chosen, upload)
                except jobs.UploadRefused as refused:
                    error = refused.message
                else:
                    _enqueue(request, tasks.check_import, job)
                    return redirect("import_job", pk=job.pk)
    recent = ImportJob.objects.select_related("user").order_by("-created_at", "-id")
    if not is_admin(request.user):
        recent = recent.filter(user=request.user)
    response = render(
        request,
        "exchange/index.html",
        {"formats": formats, "chosen": chosen, "error": error, "recent": recent[:RECENT]},
        status=422 if error else 200,
    )
    return response


def _job_context(job: ImportJob) -> dict:
    outcome = job.result or job.preview or {}
    labels = _count_labels()
    counts = {labels.get(label, label): c for label, c in (outcome.get("counts") or {}).items()}
    return {
        "job": job,
        "outcome": outcome,
        "counts": counts,
        "errors": outcome.get("errors") or [],
        "error_count": outcome.get("error_count", 0),
        "progress": jobs.progress_of(job),
        "interrupted": jobs.interrupted(job),
        "format": FORMATS.get(job.kind),
    }


@login_required
@require_GET
def import_job(request, pk: int):
    job = _job(request, pk)
    return render(request, "exchange/job.html", _job_context(job))


@login_required
@require_GET
def import_progress(request, pk: int):
    """The job's status panel, polled by the page while the job runs."""
    job = _job(request, pk)
    response = render(request, "exchange/_job_status.html", _job_context(job))
    if not job.is_running and request.GET.get("was") == "running":
        # Finished while the page watched: reload the whole page for the preview or the result.
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def import_apply(request, pk: int):
    job = _job(request, pk)
    if not may_import(request.user, FORMATS[job.kind]):
        raise PermissionDenied
    if job.status == ImportJob.Status.CHECKED or (job.status == ImportJob.Status.APPLYING and jobs.interrupted(job)):
        _enqueue(request, tasks.apply_import, job)
    elif job.status == ImportJob.Status.CHECKING and jobs.interrupted(job):
        _enqueue(request, tasks.check_import, job)
    else:
        messages.error(request, _("This import cannot be applied: %(status)s.") % {"status": job.get_status_display()})
        return render(request, "exchange/job.html", _job_context(job), status=409)
    return redirect("import_job", pk=job.pk)


@login_required
@require_GET
def import_template(request, kind: str, ext: str):
    """An empty file of the kind's format, with one example row; headers in the page's language."""
    fmt = FORMATS.get(kind)
    if fmt is None or ext not in ("csv", "xlsx"):
        raise Http404
    chinese = translation.get_language().startswith("zh")
    headers = [column.zh if chinese else column.key for column in fmt.columns]
    example = [column.example for column in fmt.columns]
    filename = f"{kind}-template.{ext}"
    if ext == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")
        writer = csv.writer(buffer)
        writer.writerow(headers)
        writer.writerow(example)
        response = HttpResponse(buffer.getvalue(), content_type=CONTENT_TYPES["csv"])
    else:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(kind)
        sheet.append(headers)
        sheet.append(example)
        out = io.BytesIO()
        book.save(out)
        response = HttpResponse(out.getvalue(), content_type=CONTENT_TYPES["xlsx"])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
