"""Simplified Chinese: ISO-style dates (2026-11-27, 2026-11-27 14:05), thousands grouped by commas.

Django's own zh_Hans formats group no digits (771636425); amounts here read 771,636,425, as in
Chinese business documents. The short formats equal the long ones, so every page shows one style.
The first input format is ISO, which date pickers need; 2026/11/27 and 2026年11月27日 are accepted.
"""

DATE_FORMAT = "Y-m-d"  # 2026-11-27
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"  # 2026-11-27 14:05
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "n月j日"  # 11月27日
YEAR_MONTH_FORMAT = "Y年n月"  # 2026年11月

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2026-11-27
    "%Y/%m/%d",  # 2026/11/27
    "%Y年%m月%d日",  # 2026年11月27日
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M",
    "%Y年%m月%d日 %H:%M",
]

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
