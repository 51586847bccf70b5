"""Download every kind of record as CSV or XLSX, in the import's format (`exchange.exporting`).

``GET /import/export/<kind>.csv`` streams a UTF-8 CSV with a byte-order mark (so Excel reads the
Chinese correctly); ``.xlsx`` builds a write-only workbook in a temporary file and sends it. Both
carry only the records the user may see — someone who may see none gets the header row alone —
with the headers in Chinese when the page is, and every cell guarded against formula injection.
"""

from __future__ import annotations

import csv
import tempfile

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import translation
from django.views.decorators.http import require_GET
from openpyxl import Workbook

from keyaccounts.clock import business_today

from .exporting import guard, headers, safe_rows
from .formats import FORMATS

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def xlsx_file(kind: str, user, *, chinese: bool):
    """The workbook in a temporary file, positioned at its start. Every cell is text, exactly as in
    the CSV (a code like 00042 or an amount like 125000.10 stays as written)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=kind[:31])
    sheet.append([guard(header) for header in headers(kind, chinese=chinese)])
    for values in safe_rows(kind, user):
        sheet.append(values)
    out = tempfile.TemporaryFile()
    workbook.save(out)
    out.seek(0)
    return out


@login_required
@require_GET
def export_records(request, kind: str, extension: str):
    if kind not in FORMATS or extension not in ("csv", "xlsx"):
        raise Http404
    filename = f"{kind}-{business_today().isoformat()}.{extension}"
    chinese = _chinese(request)
    if extension == "csv":
        response = StreamingHttpResponse(csv_lines(kind, request.user, chinese=chinese), content_type=CSV_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return FileResponse(
        xlsx_file(kind, request.user, chinese=chinese), as_attachment=True, filename=filename, content_type=XLSX_TYPE
    )
