"""Large record exports written in the background: an XLSX of any size, and a CSV of more rows
than a request should stream (`STREAM_MAX_ROWS`). The job, its page, its progress, its download
and its removal a day later are the customer list's (`accounts.workspace.export_jobs`); what is
written here is the import format's file (`exchange.exporting`), with the records its owner may
see when the job runs."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from django.utils.translation import gettext as _
from openpyxl import Workbook

from accounts.models import ExportJob
from accounts.workspace.export_jobs import ExportRefused, run_job, set_fields

from .exporting import guard, headers, row_count, safe_rows

# A CSV of more rows is written in the background rather than streamed: at about 35,000 rows a
# second, 200,000 rows take some 6 s, and a request held much longer meets the web server's timeout.
STREAM_MAX_ROWS = 200_000
# Rows a worksheet holds below its header row.
XLSX_MAX_ROWS = 1_048_575
PROGRESS_EVERY = 5_000


def records_export_ask(*, user, kind: str, extension: str, language: str) -> ExportJob:
    return ExportJob.objects.create(owner=user, kind=kind, extension=extension, language=language)


def records_export_run(job_id: int) -> ExportJob | None:
    """Write the file of a record export (``accounts.workspace.export_jobs.run_job``)."""
    return run_job(job_id, _write)


def _write(job: ExportJob, path: Path) -> int:
    total = row_count(job.kind, job.owner)
    if job.extension == "xlsx" and total > XLSX_MAX_ROWS:
        raise ExportRefused(
            _("%(rows)s rows are too many for an Excel file (at most %(limit)s). Export them as CSV.")
            % {"rows": f"{total:,}", "limit": f"{XLSX_MAX_ROWS:,}"}
        )
    set_fields(job, rows_total=total)
    return write_file(
        job.kind,
        job.owner,
        path,
        extension=job.extension,
        chinese=job.language.startswith("zh"),
        progress=lambda rows: set_fields(job, rows_written=rows),
    )


def write_file(
    kind: str, user, path: Path, *, extension: str, chinese: bool, progress: Callable[[int], None] | None = None
) -> int:
    """Write the records of ``kind`` the user may see to ``path`` as CSV or XLSX, exactly as the
    streamed CSV (`export_views.csv_lines`) carries them; ``progress`` hears the rows written every
    `PROGRESS_EVERY` rows. Returns the rows written."""
    header = [guard(name) for name in headers(kind, chinese=chinese)]
    written = 0

    def counted():
        nonlocal written
        for written, values in enumerate(safe_rows(kind, user), start=1):
            yield values
            if progress is not None and written % PROGRESS_EVERY == 0:
                progress(written)

    if extension == "csv":
        # UTF-8 with a byte-order mark, so Excel reads the Chinese.
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows(counted())
    else:
        # Every cell is text, exactly as in the CSV (a code like 00042 or an amount like 125000.10
        # stays as written); a write-only workbook streams its rows to disk.
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=kind[:31])
        sheet.append(header)
        for values in counted():
            sheet.append(values)
        workbook.save(path)
    return written
