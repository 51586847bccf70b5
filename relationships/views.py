"""The in-page editors of the relationship section of the customer page.

Each endpoint answers GET with its form and POST with either the re-rendered section (htmx) or a
redirect to the customer page (plain browser), or the form again with its errors (422).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.permissions import CHANGE, customer_for
from keyaccounts.editing import INVALID, StaleEdit, render_fragment

from . import services
from .forms import CadenceEndForm, CadenceForm, ContactForm, ContactLeftForm, InteractionForm, duplicate_cadence_error
from .selectors import relationship_map

SECTION_TEMPLATE = "relationships/_section_relationships.html"
EDITOR_TEMPLATE = "relationships/_editor.html"
EDITOR_SLOT = "#relationships-editor"

get_or_post = require_http_methods(["GET", "POST"])


@dataclass
class Editor:
    """What the form fragment says about itself: its heading, button and test hook."""

    title: str
    submit: str
    testid: str
    intro: str = ""


def _data(request):
    return request.POST if request.method == "POST" else None


def _form_response(request, customer, form, action: str, editor: Editor):
    status = INVALID if request.method == "POST" else 200
    context = {"customer": customer, "form": form, "action": action, "editor": editor}
    response = render_fragment(request, EDITOR_TEMPLATE, context, status=status, title=editor.title)
    if request.htmx and status == INVALID:
        # The form posts to replace the whole section; a refused form replaces only itself.
        response["HX-Retarget"] = EDITOR_SLOT
        response["HX-Reswap"] = "innerHTML"
    return response


def _saved(request, customer, message: str):
    if request.htmx:
        context = {"customer": customer, "relationships": relationship_map(customer=customer), "saved": message}
        response = render(request, SECTION_TEMPLATE, context)
        # Other parts of the page that show contacts or interactions may listen and refresh.
        response["HX-Trigger"] = "relationships-changed"
        return response
    messages.success(request, message)
    return redirect(reverse("customer_detail", args=[customer.pk]) + "#section-relationships")


# Contacts -----------------------------------------------------------------------------------

CONTACT_NEW = Editor(gettext_lazy("Add a contact"), gettext_lazy("Add contact"), "contact-form")
CONTACT_EDIT = Editor(gettext_lazy("Edit contact"), gettext_lazy("Save contact"), "contact-form")


@login_required
@get_or_post
def contact_create(request, pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    form = ContactForm(_data(request), customer=customer)
    if request.method == "POST" and form.is_valid():
        contact = services.contact_create(customer=customer, **form.cleaned_data)
        return _saved(request, customer, _("Contact %(name)s added.") % {"name": contact.name})
    return _form_response(request, customer, form, reverse("contact_create", args=[customer.pk]), CONTACT_NEW)


@login_required
@get_or_post
def contact_update(request, pk: int, contact_pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    contact = get_object_or_404(customer.contacts, pk=contact_pk)
    form = ContactForm(_data(request), customer=customer, instance=contact)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_update(contact=contact, **form.cleaned_data)
        except StaleEdit:
            contact.refresh_from_db()
            form = ContactForm.showing_stored(contact, customer=customer)
        else:
            return _saved(request, customer, _("Contact %(name)s saved.") % {"name": contact.name})
    action = reverse("contact_update", args=[customer.pk, contact.pk])
    return _form_response(request, customer, form, action, CONTACT_EDIT)


@login_required
@get_or_post
def contact_left(request, pk: int, contact_pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    contact = get_object_or_404(customer.contacts, pk=contact_pk)
    form = ContactLeftForm(_data(request), contact=contact)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_mark_left(contact=contact, **form.cleaned_data)
        except StaleEdit:
            contact.refresh_from_db()
            form = ContactLeftForm.showing_stored(contact)
        else:
            return _saved(request, customer, _("%(name)s is marked as having left.") % {"name": contact.name})
    editor = Editor(
        _("%(name)s left the customer") % {"name": contact.name},
        _("Mark as left"),
        "contact-left-form",
        _("They stay on file, shown apart from the active contacts."),
    )
    return _form_response(request, customer, form, reverse("contact_left", args=[customer.pk, contact.pk]), editor)


# Interactions -------------------------------------------------------------------------------

INTERACTION_NEW = Editor(gettext_lazy("Log an interaction"), gettext_lazy("Log interaction"), "interaction-form")
INTERACTION_EDIT = Editor(gettext_lazy("Edit interaction"), gettext_lazy("Save interaction"), "interaction-form")


@login_required
@get_or_post
def interaction_log(request, pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    form = InteractionForm(_data(request), customer=customer, user=request.user)
    if request.method == "POST" and form.is_valid():
        interaction = services.interaction_log(customer=customer, by=request.user, **form.cleaned_data)
        return _saved(request, customer, _("Logged: %(subject)s.") % {"subject": interaction.subject})
    return _form_response(request, customer, form, reverse("interaction_log", args=[customer.pk]), INTERACTION_NEW)


@login_required
@get_or_post
def interaction_update(request, pk: int, interaction_pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    interaction = get_object_or_404(customer.interactions, pk=interaction_pk)
    form = InteractionForm(_data(request), customer=customer, user=request.user, instance=interaction)
    if request.method == "POST" and form.is_valid():
        try:
            interaction = services.interaction_update(interaction=interaction, **form.cleaned_data)
        except StaleEdit:
            interaction.refresh_from_db()
            form = InteractionForm.showing_stored(interaction, customer=customer, user=request.user)
        else:
            return _saved(request, customer, _("Interaction saved: %(subject)s.") % {"subject": interaction.subject})
    action = reverse("interaction_update", args=[customer.pk, interaction.pk])
    return _form_response(request, customer, form, action, INTERACTION_EDIT)


# Cadences -----------------------------------------------------------------------------------

CADENCE_NEW = Editor(gettext_lazy("Add a cadence"), gettext_lazy("Add cadence"), "cadence-form")
CADENCE_EDIT = Editor(gettext_lazy("Edit cadence"), gettext_lazy("Save cadence"), "cadence-form")


@login_required
@get_or_post
def cadence_create(request, pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    form = CadenceForm(_data(request), customer=customer, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            cadence = services.cadence_create(customer=customer, **form.cleaned_data)
        except services.DuplicateCadence:
            form.add_error(None, duplicate_cadence_error())
        else:
            return _saved(request, customer, _("Cadence %(name)s added.") % {"name": cadence.name})
    return _form_response(request, customer, form, reverse("cadence_create", args=[customer.pk]), CADENCE_NEW)


@login_required
@get_or_post
def cadence_update(request, pk: int, cadence_pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    cadence = get_object_or_404(customer.cadences, pk=cadence_pk)
    form = CadenceForm(_data(request), customer=customer, user=request.user, instance=cadence)
    if request.method == "POST" and form.is_valid():
        try:
            cadence = services.cadence_update(cadence=cadence, **form.cleaned_data)
        except StaleEdit:
            cadence.refresh_from_db()
            form = CadenceForm.showing_stored(cadence, customer=customer, user=request.user)
        except services.DuplicateCadence:
            form.add_error(None, duplicate_cadence_error())
        else:
            return _saved(request, customer, _("Cadence %(name)s saved.") % {"name": cadence.name})
    action = reverse("cadence_update", args=[customer.pk, cadence.pk])
    return _form_response(request, customer, form, action, CADENCE_EDIT)


@login_required
@get_or_post
def cadence_end(request, pk: int, cadence_pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    cadence = get_object_or_404(customer.cadences, pk=cadence_pk)
    form = CadenceEndForm(_data(request), cadence=cadence)
    if request.method == "POST" and form.is_valid():
        try:
            cadence = services.cadence_end(cadence=cadence, **form.cleaned_data)
        except StaleEdit:
            cadence.refresh_from_db()
            form = CadenceEndForm.showing_stored(cadence)
        else:
            return _saved(request, customer, _("Cadence %(name)s ended.") % {"name": cadence.name})
    editor = Editor(
        _("End cadence %(name)s") % {"name": cadence.name},
        _("End cadence"),
        "cadence-end-form",
        _("From the day after, it is no longer due; it stays on file."),
    )
    return _form_response(request, customer, form, reverse("cadence_end", args=[customer.pk, cadence.pk]), editor)
