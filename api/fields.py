"""Serializer fields of the API beyond DRF's own.

DRF's CharField already refuses NUL bytes and lone surrogates (which PostgreSQL cannot store) and
trims blanks; `DayField` refuses a date outside `keyaccounts.clock`'s range (1900 to a few years
ahead), as the UI's forms and the imports do.
"""

from django.utils.translation import gettext
from rest_framework import serializers

from keyaccounts.clock import EARLIEST_DATE, date_in_range, latest_date


def out_of_range_message() -> str:
    return gettext("Give a date between %(first)s and %(last)s.") % {
        "first": EARLIEST_DATE.isoformat(),
        "last": latest_date().isoformat(),
    }


class DayField(serializers.DateField):
    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not date_in_range(day):
            raise serializers.ValidationError(out_of_range_message())
        return day
