"""In-page editors of the customer 360 page: purchase criteria and strategy (account plan,
product needs, incentives), on `keyaccounts.editing`.

Every editor loads its customer through the write door and its row through that customer, answers
htmx with the re-rendered section (or the form again with its errors, status 422, in its slot),
and full requests with a page and a redirect back to the section.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import CHANGE, customer_for, for_customer
from keyaccounts.editing import Editor, edit_version, editor_form, fragment_or_page, posted, refused, saved

from .. import services
from ..forms import (
    AccountPlanForm,
    CriterionAssessmentForm,
    IncentiveEndForm,
    IncentiveForm,
    NeedStatusForm,
    ProductNeedForm,
)
from ..models import Customer, Incentive, ProductNeed, PurchaseCriterion
from ..workspace.customer import customer_criteria, customer_strategy

CRITERIA = "criteria"
STRATEGY = "strategy"
SECTION_TEMPLATES = {CRITERIA: "accounts/_section_criteria.html", STRATEGY: "accounts/_section_strategy.html"}

get_or_post = require_http_methods(["GET", "POST"])


def _section_context(customer: Customer, section: str) -> dict:
    if section == CRITERIA:
        return {"customer": customer, "criteria": customer_criteria(customer=customer)}
    return {"customer": customer, "strategy": customer_strategy(customer=customer)}


def _back(customer: Customer, section: str) -> str:
    return reverse("customer_detail", args=[customer.pk]) + f"#section-{section}"


def _editor(section: str, slot: str, title: str, submit: str, intro: str = "") -> Editor:
    return Editor(title, submit, section=f"section-{section}", slot=slot, intro=intro)


def _form(request, customer: Customer, form, editor: Editor, section: str):
    return editor_form(request, editor, form, back=_back(customer, section), customer=customer)


def _saved(request, customer: Customer, section: str, message: str):
    """htmx: the whole section again, showing the change. Full request: back to the section."""
    return saved(
        request,
        message,
        back=_back(customer, section),
        fragment=SECTION_TEMPLATES[section],
        context=lambda: _section_context(customer, section),
    )


@login_required
@require_GET
def criteria_section(request, pk: int):
    """The purchase-criteria section alone (an htmx refresh of the section)."""
    customer = customer_for(request, pk)
    context = _section_context(customer, CRITERIA)
    return fragment_or_page(request, SECTION_TEMPLATES[CRITERIA], context, title=_("Purchase criteria"))


@login_required
@require_GET
def strategy_section(request, pk: int):
    customer = customer_for(request, pk)
    context = _section_context(customer, STRATEGY)
    return fragment_or_page(request, SECTION_TEMPLATES[STRATEGY], context, title=_("Strategy"))


@login_required
@get_or_post
def criterion_assess(request, pk: int):
    """A new assessment: of a new criterion, or (``?criterion=<id>``) of an existing one, prefilled."""
    customer = customer_for(request, pk, action=CHANGE)
    source_id = request.GET.get("criterion")
    criteria = PurchaseCriterion.objects.select_related("competitor")
    source = for_customer(request, criteria, customer=customer, pk=source_id) if source_id else None
    form = CriterionAssessmentForm(posted(request), customer=customer, reassess=source)
    if request.method == "POST" and form.is_valid():
        try:
            services.criterion_assess(customer=customer, **form.cleaned_data)
        except ValidationError as error:
            form = refused(form, error)
        else:
            return _saved(request, customer, CRITERIA, _("Assessment recorded."))
    title = _("Re-assess “%(criterion)s”") % {"criterion": source.criterion} if source else _("New assessment")
    editor = _editor(
        CRITERIA,
        "criteria-editor",
        title,
        _("Save assessment"),
        _("Earlier assessments are kept; the latest one is what the matrix and the risk score read."),
    )
    return _form(request, customer, form, editor, CRITERIA)


@login_required
@get_or_post
def account_plan_edit(request, pk: int):
    """Write the account plan: correct the one in force, or record a new review."""
    customer = customer_for(request, pk, action=CHANGE)
    plan = services.account_plan_in_force(customer=customer)
    form = AccountPlanForm(posted(request), plan=plan, version=edit_version(plan) if plan else "")
    if request.method == "POST" and form.is_valid():
        try:
            services.account_plan_save(customer=customer, plan=plan, **form.cleaned_data)
        except ValidationError as error:
            plan = services.account_plan_in_force(customer=customer)
            form = refused(
                form, error, stored=lambda: AccountPlanForm(plan=plan, version=edit_version(plan) if plan else "")
            )
        else:
            return _saved(request, customer, STRATEGY, _("Account plan saved."))
    title = _("Edit the plan or record a review") if plan else _("New account plan")
    return _form(request, customer, form, _editor(STRATEGY, "plan-editor", title, _("Save plan")), STRATEGY)


@login_required
@get_or_post
def need_create(request, pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    form = ProductNeedForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.product_need_add(customer=customer, **form.cleaned_data)
        except ValidationError as error:
            form = refused(form, error)
        else:
            return _saved(request, customer, STRATEGY, _("Product need added."))
    editor = _editor(STRATEGY, "needs-editor", _("New product need"), _("Add"))
    return _form(request, customer, form, editor, STRATEGY)


@login_required
@get_or_post
def need_status(request, pk: int, need_pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    need = for_customer(request, ProductNeed.objects, customer=customer, pk=need_pk, action=CHANGE)
    form = NeedStatusForm(posted(request), need=need, version=edit_version(need))
    if request.method == "POST" and form.is_valid():
        try:
            services.product_need_set_status(need=need, **form.cleaned_data)
        except ValidationError as error:
            need.refresh_from_db()
            form = refused(form, error, stored=lambda: NeedStatusForm(need=need, version=edit_version(need)))
        else:
            return _saved(request, customer, STRATEGY, _("Product need updated."))
    title = _("Status of “%(need)s”") % {"need": need.description}
    return _form(request, customer, form, _editor(STRATEGY, "needs-editor", title, _("Save")), STRATEGY)


@login_required
@get_or_post
def incentive_create(request, pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    form = IncentiveForm(posted(request))
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.incentive_add(customer=customer, **data)
        except ValidationError as error:
            form = refused(form, error)
        else:
            return _saved(request, customer, STRATEGY, _("Incentive added."))
    editor = _editor(STRATEGY, "incentives-editor", _("New incentive"), _("Add"))
    return _form(request, customer, form, editor, STRATEGY)


def _incentive(request, customer: Customer, incentive_pk) -> Incentive:
    return for_customer(request, Incentive.objects, customer=customer, pk=incentive_pk, action=CHANGE)


@login_required
@get_or_post
def incentive_edit(request, pk: int, incentive_pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    incentive = _incentive(request, customer, incentive_pk)
    form = IncentiveForm(posted(request), incentive=incentive, version=edit_version(incentive))
    if request.method == "POST" and form.is_valid():
        try:
            services.incentive_update(incentive=incentive, **form.cleaned_data)
        except ValidationError as error:
            incentive.refresh_from_db()
            form = refused(
                form, error, stored=lambda: IncentiveForm(incentive=incentive, version=edit_version(incentive))
            )
        else:
            return _saved(request, customer, STRATEGY, _("Incentive saved."))
    editor = _editor(STRATEGY, "incentives-editor", _("Edit incentive"), _("Save"))
    return _form(request, customer, form, editor, STRATEGY)


@login_required
@get_or_post
def incentive_end(request, pk: int, incentive_pk: int):
    """End a running incentive today (a confirmation form, so a stale page cannot end the wrong terms)."""
    customer = customer_for(request, pk, action=CHANGE)
    incentive = _incentive(request, customer, incentive_pk)
    form = IncentiveEndForm(posted(request), incentive=incentive, version=edit_version(incentive))
    if request.method == "POST" and form.is_valid():
        try:
            services.incentive_end(incentive=incentive, version=form.cleaned_data["version"])
        except ValidationError as error:
            incentive.refresh_from_db()
            form = refused(
                form, error, stored=lambda: IncentiveEndForm(incentive=incentive, version=edit_version(incentive))
            )
        else:
            return _saved(request, customer, STRATEGY, _("Incentive ended today."))
    title = _("End “%(incentive)s” early") % {"incentive": incentive.description or incentive.get_kind_display()}
    intro = _("It was planned to run until %(day)s; it will end today instead.") % {
        "day": formats.date_format(incentive.ends_on, "DATE_FORMAT")
    }
    editor = _editor(STRATEGY, "incentives-editor", title, _("End today"), intro)
    return _form(request, customer, form, editor, STRATEGY)
