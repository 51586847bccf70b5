"""How every in-page editor of the site works, in one place (below the apps: it imports none).

An editor is a form that htmx loads into an empty *slot* of a page section (``<div id=slot>``).
Its answers, for every editor of every app:

- opening it (GET): `editor_form` — the form alone into its slot (htmx), or the form on a page of
  its own (a plain request: no JavaScript, a bookmarked link);
- refused (POST with bad input, or a refusal from the service): `editor_form` again, status 422
  with the errors inline; htmx is told (django-htmx ``retarget``/``reswap``) to put it back in its
  slot instead of replacing the section;
- saved: `saved` — htmx gets the re-rendered section (and an event other parts of the page may
  listen to), a plain request a flashed message and a redirect back to the section.

Services refuse with a translated ``ValidationError``; `refused` puts it on the form. Edits of a
stored record carry its fingerprint (`edit_version`, a hidden ``version`` field); the service
re-reads the row under lock (`lock_unchanged`) and raises `StaleEdit` — itself a
``ValidationError`` — if someone changed it meanwhile; `refused` then shows the form re-opened on
the stored copy, with that message.

Whether a request gets a fragment or a page is decided by `fragment_or_page`, the one switch every
view uses (editors or not); templates see ``as_fragment`` when they are answered alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget, trigger_client_event

from .clock import EARLIEST_DATE, date_in_range, latest_date, out_of_range_message

STALE_EDIT_MESSAGE = _(
    "Someone else changed this record after you opened it. Their change is shown now; "
    "check it and make your edit again."
)

# Unprocessable: htmx is configured (base.html) to swap this status, so a form with its errors
# replaces the form the user sent.
INVALID = 422

EDITOR_TEMPLATE = "_editor.html"
PAGE_TEMPLATE = "fragment_page.html"

Context = dict | Callable[[], dict]


# Fragment or page ---------------------------------------------------------------------------


def wants_fragment(request) -> bool:
    """htmx asked, and wants a part of the page: not when it restores a page from its history
    after a cache miss, which needs the whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def fragment_or_page(
    request,
    fragment: str,
    context: dict,
    *,
    page: str | None = None,
    page_context: Context | None = None,
    status: int = 200,
    title: str = "",
) -> HttpResponse:
    """htmx gets ``fragment`` alone; a full request gets ``page`` (by default the fragment inside
    the site layout, titled ``title``). ``page_context`` is what only the page shows; a callable
    is called only when the page is rendered, so the fragment does not pay for it."""
    if wants_fragment(request):
        response = render(request, fragment, {**context, "as_fragment": True}, status=status)
    else:
        extra = page_context() if callable(page_context) else page_context or {}
        if page is None:
            page, extra = PAGE_TEMPLATE, {**extra, "fragment_template": fragment, "page_title": title}
        response = render(request, page, {**context, **extra}, status=status)
    # One URL, two answers: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


def saved(
    request,
    message: str = "",
    *,
    back: str,
    fragment: str | None = None,
    context: Context | None = None,
    event: str = "",
    reload: bool = False,
    status: int = 200,
    toast: bool = True,
) -> HttpResponse:
    """The answer to a write that went through.

    htmx: ``fragment`` re-rendered with ``context`` (a callable is called only here; the context
    carries ``message`` if the fragment shows it), or an empty answer without one; ``event`` is
    triggered on the client for other parts of the page, and ``message`` shows as a toast
    unless ``toast`` is off (the fragment says it itself). With ``reload`` htmx loads ``back`` whole
    instead (the change shows in more than one place), and ``message`` is flashed for it. A full
    request: ``message`` is flashed and the browser goes ``back``. ``status`` is for a batch
    refused as a whole, whose fragment says why (422).
    """
    if wants_fragment(request) and not reload:
        if fragment is None:
            response = HttpResponse("", status=status)
        else:
            values = context() if callable(context) else context or {}
            response = render(request, fragment, {**values, "as_fragment": True}, status=status)
        if message and toast and status < 300:
            # The page stays as it is: a toast says the change was saved (static/js/app.js).
            response = trigger_client_event(response, "kaToast", {"message": str(message)})
        return trigger_client_event(response, event) if event else response
    if message:
        messages.success(request, message)
    return HttpResponseClientRedirect(back) if wants_fragment(request) else redirect(back)


