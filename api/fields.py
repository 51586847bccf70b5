"""Serializer fields of the API beyond DRF's own.

DRF's CharField already refuses NUL bytes and lone surrogates (which PostgreSQL cannot store) and
trims blanks; `DayField` refuses a date outside `keyaccounts.clock`'s range (1900 to a few years
ahead), as the UI's forms and the imports do.
"""

from rest_framework import serializers

from keyaccounts.clock import date_in_range, out_of_range_message

__all__ = ["DayField", "out_of_range_message"]


class DayField(serializers.DateField):
    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not date_in_range(day):
            raise serializers.ValidationError(out_of_range_message())
        return day
