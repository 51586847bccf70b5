"""Figures as the dashboard shows them: changes with their sign."""

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
