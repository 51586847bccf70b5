from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from relationships.selectors import relationship_map

from .. import services
from ..alert_text import render_alert
from ..forms import OverrideForm
from ..models import Alert, Customer, RiskOverride
from ..roles import can_edit_customer_data
from ..selectors import alerts_for, customer_criteria, customer_list, customer_risk, customer_strategy


@login_required
@require_GET
def home(request):
    """The signed-in user's customers, biggest first, with their latest risk band, and their alerts."""
    search = request.GET.get("q", "").strip()[:100]
    page = Paginator(customer_list(user=request.user, search=search), 25).get_page(request.GET.get("page"))
    context = {"page": page, "search": search}
    if request.htmx:
        return render(request, "accounts/_customer_table.html", context)
    context["alerts"] = [(a, render_alert(a.kind, a.details)) for a in alerts_for(user=request.user)]
    return render(request, "accounts/home.html", context)


def _visible_customer(request, pk: int) -> Customer:
    return get_object_or_404(Customer.objects.visible_to(request.user).select_related("owner", "backup_owner"), pk=pk)


@login_required
@require_GET
def customer_detail(request, pk: int):
    """One customer: why it may leave, factor by factor, and what to do about it."""
    customer = _visible_customer(request, pk)
    return _render_detail(request, customer, OverrideForm())


def _render_detail(request, customer: Customer, form: OverrideForm, status: int = 200):
    context = {
        "customer": customer,
        "risk": customer_risk(customer=customer),
        "form": form,
        "can_edit": can_edit_customer_data(request.user),
        "team": list(customer.account_team.all()),
        # Sections whose editors live elsewhere re-render themselves from the same selectors.
        "relationships": relationship_map(customer=customer),
        "criteria": customer_criteria(customer=customer),
        "strategy": customer_strategy(customer=customer),
    }
    return render(request, "accounts/customer_detail.html", context, status=status)


@login_required
@require_POST
def override_create(request, pk: int):
    customer = _visible_customer(request, pk)
    if not can_edit_customer_data(request.user):
        raise PermissionDenied
    form = OverrideForm(request.POST)
    if form.is_valid():
        services.override_set(customer=customer, by=request.user, **form.cleaned_data)
        messages.success(request, _("Manual band set. The computed score stays visible beside it."))
        return redirect("customer_detail", pk=customer.pk)
    return _render_detail(request, customer, form, status=400)


@login_required
@require_POST
def override_end(request, pk: int):
    customer = _visible_customer(request, pk)
    if not can_edit_customer_data(request.user):
        raise PermissionDenied
    try:
        services.override_end(customer=customer)
    except RiskOverride.DoesNotExist as exc:
        raise Http404 from exc
    messages.success(request, _("Manual band removed; the computed band applies again."))
    return redirect("customer_detail", pk=customer.pk)


@login_required
@require_POST
def alert_close(request, pk: int):
    """Dismiss an open alert on a customer the user may edit."""
    if not can_edit_customer_data(request.user):
        raise PermissionDenied
    alert = get_object_or_404(Alert.objects.open().visible_to(request.user), pk=pk)
    services.alert_close(alert=alert, by=request.user)
    if request.htmx:
        return HttpResponse("")
    messages.success(request, _("Alert marked as dealt with."))
    return redirect("home")


@require_GET
def health(request):
    """Liveness for load balancers: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
