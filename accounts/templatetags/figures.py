"""Figures as the pages show them: changes with their sign, ratios, percentages and counts (a dash for none)."""

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def signed(value, decimals: int = 0) -> str:
    """A change with its sign and thousands separators: +1,200, -3.5, 0."""
    if value is None or value == "":
        return ""
    number = round(float(value), int(decimals))
    text = number_format(abs(number), int(decimals), use_l10n=True, force_grouping=True)
    if number > 0:
        return f"+{text}"
    if number < 0:
        return f"-{text}"
    return text


def _finite(value) -> float | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


@register.filter
def ratio(value, decimals: int = 2) -> str:
    """A number such as an AUC or a lift, fixed decimals; a dash when there is none."""
    number = _finite(value)
    if number is None:
        return "—"
    return number_format(round(number, int(decimals)), int(decimals), use_l10n=True)


@register.filter
def percent(value, decimals: int = 1) -> str:
    """A share (0.084) as a percentage (8.4%); a dash when there is none."""
    number = _finite(value)
    if number is None:
        return "—"
    return f"{number_format(round(number * 100, int(decimals)), int(decimals), use_l10n=True)}%"


@register.filter
def whole(value) -> str:
    """A count with thousands separators; a dash when there is none."""
    number = _finite(value)
    if number is None:
        return "—"
    return number_format(round(number), 0, use_l10n=True, force_grouping=True)
