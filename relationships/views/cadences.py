"""Agree a communication schedule with the customer, change it, end it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.permissions import CHANGE, customer_for, for_customer
from keyaccounts.editing import posted, refused

from .. import services
from ..forms import CadenceEndForm, CadenceForm
from ..models import Cadence
from .section import editor, form_response, get_or_post, saved_response

CADENCE_NEW = editor(gettext_lazy("Add a cadence"), gettext_lazy("Add cadence"), "cadence-form")
CADENCE_EDIT = editor(gettext_lazy("Edit cadence"), gettext_lazy("Save cadence"), "cadence-form")


def _cadence(request, customer, cadence_pk) -> Cadence:
    return for_customer(request, Cadence.objects, customer=customer, pk=cadence_pk, action=CHANGE)


@login_required
@get_or_post
def cadence_create(request, pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    form = CadenceForm(posted(request), customer=customer, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            cadence = services.cadence_create(customer=customer, **form.cleaned_data)
        except ValidationError as error:
            form = refused(form, error)
        else:
            return saved_response(request, customer, _("Cadence %(name)s added.") % {"name": cadence.name})
    return form_response(request, customer, form, CADENCE_NEW)


@login_required
@get_or_post
def cadence_update(request, pk: int, cadence_pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    cadence = _cadence(request, customer, cadence_pk)
    form = CadenceForm(posted(request), customer=customer, user=request.user, instance=cadence)
    if request.method == "POST" and form.is_valid():
        try:
            cadence = services.cadence_update(cadence=cadence, **form.cleaned_data)
        except ValidationError as error:
            cadence.refresh_from_db()
            form = refused(
                form, error, stored=lambda: CadenceForm(customer=customer, user=request.user, instance=cadence)
            )
        else:
            return saved_response(request, customer, _("Cadence %(name)s saved.") % {"name": cadence.name})
    return form_response(request, customer, form, CADENCE_EDIT)


@login_required
@get_or_post
def cadence_end(request, pk: int, cadence_pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    cadence = _cadence(request, customer, cadence_pk)
    form = CadenceEndForm(posted(request), cadence=cadence)
    if request.method == "POST" and form.is_valid():
        try:
            cadence = services.cadence_end(cadence=cadence, **form.cleaned_data)
        except ValidationError as error:
            cadence.refresh_from_db()
            form = refused(form, error, stored=lambda: CadenceEndForm(cadence=cadence))
        else:
            return saved_response(request, customer, _("Cadence %(name)s ended.") % {"name": cadence.name})
    end = editor(
        _("End cadence %(name)s") % {"name": cadence.name},
        _("End cadence"),
        "cadence-end-form",
        _("From the day after, it is no longer due; it stays on file."),
    )
    return form_response(request, customer, form, end)
