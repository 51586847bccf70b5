"""The account-data section of the customer page and its editors: relationship level (dated, with
its reason), peak months, backup owner and team, churn and win-back, on `keyaccounts.editing`.

Everyone who sees the customer reads the section; its owner and admins edit it
(`may_edit_account_data`): a backup owner, team member or executive gets 403, and someone who does
not see the customer 404.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import customer_for, may_edit_account_data
from keyaccounts.editing import Editor, edit_version, editor_form, fragment_or_page, posted, refused, saved

from .. import services
from ..account_forms import ChurnForm, LevelChangeForm, PeakMonthsForm, PeopleForm, RecoverForm
from ..models import Customer
from ..workspace.account_data import customer_account_data

SECTION = "accounts/_section_account.html"
get_or_post = require_http_methods(["GET", "POST"])


def section_context(request, customer: Customer) -> dict:
    return {
        "customer": customer,
        "account": customer_account_data(customer=customer),
        "can_edit_account": may_edit_account_data(request.user, customer),
        "team": list(customer.account_team.all()),
    }


def _editable(request, pk: int) -> Customer:
    customer = customer_for(request, pk)
    if not may_edit_account_data(request.user, customer):
        raise PermissionDenied
    return customer


def _back(customer: Customer) -> str:
    return reverse("customer_detail", args=[customer.pk]) + "#section-account"


def _editor(title: str, submit: str, intro: str = "") -> Editor:
    return Editor(title, submit, section="section-account", slot="account-editor", intro=intro)


def _fresh(customer: Customer) -> Customer:
    return Customer.objects.select_related("owner", "backup_owner").get(pk=customer.pk)


def _saved(request, customer: Customer, message: str):
    return saved(
        request,
        message,
        back=_back(customer),
        fragment=SECTION,
        context=lambda: section_context(request, _fresh(customer)),
    )


def _edit(request, pk: int, form_class, write, *, title: str, submit: str, message: str, intro: str = ""):
    """The shared shape of every editor here: the form on the customer's stored copy (its version),
    the service, refusals back on the form (a stale edit re-opened on the stored copy)."""
    customer = _editable(request, pk)
    form = form_class(posted(request), customer=customer, version=edit_version(customer))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            write(customer=customer, by=request.user, **data)
        except ValidationError as error:
            stored = _fresh(customer)
            form = refused(form, error, stored=lambda: form_class(customer=stored, version=edit_version(stored)))
        else:
            return _saved(request, customer, message)
    editor = _editor(title, submit, intro)
    return editor_form(request, editor, form, back=_back(customer), customer=customer)


@login_required
@require_GET
def account_section(request, pk: int):
    customer = customer_for(request, pk)
    return fragment_or_page(request, SECTION, section_context(request, customer), title=_("Account data"))


@login_required
@get_or_post
def level_change(request, pk: int):
    return _edit(
        request,
        pk,
        LevelChangeForm,
        services.relationship_level_change,
        title=_("Change the relationship level"),
        submit=_("Save level"),
        message=_("Relationship level changed."),
        intro=_("The change is kept with its date and reason; the risk score reads the new level from that date."),
    )


@login_required
@get_or_post
def peak_months_edit(request, pk: int):
    return _edit(
        request,
        pk,
        PeakMonthsForm,
        services.peak_months_set,
        title=_("Peak season months"),
        submit=_("Save"),
        message=_("Peak months saved."),
    )


@login_required
@get_or_post
def people_edit(request, pk: int):
    return _edit(
        request,
        pk,
        PeopleForm,
        services.account_people_set,
        title=_("Backup owner and account team"),
        submit=_("Save"),
        message=_("Backup owner and account team saved."),
        intro=_("Only account managers and admins may hold a customer."),
    )


@login_required
@get_or_post
def churn_record(request, pk: int):
    return _edit(
        request,
        pk,
        ChurnForm,
        services.churn_record,
        title=_("Record the customer as lost"),
        submit=_("Record churn"),
        message=_("Churn recorded."),
    )


@login_required
@get_or_post
def churn_recover(request, pk: int):
    return _edit(
        request,
        pk,
        RecoverForm,
        services.churn_recover,
        title=_("Record a win-back"),
        submit=_("Record win-back"),
        message=_("Win-back recorded: the customer is active again."),
        intro=_("The churn stays on record, so won-back customers can be counted."),
    )
