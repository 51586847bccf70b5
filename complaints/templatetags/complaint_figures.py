"""Figures of the complaint analytics page: shares as percentages, durations in hours.

Values are rounded before formatting: number_format cuts extra decimals off rather than rounding.
"""

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext

register = template.Library()

NOTHING = "—"


@register.filter
def percent(share) -> str:
    """0.8333 → "83.3%"; no figure → a dash."""
    if share is None:
        return NOTHING
    return f"{number_format(round(share * 100, 1), 1)}%"


@register.filter
def hours(value) -> str:
    """12.25 → "12.3 h"; no figure → a dash."""
    if value is None:
        return NOTHING
    return gettext("%(hours)s h") % {"hours": number_format(round(value, 1), 1)}
