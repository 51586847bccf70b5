"""Pages of the complaints app: the quick "new complaint" form of the customer page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from accounts.models import Customer, RiskOverride, RiskSnapshot
from accounts.permissions import customer_for, may_open_tickets
from keyaccounts.editing import INVALID, render_fragment

from .forms import QuickTicketForm
from .services import ticket_open


def current_band(customer: Customer) -> str | None:
    """The band the customer page shows: a manual band in force, else the latest computed one."""
    override = RiskOverride.objects.filter(customer=customer, ended_on__isnull=True).values_list("band", flat=True)
    latest = RiskSnapshot.objects.filter(customer=customer).order_by("-as_of").values_list("band", flat=True)
    return override.first() or latest.first()


def recorded_message(ticket) -> str:
    """What the person who recorded a ticket is told: where it went, when the answer is due (or
    that no SLA policy gives it a deadline), and whether it repeats a recent one."""
    names = {"number": ticket.pk, "subject": ticket.subject}
    if ticket.department == ticket.Department.PRODUCTION:
        message = _("Ticket #%(number)s “%(subject)s” recorded and sent to production.") % names
    else:
        message = _("Ticket #%(number)s “%(subject)s” recorded.") % names
    if ticket.response_due_at:
        # The date format may end in a period ("p.m."), so the sentence does not add one.
        due = formats.date_format(timezone.localtime(ticket.response_due_at), "DATETIME_FORMAT")
        message += " " + _("Response due by %(due)s") % {"due": due}
    else:
        message += " " + _("No SLA policy covers this tier and severity, so it has no response deadline.")
    if ticket.recurrence_of_id:
        message += " " + _("The same customer raised a ticket of this category within 90 days: a recurrence.")
    return message


@login_required
@require_http_methods(["GET", "POST"])
def ticket_quick_open(request, pk: int):
    """Record a complaint or service request while the customer is on the phone."""
    customer = customer_for(request, pk)
    if not may_open_tickets(request.user):
        raise PermissionDenied
    form = QuickTicketForm(request.POST or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        ticket = ticket_open(customer=customer, by=request.user, **form.cleaned_data)
        message = recorded_message(ticket)
        messages.success(request, message)
        url = reverse("customer_detail", args=[customer.pk])
        # The page reloads whole: the new ticket changes more than one of its sections.
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    context = {"customer": customer, "form": form, "band": current_band(customer), "action": request.get_full_path()}
    status = INVALID if form.is_bound else 200
    return render_fragment(
        request, "complaints/_quick_complaint_form.html", context, status=status, title=_("New complaint")
    )