# Editors ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Editor:
    """What an editor's form says about itself, and where it lives on its page."""

    title: str
    submit: str
    section: str  # the id of the section a save re-renders, e.g. "section-relationships"
    slot: str  # the id of the slot inside it the form is loaded into, e.g. "relationships-editor"
    testid: str = "editor-form"
    intro: str = ""
    preface: str = ""  # a template shown above the fields, e.g. the customer's standing


def posted(request):
    """The data to bind a form to: the POST, or None when the form is only opened."""
    return request.POST if request.method == "POST" else None


def editor_form(request, editor: Editor, form, *, back: str, **context) -> HttpResponse:
    """The editor's form (`EDITOR_TEMPLATE`): into its slot, or on a page of its own.

    Shown in answer to a POST, it was refused: 422, and htmx puts it back into its slot instead
    of the section the form posts to. ``back`` is the page the cancel link returns to.
    """
    status = INVALID if request.method == "POST" else 200
    values = {**context, "editor": editor, "form": form, "action": request.get_full_path(), "back": back}
    response = fragment_or_page(request, EDITOR_TEMPLATE, values, status=status, title=editor.title)
    if status == INVALID and wants_fragment(request):
        retarget(response, f"#{editor.slot}")
        reswap(response, "innerHTML")
    return response


def refused(form, error: ValidationError, *, stored: Callable[[], forms.Form] | None = None):
    """The form to show after the service refused to save it, the refusal on it.

    `StaleEdit`: ``stored()`` — the same form opened on the record as stored now (a new version
    in its hidden field) — so the user sees the other change and can make theirs again. Any other
    refusal is put on the form as the user sent it.
    """
    if isinstance(error, StaleEdit) and stored is not None:
        form = stored()
        if not hasattr(form, "cleaned_data"):
            # An unbound form has no cleaned data, which add_error expects.
            form.cleaned_data = {}
    form.add_error(None, error)
    return form


# Refusing stale edits -----------------------------------------------------------------------


class StaleEdit(ValidationError):
    """Refused: the record changed between opening the form and saving it."""

    def __init__(self, message=STALE_EDIT_MESSAGE):
        super().__init__(message, code="stale")


def edit_version(instance) -> str:
    """A fingerprint of a record's stored values. Forms carry it in a hidden field; a save
    compares it with the row as it is now, so concurrent edits never silently overwrite. Columns
    the model names in ``DERIVED_FIELDS`` (kept by the code, e.g. a cadence's due date) are left
    out: their refresh is no one's edit."""
    derived = getattr(instance, "DERIVED_FIELDS", ())
    values = {
        f.attname: _comparable(getattr(instance, f.attname))
        for f in instance._meta.concrete_fields
        if f.attname not in derived
    }
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


def validate_day(value) -> None:
    """The one rule for a date a user enters: between 1900 and a few years ahead (`clock`)."""
    if value is None:
        return
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if not date_in_range(value):
        raise ValidationError(out_of_range_message(), code="out_of_range")


def bound_dates(form: forms.BaseForm) -> None:
    """Every date and date-time field of ``form`` refuses a date outside the range, and a date
    picker offers only dates inside it."""
    for field in form.fields.values():
        if not isinstance(field, forms.DateField | forms.DateTimeField) or validate_day in field.validators:
            continue
        field.validators.append(validate_day)
        if getattr(field.widget, "input_type", None) == "date":
            field.widget.attrs.setdefault("min", EARLIEST_DATE.isoformat())
            field.widget.attrs.setdefault("max", latest_date().isoformat())


class BoundedDates:
    """A form mixin (first among the bases): its date fields follow `validate_day`. Every form of
    the site with a date field has it, so a year 9999 is refused where it is typed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bound_dates(self)
