"""Amounts on pages, in the site's currency (settings.CURRENCY) and the active language.

``{{ amount|money }}`` → ¥771,636,425 / CN¥771,636,425; ``{{ price|money:2 }}`` with cents.
``{{ amount|money_compact }}`` → ¥7.72亿 / CN¥771.6M for dashboards and tables, with the exact
amount in the title. ``{{ n|compact }}`` shortens a figure that is not money. A dash for none.
"""

from django import template
from django.utils.html import format_html

from keyaccounts.money import DASH, format_compact, format_money, format_money_compact, to_decimal

register = template.Library()


@register.filter
def money(value, decimals: int = 0) -> str:
    return format_money(value, int(decimals))


@register.filter
def money_compact(value):
    """The short amount, the exact one in its title (shown on hover)."""
    if to_decimal(value) is None:
        return DASH
    short, exact = format_money_compact(value), format_money(value)
    if short == exact:
        return short
    return format_html('<span class="money-compact" title="{}">{}</span>', exact, short)


@register.filter
def compact(value) -> str:
    return format_compact(value)


def _sign(number) -> str:
    return "+" if number > 0 and format_money(number) != format_money(0) else ""


@register.filter
def money_signed(value, decimals: int = 0) -> str:
    """A change of an amount, exact, with its sign: +¥1,200 / -CN¥3,400 (plain text, for e-mails)."""
    number = to_decimal(value)
    if number is None:
        return DASH
    return _sign(number) + format_money(number, int(decimals))


@register.filter
def money_change(value):
    """A change of an amount with its sign, short, the exact change in its title: +¥1.2万 / -CN¥3.4K."""
    number = to_decimal(value)
    if number is None:
        return DASH
    short, exact = _sign(number) + format_money_compact(number), money_signed(number)
    if short == exact:
        return short
    return format_html('<span class="money-compact" title="{}">{}</span>', exact, short)
