"""In-page editors of the customer 360 page: purchase criteria and strategy (account plan,
product needs, incentives).

Every editor loads its customer through the write door and its row through that customer, answers
htmx with the re-rendered section (or the form again with its errors, status 422), and full
requests with a page and a redirect back to the section.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import reswap, retarget

from accounts.permissions import CHANGE, customer_for
from keyaccounts.editing import INVALID, StaleEdit, edit_version, render_fragment

from .. import services
from ..models import Customer
from ..strategy_forms import (
    AccountPlanForm,
    CriterionAssessmentForm,
    IncentiveEndForm,
    IncentiveForm,
    NeedStatusForm,
    ProductNeedForm,
)
from ..workspace.customer import customer_criteria, customer_strategy

CRITERIA = "criteria"
STRATEGY = "strategy"
SECTION_TEMPLATES = {CRITERIA: "accounts/_section_criteria.html", STRATEGY: "accounts/_section_strategy.html"}


def _section_context(customer: Customer, section: str) -> dict:
    if section == CRITERIA:
        return {"customer": customer, "criteria": customer_criteria(customer=customer)}
    return {"customer": customer, "strategy": customer_strategy(customer=customer)}


def _child(queryset, pk):
    """A row of this customer's, by the id the request names; anything else is a 404."""
    try:
        return get_object_or_404(queryset, pk=int(pk))
    except (TypeError, ValueError) as exc:
        raise Http404 from exc


def _saved(request, customer: Customer, section: str, message: str):
    """htmx: the whole section again, showing the change. Full request: back to the section."""
    if request.htmx:
        return render(request, SECTION_TEMPLATES[section], _section_context(customer, section))
    messages.success(request, message)
    return redirect(reverse("customer_detail", args=[customer.pk]) + f"#section-{section}")


def _editor(request, customer: Customer, form, *, section: str, slot: str, title: str, submit: str, note: str = ""):
    """The form, in the section's editor slot (htmx) or on a page of its own.

    A bound form here was refused: 422, and htmx puts it back where it was instead of the section.
    """
    status = INVALID if form.is_bound or form.errors else 200
    context = {
        "customer": customer,
        "form": form,
        "action": request.get_full_path(),
        "section": section,
        "title": title,
        "submit_label": submit,
        "note": note,
    }
    response = render_fragment(request, "accounts/strategy/_editor_form.html", context, status=status, title=title)
    if request.htmx and status == INVALID:
        retarget(response, f"#{slot}")
        reswap(response, "innerHTML")
    return response


@login_required
@require_GET
def criteria_section(request, pk: int):
    """The purchase-criteria section alone (htmx refresh, and where an editor's cancel returns)."""
    customer = customer_for(request, pk)
    return render_fragment(
        request, SECTION_TEMPLATES[CRITERIA], _section_context(customer, CRITERIA), title=_("Purchase criteria")
    )


@login_required
@require_GET
def strategy_section(request, pk: int):
    customer = customer_for(request, pk)
    return render_fragment(
        request, SECTION_TEMPLATES[STRATEGY], _section_context(customer, STRATEGY), title=_("Strategy")
    )


