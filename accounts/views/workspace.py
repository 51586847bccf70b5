"""The account manager's workspace: My accounts (the home page), Today and global search (the
exports of the customer list are in `exports`)."""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from keyaccounts.editing import INVALID, fragment_or_page, saved, wants_fragment

from .. import services
from ..models import Alert
from ..permissions import may_change_customer_data, may_see_every_customer
from ..workspace.alert_text import render_alert
from ..workspace.customer import alerts_for
from ..workspace.filters import DRILL_FILTERS
from ..workspace.my_accounts import my_accounts
from ..workspace.search import search as search_accounts
from ..workspace.today import alert_item, today_count, today_page

HOME_ALERTS = 5
LIVE_SEARCH_LIMIT = 6


@login_required
@require_GET
def home(request):
    """My accounts: the customers the user may see, filtered and sorted, key accounts first."""
    listing = my_accounts(user=request.user, params=request.GET)
    context = {"listing": listing, "filters": listing.filterset.form, "drill_filters": DRILL_FILTERS}

    def alerts() -> dict:
        latest = alerts_for(user=request.user, limit=HOME_ALERTS)
        return {"alerts": [(a, render_alert(a.kind, a.details)) for a in latest]}

    return fragment_or_page(
        request, "accounts/_my_accounts_table.html", context, page="accounts/my_accounts.html", page_context=alerts
    )


class AlertCloseForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("What was done"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm"}),
    )


def _page_number(value) -> int:
    try:
        return max(int(value), 1)
    except (TypeError, ValueError):
        return 1


def _today_context(request, page: int = 1) -> dict:
    return {"listing": today_page(user=request.user, page=page), "form": AlertCloseForm()}


@login_required
@require_GET
def today(request):
    """The user's customers needing attention, worst first, each with what to do about it. htmx
    asks for the next customers ("show the rest") and gets them alone."""
    context = _today_context(request, _page_number(request.GET.get("page")))
    return fragment_or_page(request, "accounts/_today_customers.html", context, page="accounts/today.html")


@login_required
@require_GET
def today_badge(request):
    """The count on the Today link, loaded after the page so no page pays for it: the customers
    with something urgent. Only for users with a book of their own: for those who see every
    customer the count is not cheap."""
    if may_see_every_customer(request.user):
        return HttpResponse("")
    count, more = today_count(user=request.user)
    return render(request, "accounts/_today_badge.html", {"count": count, "more": more})


@login_required
@require_POST
def alerts_close(request):
    """Acknowledge the ticked alerts with one shared, optional note: all of them or, if one is not
    the user's or was dealt with meanwhile, none. htmx gets Today's body again with the report;
    a plain form the report and a redirect back to Today."""
    if not may_change_customer_data(request.user):
        raise PermissionDenied
    form = AlertCloseForm(request.POST)
    ids = request.POST.getlist("alerts")
    status, level = 200, messages.SUCCESS
    if not form.is_valid():
        text, status, level = _("The note is too long: at most 2,000 characters."), INVALID, messages.ERROR
    elif not all(value.isdigit() for value in ids):
        text, status, level = _("The selection is not valid: reload Today."), INVALID, messages.ERROR
    else:
        try:
            closed = services.alerts_close(ids=[int(v) for v in ids], by=request.user, note=form.cleaned_data["note"])
        except ValidationError as refusal:
            text, status, level = " ".join(refusal.messages), INVALID, messages.ERROR
        else:
            text = ngettext(
                "%(count)s alert marked as dealt with.", "%(count)s alerts marked as dealt with.", len(closed)
            ) % {"count": len(closed)}
    if wants_fragment(request):
        context = {**_today_context(request), "notice": {"text": text, "level": level}}
        response = render(request, "accounts/_today_body.html", context, status=status)
        return trigger_client_event(response, "alert-closed") if status == 200 else response
    messages.add_message(request, level, text)
    return redirect(_next_or(request, "today"))


def _next_or(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse(fallback)


@login_required
@require_POST
def alert_close(request, pk: int):
    """Acknowledge an open alert on a customer the user may edit, with an optional note."""
    if not may_change_customer_data(request.user):
        raise PermissionDenied
    alert = get_object_or_404(Alert.objects.open().visible_to(request.user).select_related("customer"), pk=pk)
    form = AlertCloseForm(request.POST)
    if not form.is_valid():
        if wants_fragment(request):
            context = {"item": alert_item(alert), "form": form, "can_edit_customer_data": True}
            return render(request, "accounts/_today_alert.html", context, status=INVALID)
        messages.error(request, _("The note is too long: at most 2,000 characters."))
        return redirect(_next_or(request, "today"))
    services.alert_close(alert=alert, by=request.user, note=form.cleaned_data["note"])
    # htmx: the alert's row goes away, and the Today count in the navigation refreshes itself.
    return saved(request, _("Alert marked as dealt with."), back=_next_or(request, "home"), event="alert-closed")


@login_required
@require_GET
def search(request):
    """Customers and contacts the user may see, by name, code, phone, email or title."""
    results = search_accounts(user=request.user, query=request.GET.get("q"))
    return fragment_or_page(request, "accounts/_search_results.html", {"results": results}, page="accounts/search.html")


@login_required
@require_GET
def search_live(request):
    """The few best matches under the search box in the navigation bar, as the user types."""
    results = search_accounts(user=request.user, query=request.GET.get("q"), limit=LIVE_SEARCH_LIMIT)
    if not wants_fragment(request):
        return redirect(f"{reverse('search')}?{urlencode({'q': results.query})}")
    return render(request, "accounts/_search_dropdown.html", {"results": results})
