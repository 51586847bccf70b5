"""The hotline: find the caller's customer and contact fast, then record the ticket.

The search reads customers and contacts through their ``visible_to`` selectors (the service desk
and executives see all, account managers their own book); recording needs a role that may work
tickets, so executives get a 403 and a customer the user may not see a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from accounts.permissions import customer_for, may_open_tickets
from accounts.workspace.search import search as search_customers
from keyaccounts.editing import INVALID
from relationships.models import Contact

from .forms import QuickTicketForm
from .services import ticket_open
from .views import current_band, recorded_message

HOTLINE_RESULTS = 8


def _require_recorder(request) -> None:
    if not may_open_tickets(request.user):
        raise PermissionDenied


@login_required
@require_GET
@vary_on_headers("HX-Request")
def hotline(request):
    """The hotline desk: a search box; as the caller gives a name, code or phone number, the
    matching customers and contacts appear, and choosing one opens the recording form."""
    _require_recorder(request)
    results = search_customers(user=request.user, query=request.GET.get("q"), limit=HOTLINE_RESULTS)
    context = {"results": results}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "complaints/_hotline_results.html", context)
    return render(request, "complaints/hotline.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def hotline_record(request, pk: int):
    """Record the call for a customer: its tier and risk band stay in view while typing."""
    customer = customer_for(request, pk)
    _require_recorder(request)
    initial = {}
    contact_id = request.GET.get("contact", "")
    if request.method == "GET" and contact_id.isdigit():
        # Only a contact of this customer is preselected; anything else is ignored.
        if Contact.objects.filter(customer=customer, pk=int(contact_id)).exists():
            initial["contact"] = int(contact_id)
    form = QuickTicketForm(request.POST or None, customer=customer, initial=initial)
    if request.method == "POST" and form.is_valid():
        ticket = ticket_open(customer=customer, by=request.user, **form.cleaned_data)
        messages.success(request, recorded_message(ticket))
        return redirect("ticket_detail", pk=ticket.pk)
    context = {"customer": customer, "form": form, "band": current_band(customer)}
    return render(request, "complaints/hotline_record.html", context, status=INVALID if form.is_bound else 200)
