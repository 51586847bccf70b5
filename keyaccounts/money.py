"""Amounts as people read them, in the active language and the site's currency (settings.CURRENCY).

`format_money` gives the exact figure with digit grouping and the currency: ``¥771,636,425`` in
Chinese, ``CN¥771,636,425`` in English (the symbols browsers use, so charts drawn with
Intl.NumberFormat agree). `format_compact` shortens big figures for dashboards and tables: Chinese
counts in 万 and 亿 (``7.72亿``, ``3,450万``), English in K, M and B (``771.6M``, ``34.5K``).
Nothing here is for files or APIs: exports keep raw numbers.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import get_language

DASH = "—"

# Symbol per currency and language family; a currency not listed shows its code ("CHF 1,200").
SYMBOLS: dict[str, dict[str, str]] = {
    "CNY": {"zh": "¥", "en": "CN¥"},
    "USD": {"zh": "US$", "en": "$"},
    "EUR": {"zh": "€", "en": "€"},
    "GBP": {"zh": "£", "en": "£"},
    "JPY": {"zh": "JP¥", "en": "¥"},
    "HKD": {"zh": "HK$", "en": "HK$"},
}

# (size, suffix) from the largest down; a figure below the last size is shown in full.
_UNITS: dict[str, list[tuple[int, str]]] = {
    "zh": [(10**8, "亿"), (10**4, "万")],
    "en": [(10**9, "B"), (10**6, "M"), (10**3, "K")],
}


def _family(language: str | None = None) -> str:
    return "zh" if (language or get_language() or settings.LANGUAGE_CODE).lower().startswith("zh") else "en"


def to_decimal(value) -> Decimal | None:
    """The value as a finite Decimal; None for None, "", booleans and anything not a number."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def currency_symbol(currency: str | None = None, language: str | None = None) -> str:
    """``¥`` / ``CN¥`` for the yuan; the code and a no-break space for a currency without a symbol."""
    code = (currency or settings.CURRENCY).upper()
    known = SYMBOLS.get(code)
    return known[_family(language)] if known else f"{code}\u00a0"


def grouped(number: Decimal, decimals: int) -> str:
    """``number`` rounded half up (number_format alone cuts digits off) with the language's grouping."""
    rounded = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return number_format(rounded, decimals, use_l10n=True, force_grouping=True)


def _with_symbol(number: Decimal, text: str, currency: str | None) -> str:
    sign = "-" if number < 0 and text.strip("0.,") else ""
    return f"{sign}{currency_symbol(currency)}{text}"


def format_money(value, decimals: int = 0, currency: str | None = None) -> str:
    """The exact amount: ``¥771,636,425`` / ``CN¥771,636,425``, ``-¥1,200.50``; a dash for none."""
    number = to_decimal(value)
    if number is None:
        return DASH
    return _with_symbol(number, grouped(abs(number), int(decimals)), currency)


def _short(number: Decimal, family: str) -> str:
    """``number`` (not negative) shortened, trailing zeros dropped: one decimal in English (771.6),
    three significant digits in Chinese (7.72, 12.3, 3,450)."""
    if family == "en":
        decimals = 1
    else:
        decimals = 2 if number < 10 else 1 if number < 100 else 0
    text = grouped(number, decimals)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_compact(value) -> str:
    """A big figure shortened: ``7.72亿``, ``3,450万`` / ``771.6M``, ``34.5K``; small ones in full."""
    number = to_decimal(value)
    if number is None:
        return DASH
    magnitude = abs(number)
    whole = magnitude.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    family = _family()
    units = _UNITS[family]
    text = grouped(magnitude, 0)
    for index, (size, suffix) in enumerate(units):
        if whole < size:
            continue
        short = _short(magnitude / size, family)
        text = short + suffix
        # 9,999.5万 rounds to 10,000万: the next unit up says it better (1亿).
        if index > 0 and Decimal(short.replace(",", "")) * size >= units[index - 1][0]:
            text = _short(magnitude / units[index - 1][0], family) + units[index - 1][1]
        break
    sign = "-" if number < 0 and text.strip("0.,") else ""
    return f"{sign}{text}"


def format_money_compact(value, currency: str | None = None) -> str:
    """A big amount shortened with its currency: ``¥7.72亿`` / ``CN¥771.6M``; a dash for none."""
    number = to_decimal(value)
    if number is None:
        return DASH
    return _with_symbol(number, format_compact(abs(number)), currency)
