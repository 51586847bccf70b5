"""Download every kind of record as CSV or XLSX, in the import's format (`exchange.exporting`).

``/import/export/<kind>.csv`` streams a UTF-8 CSV with a byte-order mark (so Excel reads the
Chinese correctly) of up to `STREAM_MAX_ROWS` rows. A larger CSV, and a workbook of any size, are
written by a background job (`exchange.export_jobs`): a POST starts it and leads to the job's page
(its progress, then the download link); a GET shows how many rows there are and the button that
starts it. Every file carries only the records the user may see — someone who may see none gets
the header row alone — with the headers in Chinese when the page is, and every cell guarded
against formula injection.
"""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import ExportJob
from accounts.spreadsheet_safety import CONTENT_TYPES
from keyaccounts.clock import business_today
from keyaccounts.faults import enqueue

from . import tasks
from .export_jobs import STREAM_MAX_ROWS, records_export_ask
from .exporting import guard, headers, row_count, safe_rows
from .formats import FORMATS


class _Echo:
    """csv.writer writes into this and gets the line back, so lines can be streamed."""

    def write(self, value: str) -> str:
        return value


def _chinese(request) -> bool:
    return (getattr(request, "LANGUAGE_CODE", "") or translation.get_language() or "").startswith("zh")


def csv_lines(kind: str, user, *, chinese: bool):
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([guard(header) for header in headers(kind, chinese=chinese)])
    for values in safe_rows(kind, user):
        yield writer.writerow(values)


@login_required
@require_http_methods(["GET", "POST"])
def export_records(request, kind: str, extension: str):
    if kind not in FORMATS or extension not in ("csv", "xlsx"):
        raise Http404
    total = row_count(kind, request.user)
    if extension == "csv" and total <= STREAM_MAX_ROWS:
        filename = f"{kind}-{business_today().isoformat()}.csv"
        response = StreamingHttpResponse(
            csv_lines(kind, request.user, chinese=_chinese(request)), content_type=CONTENT_TYPES["csv"]
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    if request.method == "GET":
        context = {"fmt": FORMATS[kind], "extension": extension, "total": total, "stream_max": STREAM_MAX_ROWS}
        return render(request, "exchange/export_start.html", context)
    job = records_export_ask(user=request.user, kind=kind, extension=extension, language=get_language())
    if not enqueue(tasks.export_records, job.pk):
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED, error="broker unreachable", finished_at=timezone.now()
        )
        messages.warning(
            request, _("The background service is unavailable, so the file cannot be written now. Try again later.")
        )
    return redirect("export_job", pk=job.pk)
