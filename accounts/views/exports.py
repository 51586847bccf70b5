"""Exports of the customer list (My accounts, its filters and sort, every page): the CSV streamed
at once, the XLSX written by a background job whose page shows its progress and, once written,
the download link. The same page serves the large record exports (`exchange.export_views`). A
job is its owner's alone: anyone else's reads as missing."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from exchange.formats import FORMATS
from keyaccounts.clock import business_today
from keyaccounts.faults import enqueue

from .. import tasks
from ..models import Customer, ExportJob
from ..spreadsheet_safety import CONTENT_TYPES
from ..workspace import export_jobs, exports
from ..workspace.common import latest_scored_on
from ..workspace.filters import filtered_accounts


@login_required
@require_GET
def export_csv(request):
    """The filtered list, all pages, as CSV streamed row by row from one query."""
    scored_on = latest_scored_on()
    filterset, _owners = filtered_accounts(user=request.user, params=request.GET, scored_on=scored_on)
    ids = filterset.count_queryset(Customer.objects.visible_to(request.user))
    response = StreamingHttpResponse(
        exports.csv_lines(filterset.qs, scored_on=scored_on, language=get_language(), ids=ids),
        content_type=CONTENT_TYPES["csv"],
    )
    response["Content-Disposition"] = f'attachment; filename="customers-{business_today().isoformat()}.csv"'
    return response


@login_required
@require_POST
def export_xlsx(request):
    """Start writing the filtered list (the query string of the form's action) as a workbook in the
    background, and go to the job's page."""
    job = export_jobs.export_ask(user=request.user, params=request.GET, language=get_language())
    if not enqueue(tasks.export_customers, job.pk):
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED, error="broker unreachable", finished_at=timezone.now()
        )
        messages.warning(
            request,
            _("The background service is unavailable, so the Excel file cannot be written now. Try again later."),
        )
    return redirect("export_job", pk=job.pk)


def _job(request, pk: int) -> ExportJob:
    return get_object_or_404(ExportJob, pk=pk, owner=request.user)


def _context(job: ExportJob) -> dict:
    records = FORMATS.get(job.kind) if job.kind else None
    return {
        "job": job,
        "lost": export_jobs.is_lost(job),
        "keep_until": export_jobs.keep_until(job),
        # A record export's kind (its import format), or None for the customer list.
        "records": records,
        "back": reverse("import_index") if records else reverse("home") + (f"?{job.query}" if job.query else ""),
    }


@login_required
@require_GET
def export_job(request, pk: int):
    """The export's page: its progress while it is written, then the download link."""
    return render(request, "accounts/export_job.html", _context(_job(request, pk)))


@login_required
@require_GET
def export_job_status(request, pk: int):
    """The export's status panel, polled by its page while the workbook is written."""
    return render(request, "accounts/_export_job_status.html", _context(_job(request, pk)))


@login_required
@require_GET
def export_job_download(request, pk: int):
    """The written workbook, for its owner, for a day."""
    job = _job(request, pk)
    path = export_jobs.export_download(job)
    if path is None:
        raise Http404
    day = timezone.localdate(job.finished_at).isoformat()
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"{job.kind or 'customers'}-{day}.{job.extension}",
        content_type=CONTENT_TYPES[job.extension],
    )
