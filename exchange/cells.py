"""One cell of an imported file turned into a value, or a reason why not.

Every converter takes the cell as read (text from a CSV, or a number / date / text from an XLSX)
and returns the Python value, ``None`` for an empty optional cell, or raises `CellError` with a
sentence the person who made the file understands.
"""

from __future__ import annotations

import re
import time as clock
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from keyaccounts.clock import EARLIEST_DATE, latest_date, project_zone


class CellError(ValueError):
    """Why a cell's value is refused."""


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d")
DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M:%S")
TRUE_WORDS = {"1", "true", "yes", "y", "是", "对", "x", "✓"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "不"}
LIST_SEPARATORS = re.compile(r"[;；,，|]")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_latest: list = [0.0, None]


def _latest_date() -> date:
    """`latest_date()`, looked up at most once a minute: imports convert millions of dates."""
    now = clock.monotonic()
    if now > _latest[0]:
        _latest[:] = [now + 60, latest_date()]
    return _latest[1]


# An apostrophe (after any others) before a formula trigger: the mark an export puts before text a
# spreadsheet would otherwise run as a formula (see `exchange.exporting.guard`).
FORMULA_ESCAPE = re.compile(r"'+[=+\-@\t\r]")


def text(raw) -> str:
    """The cell as stripped text ('' when empty). Refuses NUL and other control characters.

    One leading apostrophe is dropped when a formula trigger (= + - @, tab, carriage return)
    follows it, after any further apostrophes: an export writes "=SUM(A1)" as "'=SUM(A1)" so that a
    spreadsheet shows it as text, and "'=x" as "''=x"; each reads back as it was.
    """
    if raw is None:
        return ""
    if isinstance(raw, str):
        value = raw
    elif isinstance(raw, datetime):
        value = raw.isoformat(sep=" ")
    elif isinstance(raw, date):
        value = raw.isoformat()
    elif isinstance(raw, float) and raw.is_integer():
        value = str(int(raw))
    else:
        value = str(raw)
    if CONTROL.search(value):
        if "\x00" in value:
            raise CellError(_("contains a NUL byte"))
        raise CellError(_("contains a control character"))
    value = value.strip()
    if FORMULA_ESCAPE.match(value):
        value = value[1:]
    return value


def bounded_text(raw, max_length: int) -> str:
    value = text(raw)
    if len(value) > max_length:
        raise CellError(_("is longer than %(n)d characters") % {"n": max_length})
    return value


def _in_range(day: date) -> date:
    if day < EARLIEST_DATE:
        raise CellError(_("is before 1900"))
    if day > _latest_date():
        raise CellError(_("is too far in the future (after %(day)s)") % {"day": _latest_date().isoformat()})
    return day


def day(raw) -> date | None:
    """A date: 2026-03-31, 2026/3/31, 2026.03.31, 20260331, or a date cell of a spreadsheet."""
    if isinstance(raw, datetime):
        return _in_range(raw.date())
    if isinstance(raw, date):
        return _in_range(raw)
    value = text(raw)
    if not value:
        return None
    if len(value) == 10 and ISO_DATE.fullmatch(value):
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            raise CellError(_("is not a date (write it as YYYY-MM-DD)")) from None
        return _in_range(parsed)
    for fmt in DATE_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        # Outside the try: a CellError is a ValueError too, and the range's reason must show.
        return _in_range(parsed)
    raise CellError(_("is not a date (write it as YYYY-MM-DD)"))


def moment(raw) -> datetime | None:
    """A date and time in the business's time zone (or with an explicit offset); a bare date is midnight."""
    if isinstance(raw, datetime):
        found = raw
    elif isinstance(raw, date):
        found = datetime.combine(raw, time.min)
    else:
        value = text(raw)
        if not value:
            return None
        found = None
        try:
            found = datetime.fromisoformat(value)
        except ValueError:
            for fmt in DATETIME_FORMATS:
                try:
                    found = datetime.strptime(value, fmt)
                    break
                except ValueError:
                    continue
        if found is None:
            raise CellError(_("is not a date and time (write it as YYYY-MM-DD HH:MM)"))
    _in_range(found.date())
    if timezone.is_naive(found):
        found = found.replace(tzinfo=project_zone())
    return found


def decimal(
    raw, *, max_digits: int, places: int, minimum: Decimal | None = None, above: bool = False
) -> Decimal | None:
    """A number with at most ``places`` decimals; thousands separators (1,234.50) are accepted."""
    if isinstance(raw, bool):
        raise CellError(_("is not a number"))
    from_number = isinstance(raw, int | float)
    if from_number:
        value = Decimal(str(raw))
    else:
        cleaned = text(raw).replace(",", "").replace("，", "").replace(" ", "")
        if not cleaned:
            return None
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise CellError(_("is not a number")) from None
    if not value.is_finite():
        raise CellError(_("is not a number"))
    if value.as_tuple().exponent < -places and from_number:
        # A spreadsheet's binary fraction (12.300000000001), not a typed precision.
        value = value.quantize(Decimal(1).scaleb(-places))
    if value.as_tuple().exponent < -places:
        raise CellError(_("has more than %(n)d decimals") % {"n": places})
    if abs(value) >= Decimal(10) ** (max_digits - places):
        raise CellError(_("is too large"))
    if minimum is not None and (value <= minimum if above else value < minimum):
        raise CellError(
            _("must be above %(n)s") % {"n": minimum} if above else _("must be at least %(n)s") % {"n": minimum}
        )
    return value


def whole(raw, *, low: int, high: int) -> int | None:
    """A whole number between ``low`` and ``high``."""
    if isinstance(raw, bool):
        raise CellError(_("is not a whole number"))
    if isinstance(raw, float):
        if not raw.is_integer():
            raise CellError(_("is not a whole number"))
        raw = int(raw)
    if isinstance(raw, int):
        value = raw
    else:
        cleaned = text(raw)
        if not cleaned:
            return None
        try:
            value = int(cleaned)
        except ValueError:
            raise CellError(_("is not a whole number")) from None
    if not low <= value <= high:
        raise CellError(_("must be between %(low)d and %(high)d") % {"low": low, "high": high})
    return value


def flag(raw) -> bool | None:
    """yes/no, true/false, 1/0, 是/否."""
    if isinstance(raw, bool):
        return raw
    value = text(raw).lower()
    if not value:
        return None
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise CellError(_("is not yes or no"))


def items(raw) -> list[str]:
    """A list in one cell, separated by ; , or |."""
    return [part.strip() for part in LIST_SEPARATORS.split(text(raw)) if part.strip()]
