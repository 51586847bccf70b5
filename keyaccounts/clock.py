"""Business days and their boundaries: the one home of "today" and of where a day starts and ends.

A business day is a calendar day in the project's time zone (``settings.TIME_ZONE``,
Asia/Shanghai by default). "On or before day D" for a timestamp is ``< day_end(D)``; "on or
after" is ``>= day_start(D)``. Every module asks this one for those bounds, so a date filter on
a dashboard, the nightly scorer and the analytics page can never disagree by a time zone.
"""

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext


def business_today() -> date:
    """Today's date in the project's time zone (not the server's, not UTC)."""
    return timezone.localdate()


def project_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@lru_cache(maxsize=256)
def day_start(day: date) -> datetime:
    """The first instant of ``day`` in the project's time zone."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


@lru_cache(maxsize=256)
def day_end(day: date) -> datetime:
    """The first instant after ``day`` in the project's time zone: "on or before" is ``< day_end``."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


@lru_cache(maxsize=256)
def utc_day_end(day: date, days_back: int = 0) -> datetime:
    """The end of the day ``days_back`` days before the end of ``day`` (local calendar days), in UTC.

    The same instant as ``day_end``; compared with the database's UTC datetimes it needs no
    time-zone lookups, and a nightly run asks for the same few bounds for every customer.
    """
    return (day_end(day) - timedelta(days=days_back)).astimezone(UTC)


def day_end_or_now(day: date) -> datetime:
    """The end of ``day``, or now if the day is not over yet."""
    return min(day_end(day), timezone.now())


# The dates a record may carry: nothing before 1900, nothing more than a few years ahead. Imports,
# the API and forms refuse others, so no page ever has to show a year 9999.
EARLIEST_DATE = date(1900, 1, 1)
YEARS_AHEAD = 5


def latest_date() -> date:
    """The last date a record may carry: ``YEARS_AHEAD`` years after today (28 February for 29)."""
    today = business_today()
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def date_in_range(day: date) -> bool:
    """Whether ``day`` lies between ``EARLIEST_DATE`` and ``latest_date()``."""
    return EARLIEST_DATE <= day <= latest_date()


def out_of_range_message() -> str:
    """The one message for a date outside the range, wherever it was entered."""
    return gettext("Give a date between %(first)s and %(last)s.") % {
        "first": EARLIEST_DATE.isoformat(),
        "last": latest_date().isoformat(),
    }


def add_days(day: date, days: int) -> date:
    """``day`` plus ``days``, held at ``date.min``/``date.max`` instead of overflowing: a date stored
    before the range was enforced (or by SQL) still gives a due date a page can show."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def as_date(value) -> date | None:
    """A date column from raw SQL or an aggregate: SQLite returns dates as ISO text."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)
