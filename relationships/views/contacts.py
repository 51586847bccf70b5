"""Add a contact at the customer, edit one, record that one left."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.permissions import CHANGE, customer_for, for_customer
from keyaccounts.editing import posted, refused

from .. import services
from ..forms import ContactForm, ContactLeftForm
from ..models import Contact
from .section import editor, form_response, get_or_post, saved_response

CONTACT_NEW = editor(gettext_lazy("Add a contact"), gettext_lazy("Add contact"), "contact-form")
CONTACT_EDIT = editor(gettext_lazy("Edit contact"), gettext_lazy("Save contact"), "contact-form")


def _contact(request, customer, contact_pk) -> Contact:
    return for_customer(request, Contact.objects, customer=customer, pk=contact_pk, action=CHANGE)


@login_required
@get_or_post
def contact_create(request, pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    form = ContactForm(posted(request), customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(customer=customer, **form.cleaned_data)
        except ValidationError as error:
            form = refused(form, error)
        else:
            return saved_response(request, customer, _("Contact %(name)s added.") % {"name": contact.name})
    return form_response(request, customer, form, CONTACT_NEW)


@login_required
@get_or_post
def contact_update(request, pk: int, contact_pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    contact = _contact(request, customer, contact_pk)
    form = ContactForm(posted(request), customer=customer, instance=contact)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_update(contact=contact, **form.cleaned_data)
        except ValidationError as error:
            contact.refresh_from_db()
            form = refused(form, error, stored=lambda: ContactForm(customer=customer, instance=contact))
        else:
            return saved_response(request, customer, _("Contact %(name)s saved.") % {"name": contact.name})
    return form_response(request, customer, form, CONTACT_EDIT)


@login_required
@get_or_post
def contact_left(request, pk: int, contact_pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    contact = _contact(request, customer, contact_pk)
    form = ContactLeftForm(posted(request), contact=contact)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_mark_left(contact=contact, **form.cleaned_data)
        except ValidationError as error:
            contact.refresh_from_db()
            form = refused(form, error, stored=lambda: ContactLeftForm(contact=contact))
        else:
            return saved_response(request, customer, _("%(name)s is marked as having left.") % {"name": contact.name})
    left = editor(
        _("%(name)s left the customer") % {"name": contact.name},
        _("Mark as left"),
        "contact-left-form",
        _("They stay on file, shown apart from the active contacts."),
    )
    return form_response(request, customer, form, left)
