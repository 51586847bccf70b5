"""Hostile values for the property tests, and a fingerprint of the business data.

A form field's strategy mixes plausible values (so some examples are accepted and saved) with
hostile ones of the field's kind: text with NUL, control characters, RTL marks and characters from
the far planes, strings past the field's ``max_length``; numbers out of range, NaN, inf, huge;
dates far past or future or malformed; choices and ids that are not offered (another manager's
record, one that does not exist, one that is not a number). A field may also be missing or sent twice.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.apps import apps
from django.db import connection
from hypothesis import strategies as st

from keyaccounts.clock import business_today

BUSINESS_APPS = ("accounts", "relationships", "complaints")
MISSING = object()  # the field is left out of the request

# Characters a browser can send: anything but lone surrogates (they cannot be encoded as UTF-8).
CHARACTERS = st.characters(exclude_categories=("Cs",))
ODD_PIECES = st.sampled_from(
    [
        "\x00",
        "\x01\x02\x7f",
        "\x1b[31m",
        "\r\n",
        "\t",
        "\u202e",  # right-to-left override
        "\u200f",  # right-to-left mark
        "\u200b",  # zero-width space
        "\ufeff",
        "\u0301\u0301\u0301",
        "\U0001f4a9",
        "\U000e0001",
        "\U0010fffd",
        "\uffff",
        "%00",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "{{7*7}}",
        '=HYPERLINK("http://x")',
        "../../etc/passwd",
        "null",
        "   ",
    ]
)


def hostile_text(max_length: int | None = None) -> st.SearchStrategy[str]:
    longer = (max_length or 2000) + 1
    return st.one_of(
        st.text(CHARACTERS, max_size=40),
        st.tuples(st.text(CHARACTERS, max_size=10), ODD_PIECES, st.text(CHARACTERS, max_size=10)).map("".join),
        st.sampled_from(["", " ", "\x00"]),
        st.integers(min_value=longer, max_value=longer + 5000).map(lambda n: "x" * n),
    )


def plausible_text(max_length: int | None = None) -> st.SearchStrategy[str]:
    limit = min(max_length or 60, 60)
    return st.text(st.characters(categories=("L", "N", "Zs", "P")), min_size=1, max_size=limit).filter(str.strip)


HOSTILE_NUMBERS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(
        [
            "NaN",
            "nan",
            "inf",
            "-inf",
            "Infinity",
            "1e309",
            "-1e309",
            "1e-400",
            "-0",
            "0x1f",
            "1_000",
            "١٢",
            "²",
            "1.5",
            "1,5",
            "9" * 400,
            "",
            " ",
            "--1",
            "+-1",
        ]
    ),
)
HOSTILE_DATES = st.sampled_from(
    [
        "9999-12-31",
        "0001-01-01",
        "1899-12-31",
        "2026-02-30",
        "2026-13-01",
        "99999-01-01",
        "-2026-01-01",
        "0000-00-00",
        "today",
        "2026/01/01",
        "01/02/2026",
        "2026-01-01T00:00",
        "1e9",
        "",
        "2026-1-1\x00",
    ]
)
HOSTILE_DATETIMES = st.one_of(
    HOSTILE_DATES,
    st.sampled_from(["2026-01-01 25:00", "2026-01-01T10:00:00+99:00", "9999-12-31 23:59:59", "2026-01-01 10:00 PM"]),
)
HOSTILE_IDS = st.sampled_from(["0", "-1", "99999999", "9" * 40, "abc", "1.0", "1e3", "٣", " 1", "", "\x00", "null"])
HOSTILE_CHOICES = st.one_of(st.sampled_from(["", "x", "0", "-1", "NaN", "9" * 50, "\x00", "None"]), hostile_text(60))
HOSTILE_BOOLEANS = st.sampled_from(["on", "", "true", "false", "0", "1", "\x00", "on\x00"])


def _plausible_day() -> st.SearchStrategy[str]:
    return st.integers(min_value=-3000, max_value=120).map(lambda d: (business_today() + timedelta(days=d)).isoformat())


def _choice_values(field) -> list[str]:
    values = []
    for value, label in field.choices:
        if isinstance(label, list | tuple):  # an option group
            values.extend(str(v) for v, _ in label)
        else:
            values.append(str(value))
    return values


def field_strategies(form, name: str, *, others: list[str] = ()) -> tuple[st.SearchStrategy, st.SearchStrategy]:
    """(plausible, hostile) values of one field of ``form``. ``others``: ids of records of the
    field's model that the form must not accept (another manager's)."""
    field = form.fields[name]
    if name == "version":
        current = str(form[name].value() or form.initial.get(name) or field.initial or "")
        return st.just(current), st.one_of(st.sampled_from(["", "0", "1", "stale", current + "0"]), hostile_text(80))
    if isinstance(field, forms.ModelMultipleChoiceField):
        pks = [str(pk) for pk in field.queryset.values_list("pk", flat=True)[:20]]
        valid = st.lists(st.sampled_from(pks), max_size=3, unique=True) if pks else st.just([])
        bad = st.lists(st.one_of(HOSTILE_IDS, st.sampled_from(list(others) or ["0"])), min_size=1, max_size=3)
        return valid, bad
    if isinstance(field, forms.ModelChoiceField):
        pks = [str(pk) for pk in field.queryset.values_list("pk", flat=True)[:20]]
        valid = st.sampled_from(pks) if pks else st.just("")
        return valid, st.one_of(HOSTILE_IDS, st.sampled_from(list(others) or ["0"]))
    if isinstance(field, forms.MultipleChoiceField):
        values = _choice_values(field)
        valid = st.lists(st.sampled_from(values), max_size=2, unique=True) if values else st.just([])
        return valid, st.lists(HOSTILE_CHOICES, min_size=1)
    if isinstance(field, forms.ChoiceField):
        values = [v for v in _choice_values(field) if v] or [""]
        return st.sampled_from(values), HOSTILE_CHOICES
    if isinstance(field, forms.BooleanField):
        return st.sampled_from(["on", ""]), HOSTILE_BOOLEANS
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        low = field.min_value if field.min_value is not None else 0
        high = field.max_value if field.max_value is not None else 1000
        return st.integers(min_value=int(low), max_value=int(high)).map(str), HOSTILE_NUMBERS
    if isinstance(field, forms.DateTimeField):
        return _plausible_day().map(lambda d: f"{d} 10:00"), HOSTILE_DATETIMES
    if isinstance(field, forms.DateField):
        return _plausible_day(), HOSTILE_DATES
    if isinstance(field, forms.EmailField):
        return st.sampled_from(["li.na@example.com", ""]), st.one_of(
            hostile_text(field.max_length), st.just("a@" + "b" * 300 + ".com")
        )
    if isinstance(field, forms.CharField):
        return plausible_text(field.max_length), hostile_text(field.max_length)
    return st.just(""), hostile_text()


@st.composite
def form_data(draw, form, *, others: list[str] = (), skip=()) -> dict:
    """A request body for ``form``: all plausible, one field hostile, or anything at all; fields
    may be missing or sent twice. Fields in ``skip`` are left to the caller."""
    mode = draw(st.sampled_from(["plausible", "one hostile", "anything"]), label="mode")
    names = [name for name in form.fields if name not in skip]
    bad = draw(st.sampled_from(names), label="hostile field") if mode == "one hostile" and names else None
    data = {}
    for name in names:
        plausible, hostile = field_strategies(form, name, others=others)
        if mode == "plausible" or (mode == "one hostile" and name != bad):
            value = draw(plausible, label=name)
        elif mode == "one hostile":
            value = draw(hostile, label=name)
        else:
            value = draw(st.one_of(plausible, hostile, st.just(MISSING)), label=name)
        if value is MISSING:
            continue
        if mode == "anything" and not isinstance(value, list) and draw(st.booleans(), label=f"{name} twice"):
            value = [value, draw(st.one_of(plausible, hostile), label=f"{name} again")]
        if isinstance(value, list) and isinstance(form.fields[name], forms.BooleanField):
            value = value[:1]
        data[form.add_prefix(name)] = value
    return data


def _tables() -> list[str]:
    return sorted(
        {
            model._meta.db_table
            for label in BUSINESS_APPS
            for model in apps.get_app_config(label).get_models(include_auto_created=True)
        }
    )


def fingerprint() -> dict[str, list]:
    """Every row of every table of the business apps (history and many-to-many tables included):
    the test worlds are small, and this catches updates as well as inserts and deletes."""
    quote = connection.ops.quote_name
    rows = {}
    with connection.cursor() as cursor:
        for table in _tables():
            cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY 1")  # noqa: S608 - our own table names
            rows[table] = [tuple(map(repr, row)) for row in cursor.fetchall()]
    return rows


def changed_tables(before: dict, after: dict) -> list[str]:
    return [table for table in before if before[table] != after[table]]
