"""What every in-page editor shares: loading the customer a write is about, refusing edits made
on a stale copy, and answering htmx requests with a fragment and full requests with a page."""

import hashlib
import json
from decimal import Decimal

from django import forms
from django.core.serializers.json import DjangoJSONEncoder
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

STALE_EDIT_MESSAGE = _(
    "Someone else changed this record after you opened it. Their change is shown now; "
    "check it and make your edit again."
)

# Unprocessable: htmx is configured (base.html) to swap this status, so a form with its errors
# replaces the form the user sent.
INVALID = 422


class StaleEdit(Exception):
    """The record changed between opening the form and saving it."""


def edit_version(instance) -> str:
    """A fingerprint of a record's stored values. Forms carry it in a hidden field; a save
    compares it with the row as it is now, so concurrent edits never silently overwrite."""
    values = {f.attname: _comparable(getattr(instance, f.attname)) for f in instance._meta.concrete_fields}
    raw = json.dumps(values, cls=DjangoJSONEncoder, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


def _comparable(value):
    # An unsaved Decimal("5000") and the stored 5000.00 are the same value.
    return str(value.normalize()) if isinstance(value, Decimal) else value


def lock_unchanged(instance, version: str):
    """Inside a transaction: lock the row and return it fresh, or raise StaleEdit if it no longer
    matches the version the form was opened with."""
    fresh = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
    if edit_version(fresh) != version:
        raise StaleEdit
    return fresh


def date_input() -> forms.DateInput:
    """The browser's date picker; it needs ISO dates, or a prefilled date shows as an empty field."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def render_fragment(request, template: str, context: dict, *, status: int = 200, title: str = ""):
    """htmx asks for the fragment alone; a plain request (no JavaScript, a bookmarked link) gets
    the same fragment inside the site layout."""
    if getattr(request, "htmx", False):
        return render(request, template, context, status=status)
    page = {**context, "fragment_template": template, "page_title": title}
    return render(request, "fragment_page.html", page, status=status)
