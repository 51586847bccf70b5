"""The competitor-intelligence section of the customer 360 page and its editors (add, correct),
on `keyaccounts.editing`. Entries are corrected, never deleted: like interactions, they are
evidence, and the history keeps every wording."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import CHANGE, customer_for, for_customer
from keyaccounts.editing import Editor, edit_version, editor_form, fragment_or_page, posted, refused, saved

from .. import services
from ..intel_forms import CompetitorIntelForm
from ..models import CompetitorIntel, Customer
from ..workspace.intel import customer_intel

SECTION = "section-intel"
SLOT = "intel-editor"
TEMPLATE = "accounts/_section_intel.html"

get_or_post = require_http_methods(["GET", "POST"])


def _context(customer: Customer) -> dict:
    return {"customer": customer, "intel": customer_intel(customer=customer)}


def _back(customer: Customer) -> str:
    return reverse("customer_detail", args=[customer.pk]) + f"#{SECTION}"


def _saved(request, customer: Customer, message: str):
    return saved(request, message, back=_back(customer), fragment=TEMPLATE, context=lambda: _context(customer))


def _form(request, customer: Customer, form, title: str, submit: str):
    editor = Editor(title, submit, section=SECTION, slot=SLOT)
    return editor_form(request, editor, form, back=_back(customer), customer=customer)


def _data(form) -> dict:
    return {k: v for k, v in form.cleaned_data.items() if k != "version"}


@login_required
@require_GET
def intel_section(request, pk: int):
    """The competitor-intelligence section alone (an htmx refresh of the section)."""
    customer = customer_for(request, pk)
    return fragment_or_page(request, TEMPLATE, _context(customer), title=_("Competitor intelligence"))


@login_required
@get_or_post
def intel_create(request, pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    form = CompetitorIntelForm(posted(request), customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            services.competitor_intel_add(customer=customer, by=request.user, **_data(form))
        except ValidationError as error:
            form = refused(form, error)
        else:
            return _saved(request, customer, _("Intelligence recorded."))
    return _form(request, customer, form, _("New competitor intelligence"), _("Record"))


@login_required
@get_or_post
def intel_edit(request, pk: int, intel_pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    queryset = CompetitorIntel.objects.select_related("customer")
    intel = for_customer(request, queryset, customer=customer, pk=intel_pk, action=CHANGE)
    form = CompetitorIntelForm(posted(request), customer=customer, intel=intel, version=edit_version(intel))
    if request.method == "POST" and form.is_valid():
        try:
            services.competitor_intel_update(intel=intel, version=form.cleaned_data["version"], **_data(form))
        except ValidationError as error:
            intel.refresh_from_db()
            form = refused(
                form,
                error,
                stored=lambda: CompetitorIntelForm(customer=customer, intel=intel, version=edit_version(intel)),
            )
        else:
            return _saved(request, customer, _("Intelligence corrected."))
    return _form(request, customer, form, _("Correct the intelligence"), _("Save"))
