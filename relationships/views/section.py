"""The relationship section of the customer page: read on its own (`relationship_section`, which
the page loads after its first answer), and as every editor of it answers: the form in the
section's editor slot, and on a save the section re-rendered with what was saved (or, without
htmx, a redirect to it)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import customer_for
from keyaccounts.editing import Editor, editor_form, fragment_or_page, saved

from ..selectors import relationship_map

SECTION = "section-relationships"
SLOT = "relationships-editor"
SECTION_TEMPLATE = "relationships/_section_relationships.html"
# Other parts of the page that show contacts or interactions may listen and refresh.
CHANGED_EVENT = "relationships-changed"

get_or_post = require_http_methods(["GET", "POST"])


@login_required
@require_GET
def relationship_section(request, pk: int):
    """The relationship network alone: gaps, contacts, cadences, recent interactions."""
    customer = customer_for(request, pk)
    context = {"customer": customer, "relationships": relationship_map(customer=customer)}
    return fragment_or_page(request, SECTION_TEMPLATE, context, title=_("Relationship network"))


def editor(title, submit: str, testid: str, intro: str = "") -> Editor:
    return Editor(title, submit, section=SECTION, slot=SLOT, testid=testid, intro=intro)


def back_to_section(customer) -> str:
    return reverse("customer_detail", args=[customer.pk]) + f"#{SECTION}"


def form_response(request, customer, form, which: Editor):
    return editor_form(request, which, form, back=back_to_section(customer), customer=customer)


def saved_response(request, customer, message: str):
    def section() -> dict:
        return {"customer": customer, "relationships": relationship_map(customer=customer), "saved": message}

    return saved(
        request,
        message,
        back=back_to_section(customer),
        fragment=SECTION_TEMPLATE,
        context=section,
        event=CHANGED_EVENT,
        toast=False,  # the section shows the message itself
    )
