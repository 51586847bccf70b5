"""Keeps exported text from being run as a spreadsheet formula (CSV / formula injection).

Excel, LibreOffice and Google Sheets treat a cell starting with ``=``, ``+``, ``-`` or ``@`` as a
formula, and tab or carriage return can smuggle one past a naive check. Customer names, notes
and contact details are typed by people, so an exported "=HYPERLINK(...)" must arrive as text.
Numbers are emitted by us, not typed, and stay numbers (a quoted "-12.5" would no longer sum).
"""

from decimal import Decimal

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# The content types of the spreadsheet files the app hands out (exports, the dashboard's
# workbook, the import's templates).
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def neutralise(value):
    """The value as safe cell content: control characters no workbook can hold are removed
    first — so that "\x01=HYPERLINK(...)" cannot lose its disguise after the check — then text
    starting with a formula trigger gets a leading apostrophe; numbers, dates and None pass
    unchanged."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if not isinstance(value, str):
        # Dates, datetimes: spreadsheet types, never formulas.
        if hasattr(value, "isoformat"):
            return value
        value = str(value)
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
