from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import CHANGE, customer_for
from keyaccounts.editing import fragment_or_page
from relationships.selectors import relationship_map

from .. import services
from ..forms import OverrideForm
from ..models import Customer, RiskOverride
from ..permissions import may_change_customer_data, may_edit_account_data
from ..workspace.account_data import customer_account_data
from ..workspace.customer import (
    customer_criteria,
    customer_pricing,
    customer_risk,
    customer_strategy,
    customer_supply,
    customer_timeline,
    parse_timeline_cursor,
)
from ..workspace.intel import customer_intel


@login_required
@require_GET
def customer_detail(request, pk: int):
    """The customer 360 page: who looks after the account, why it may leave and what to do about
    it, what happened lately, how we deliver and how our prices compare."""
    customer = customer_for(request, pk)
    return _render_detail(request, customer, OverrideForm())


@login_required
@require_GET
def customer_timeline_page(request, pk: int):
    """The next page of the customer's timeline, older than the ``before`` cursor ("show more")."""
    customer = customer_for(request, pk)
    try:
        before = parse_timeline_cursor(request.GET["before"]) if request.GET.get("before") else None
    except ValueError:
        return HttpResponseBadRequest(_("This timeline page does not exist; reload the customer page."))
    context = {"customer": customer, "timeline": customer_timeline(customer=customer, before=before)}
    return fragment_or_page(request, "accounts/360/_timeline_entries.html", context, title=_("Timeline"))


def _render_detail(request, customer: Customer, form: OverrideForm, status: int = 200):
    context = {
        "customer": customer,
        "risk": customer_risk(customer=customer),
        "form": form,
        "can_edit": may_change_customer_data(request.user),
        "team": list(customer.account_team.all()),
        "timeline": customer_timeline(customer=customer),
        "supply": customer_supply(customer=customer),
        "pricing": customer_pricing(customer=customer),
        # Sections whose editors live elsewhere re-render themselves from the same selectors.
        "relationships": relationship_map(customer=customer),
        "criteria": customer_criteria(customer=customer),
        "strategy": customer_strategy(customer=customer),
        "intel": customer_intel(customer=customer),
        "account": customer_account_data(customer=customer),
        "can_edit_account": may_edit_account_data(request.user, customer),
    }
    return render(request, "accounts/customer_detail.html", context, status=status)


@login_required
@require_POST
def override_create(request, pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            services.override_set(customer=customer, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Manual band set. The computed score stays visible beside it."))
            return redirect("customer_detail", pk=customer.pk)
    return _render_detail(request, customer, form, status=400)


@login_required
@require_POST
def override_end(request, pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    try:
        services.override_end(customer=customer)
    except RiskOverride.DoesNotExist as exc:
        raise Http404 from exc
    messages.success(request, _("Manual band removed; the computed band applies again."))
    return redirect("customer_detail", pk=customer.pk)
