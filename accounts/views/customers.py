from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import CHANGE, customer_for
from keyaccounts.editing import fragment_or_page

from .. import services
from ..forms import OverrideForm
from ..models import Customer, RiskOverride
from ..permissions import may_change_customer_data
from ..workspace.customer import (
    customer_pricing,
    customer_risk,
    customer_supply,
    customer_timeline,
    parse_timeline_cursor,
)


@login_required
@require_GET
def customer_detail(request, pk: int):
    """The customer 360 page: who looks after the account, why it may leave and what to do about
    it. The first answer holds the header, the section nav and the risk panel; every other section
    (relationships, plays, timeline, supply, criteria, pricing, intelligence, strategy, account
    data) loads after the page from its own URL, so the page costs the same few queries whatever
    the customer's history holds."""
    customer = customer_for(request, pk)
    return _render_detail(request, customer, OverrideForm())


@login_required
@require_GET
def customer_timeline_page(request, pk: int):
    """The timeline section with its first page; with a ``before`` cursor, the entries older than
    it ("show more")."""
    customer = customer_for(request, pk)
    if not request.GET.get("before"):
        context = {"customer": customer, "timeline": customer_timeline(customer=customer)}
        return fragment_or_page(request, "accounts/360/_section_timeline.html", context, title=_("Timeline"))
    try:
        before = parse_timeline_cursor(request.GET["before"])
    except ValueError:
        return HttpResponseBadRequest(_("This timeline page does not exist; reload the customer page."))
    context = {"customer": customer, "timeline": customer_timeline(customer=customer, before=before)}
    return fragment_or_page(request, "accounts/360/_timeline_entries.html", context, title=_("Timeline"))


@login_required
@require_GET
def supply_section(request, pk: int):
    """The supply section: on time in full, by month, and the late and short lines."""
    customer = customer_for(request, pk)
    context = {"customer": customer, "supply": customer_supply(customer=customer)}
    return fragment_or_page(request, "accounts/360/_section_supply.html", context, title=_("Supply"))


@login_required
@require_GET
def pricing_section(request, pk: int):
    """The price-vs-market section: each product's latest benchmark against the market."""
    customer = customer_for(request, pk)
    context = {"customer": customer, "pricing": customer_pricing(customer=customer)}
    return fragment_or_page(request, "accounts/360/_section_pricing.html", context, title=_("Price vs market"))


def _render_detail(request, customer: Customer, form: OverrideForm, status: int = 200):
    """The page's first answer: header, section nav, risk panel; the other sections are
    placeholders that fetch themselves (`supply_section`, `pricing_section`, …)."""
    context = {
        "customer": customer,
        "risk": customer_risk(customer=customer),
        "form": form,
        "can_edit": may_change_customer_data(request.user),
        "team": list(customer.account_team.all()),
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