@login_required
@require_http_methods(["GET", "POST"])
def criterion_assess(request, pk: int):
    """A new assessment: of a new criterion, or (``?criterion=<id>``) of an existing one, prefilled."""
    customer = customer_for(request, pk, action=CHANGE)
    source_id = request.GET.get("criterion")
    source = _child(customer.criteria.select_related("competitor"), source_id) if source_id else None
    form = CriterionAssessmentForm(request.POST or None, customer=customer, reassess=source)
    if request.method == "POST" and form.is_valid():
        services.criterion_assess(customer=customer, **form.cleaned_data)
        return _saved(request, customer, CRITERIA, _("Assessment recorded."))
    title = _("Re-assess “%(criterion)s”") % {"criterion": source.criterion} if source else _("New assessment")
    return _editor(
        request,
        customer,
        form,
        section=CRITERIA,
        slot="criteria-editor",
        title=title,
        submit=_("Save assessment"),
        note=_("Earlier assessments are kept; the latest one is what the matrix and the risk score read."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_plan_edit(request, pk: int):
    """Write the account plan: correct the one in force, or record a new review."""
    customer = customer_for(request, pk, action=CHANGE)
    plan = services.account_plan_in_force(customer=customer)
    version = edit_version(plan) if plan else ""
    form = AccountPlanForm(request.POST or None, plan=plan, version=version)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.account_plan_save(customer=customer, plan=plan, **data)
        except StaleEdit:
            plan = services.account_plan_in_force(customer=customer)
            form = AccountPlanForm(plan=plan, version=edit_version(plan) if plan else "")
            form.refuse_stale()
        else:
            return _saved(request, customer, STRATEGY, _("Account plan saved."))
    return _editor(
        request,
        customer,
        form,
        section=STRATEGY,
        slot="plan-editor",
        title=_("Edit the plan or record a review") if plan else _("New account plan"),
        submit=_("Save plan"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def need_create(request, pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    form = ProductNeedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.product_need_add(customer=customer, **form.cleaned_data)
        return _saved(request, customer, STRATEGY, _("Product need added."))
    return _editor(
        request, customer, form, section=STRATEGY, slot="needs-editor", title=_("New product need"), submit=_("Add")
    )


@login_required
@require_http_methods(["GET", "POST"])
def need_status(request, pk: int, need_pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    need = _child(customer.needs.all(), need_pk)
    form = NeedStatusForm(request.POST or None, need=need, version=edit_version(need))
    if request.method == "POST" and form.is_valid():
        try:
            services.product_need_set_status(need=need, **form.cleaned_data)
        except StaleEdit:
            need.refresh_from_db()
            form = NeedStatusForm(need=need, version=edit_version(need))
            form.refuse_stale()
        else:
            return _saved(request, customer, STRATEGY, _("Product need updated."))
    return _editor(
        request,
        customer,
        form,
        section=STRATEGY,
        slot="needs-editor",
        title=_("Status of “%(need)s”") % {"need": need.description},
        submit=_("Save"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def incentive_create(request, pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    form = IncentiveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        services.incentive_add(customer=customer, **data)
        return _saved(request, customer, STRATEGY, _("Incentive added."))
    return _editor(
        request,
        customer,
        form,
        section=STRATEGY,
        slot="incentives-editor",
        title=_("New incentive"),
        submit=_("Add"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def incentive_edit(request, pk: int, incentive_pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    incentive = _child(customer.incentives.all(), incentive_pk)
    form = IncentiveForm(request.POST or None, incentive=incentive, version=edit_version(incentive))
    if request.method == "POST" and form.is_valid():
        try:
            services.incentive_update(incentive=incentive, **form.cleaned_data)
        except StaleEdit:
            incentive.refresh_from_db()
            form = IncentiveForm(incentive=incentive, version=edit_version(incentive))
            form.refuse_stale()
        else:
            return _saved(request, customer, STRATEGY, _("Incentive saved."))
    return _editor(
        request,
        customer,
        form,
        section=STRATEGY,
        slot="incentives-editor",
        title=_("Edit incentive"),
        submit=_("Save"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def incentive_end(request, pk: int, incentive_pk: int):
    """End a running incentive today (a confirmation form, so a stale page cannot end the wrong terms)."""
    customer = customer_for(request, pk, action=CHANGE)
    incentive = _child(customer.incentives.all(), incentive_pk)
    form = IncentiveEndForm(request.POST or None, incentive=incentive, version=edit_version(incentive))
    if request.method == "POST" and form.is_valid():
        try:
            services.incentive_end(incentive=incentive, version=form.cleaned_data["version"])
        except StaleEdit:
            incentive.refresh_from_db()
            form = IncentiveEndForm(incentive=incentive, version=edit_version(incentive))
            form.refuse_stale()
        else:
            return _saved(request, customer, STRATEGY, _("Incentive ended today."))
    kind = incentive.get_kind_display()
    return _editor(
        request,
        customer,
        form,
        section=STRATEGY,
        slot="incentives-editor",
        title=_("End “%(incentive)s” early") % {"incentive": incentive.description or kind},
        submit=_("End today"),
        note=_("It was planned to run until %(day)s; it will end today instead.")
        % {"day": incentive.ends_on.isoformat()},
    )
