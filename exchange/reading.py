"""An uploaded file opened as a table: its type and encoding found, its rows streamed, never held whole.

CSV (comma, semicolon or tab separated; UTF-8 with or without BOM, or GB18030 — what Excel saves
on a Chinese Windows) and XLSX (the first sheet). Anything else is refused with a sentence that
says what the file seems to be. Rows are numbered as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

ENCODINGS = ("utf-8", "gb18030")
BLOCK = 1 << 20
MB = 1024 * 1024
# What a damaged workbook raises, while opening or half-way through its rows (a broken sheet's XML
# is a SyntaxError; a damaged compressed member a zlib.error or an EOFError).
BROKEN_WORKBOOK = (zipfile.BadZipFile, zlib.error, EOFError, KeyError, OSError, SyntaxError, TypeError, ValueError)


class FileRefused(Exception):
    """The file as a whole cannot be read; nothing of it is imported."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def max_bytes() -> int:
    return getattr(settings, "IMPORT_MAX_BYTES", 150 * 1024 * 1024)


def size_refusal(size: int) -> str | None:
    """Why a file of ``size`` bytes is refused, or None."""
    if size == 0:
        return _("The file is empty.")
    limit = max_bytes()
    if size > limit:
        return _("The file is %(size)d MB; files up to %(limit)d MB are accepted. Split it in parts.") % {
            # Rounded up: a file a little over the limit must not read as "150 MB; up to 150 MB".
            "size": -(-size // MB),
            "limit": limit // MB,
        }
    return None


@dataclass
class Table:
    """Header names and a stream of ``(row number, cells)``; ``fraction()`` tells how far it got."""

    headers: list[str]
    rows: Iterator[tuple[int, list]]
    fraction: callable = field(default=lambda: 0.0)
    file_type: str = "csv"
    encoding: str = ""


def _detect_encoding(path: Path) -> str:
    """The first of UTF-8 and GB18030 that decodes the whole file (read in blocks)."""
    for encoding in ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as handle:
                while block := handle.read(BLOCK):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise FileRefused(
        _("The file's text is neither UTF-8 nor GB18030. Save it as CSV UTF-8 or as an Excel workbook (.xlsx).")
    )


def _looks_binary(head: bytes) -> str | None:
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return _("This is an old Excel file (.xls). Save it as an Excel workbook (.xlsx) or as CSV.")
    if head.startswith(b"%PDF"):
        return _("This is a PDF, not a CSV or XLSX file.")
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!")):
        return _("This is not a CSV or XLSX file (it looks like an image or an archive).")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _("The file is in UTF-16. Save it as CSV UTF-8 or as an Excel workbook (.xlsx).")
    if head.count(b"\x00") > 8:
        return _("This is not a CSV or XLSX file (it holds binary data).")
    return None


def _clean_header(value) -> str:
    return "" if value is None else str(value).replace("\ufeff", "").strip()


def _non_blank(cells) -> bool:
    return any(cell not in (None, "") and not (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _open_csv(path: Path, size: int) -> Table:
    encoding = _detect_encoding(path)
    # utf-8-sig drops a leading BOM (and reads a file without one as plain UTF-8): a BOM left in
    # the text would stick to the first header, and hide the quote of a quoted one.
    decoding = "utf-8-sig" if encoding == "utf-8" else encoding
    with open(path, encoding=decoding, newline="") as head:
        sample = head.read(64 * 1024)
    raw = open(path, "rb")  # noqa: SIM115 — closed when the rows are exhausted
    stream = io.TextIOWrapper(raw, encoding=decoding, newline="")
    first_line = sample.splitlines()[0] if sample else ""
    delimiter = max((",", ";", "\t"), key=first_line.count) if first_line else ","
    reader = csv.reader(stream, delimiter=delimiter)
    csv.field_size_limit(1 << 20)

    def records() -> Iterator[tuple[int, list]]:
        number = 0
        try:
            for number, cells in enumerate(reader, start=1):
                yield number, cells
        except csv.Error as error:
            raise FileRefused(_("Row %(row)d is not valid CSV: %(why)s") % {"row": number + 1, "why": error}) from None
        finally:
            raw.close()

    stream_rows = records()
    headers = None
    for _number, cells in stream_rows:
        if _non_blank(cells):
            headers = [_clean_header(cell) for cell in cells]
            break
    if headers is None:
        raw.close()
        raise FileRefused(_("The file has no header row."))

    def data() -> Iterator[tuple[int, list]]:
        for number, cells in stream_rows:
            if _non_blank(cells):
                yield number, cells

    return Table(headers, data(), lambda: raw.tell() / size if not raw.closed else 1.0, "csv", encoding)


def _open_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (*BROKEN_WORKBOOK, InvalidFileException):
        raise FileRefused(_("The file is not a valid Excel workbook (.xlsx).")) from None
    if not book.worksheets:
        raise FileRefused(_("The workbook has no sheet."))
    sheet = book.worksheets[0]
    total = sheet.max_row or 0
    position = {"row": 0}
    rows = sheet.iter_rows(values_only=True)

    def records() -> Iterator[tuple[int, list]]:
        try:
            for number, cells in enumerate(rows, start=1):
                position["row"] = number
                yield number, list(cells)
        except BROKEN_WORKBOOK as error:
            raise FileRefused(_("The workbook cannot be read: %(why)s") % {"why": error}) from None
        finally:
            book.close()

    stream_rows = records()
    headers = None
    for _number, cells in stream_rows:
        if _non_blank(cells):
            headers = [_clean_header(cell) for cell in cells]
            break
    if headers is None:
        book.close()
        raise FileRefused(_("The file has no header row."))
    while headers and not headers[-1]:
        headers.pop()

    def data() -> Iterator[tuple[int, list]]:
        for number, cells in stream_rows:
            if _non_blank(cells):
                yield number, cells

    return Table(headers, data(), lambda: position["row"] / total if total else 0.0, "xlsx", "")


def open_table(path: Path | str) -> Table:
    """The file at ``path`` as a table, or `FileRefused` saying why not."""
    path = Path(path)
    size = path.stat().st_size
    if refusal := size_refusal(size):
        raise FileRefused(refusal)
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if head.startswith(b"PK\x03\x04"):
        return _open_xlsx(path)
    if refusal := _looks_binary(head):
        raise FileRefused(refusal)
    return _open_csv(path, size)
