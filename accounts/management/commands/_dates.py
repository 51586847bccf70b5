"""Argument parsing shared by the risk commands."""

from datetime import date

from django.core.management.base import CommandError

from keyaccounts.clock import business_today


def parse_day(value: str | None, *, name: str = "--as-of", allow_future: bool = False) -> date:
    if not value:
        return business_today()
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{name} must be a date as YYYY-MM-DD, not {value!r}.") from exc
    if not allow_future and day > business_today():
        raise CommandError(f"{name} {day} is in the future; risk can only be computed up to today.")
    return day
