"""English: day month year (27 Nov 2026, 27 Nov 2026 14:05), thousands grouped by commas.

Templates print dates with ``|date`` (DATE_FORMAT) or ``|date:"DATETIME_FORMAT"``; the short
formats are the same on purpose, so every page shows one style. Text date inputs accept this
style and ISO dates; the first input format is ISO, which date pickers need.
"""

DATE_FORMAT = "j M Y"  # 27 Nov 2026
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"  # 27 Nov 2026 14:05
SHORT_DATETIME_FORMAT = "j M Y H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j M"  # 27 Nov
YEAR_MONTH_FORMAT = "M Y"  # Nov 2026

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2026-11-27
    "%d %b %Y",  # 27 Nov 2026
    "%d %B %Y",  # 27 November 2026
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%d %b %Y %H:%M",  # 27 Nov 2026 14:05
    "%d %B %Y %H:%M",
]

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
