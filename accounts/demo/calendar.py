"""The demo's time frame, with dates held as day ordinals so the hot loops do integer arithmetic."""

from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

HISTORY_DAYS = 3 * 365 + 1
# Customers were won up to this many years before the order history starts.
OLDEST_CUSTOMER_YEARS = 15
# Promised deliveries, incentive ends and next reviews may lie up to a year after today.
FUTURE_DAYS = 400


class DemoCalendar:
    """Today, the three years of history before it, and fast ordinal → date/datetime lookups.

    Every timestamp is built in UTC from the local midnight of its day, so adding hours is exact
    whatever the configured time zone does with daylight saving.
    """

    def __init__(self, today: date):
        self.today = today
        self.end = today.toordinal()  # exclusive: nothing happens on or after today
        self.start = self.end - HISTORY_DAYS
        self.first = self.start - OLDEST_CUSTOMER_YEARS * 366
        last = self.end + FUTURE_DAYS
        self._days = [date.fromordinal(o) for o in range(self.first, last + 1)]
        self._months = [d.month for d in self._days]
        tz = timezone.get_default_timezone()
        self._midnights = {}
        self._tz = tz
        self.cutoff = self.midnight(self.end)

    def day(self, ordinal: int) -> date:
        return self._days[ordinal - self.first]

    def month(self, ordinal: int) -> int:
        return self._months[ordinal - self.first]

    def midnight(self, ordinal: int) -> datetime:
        """The local start of the day, in UTC."""
        found = self._midnights.get(ordinal)
        if found is None:
            local = datetime.combine(self.day(ordinal), time(0), tzinfo=self._tz)
            found = self._midnights[ordinal] = local.astimezone(UTC)
        return found

    def at(self, ordinal: int, hours: float) -> datetime:
        return self.midnight(ordinal) + timedelta(hours=hours)

    @property
    def days(self) -> list[date]:
        """Dates indexed by ``ordinal - first`` (for loops that avoid a method call per row)."""
        return self._days

    @property
    def months(self) -> list[int]:
        return self._months
