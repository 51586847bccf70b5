"""Recording a ticket: the quick "new complaint" editor of the customer page, and the hotline —
find the caller's customer and contact fast, then record the call.

The search reads customers and contacts through their ``visible_to`` selectors (the service desk
and executives see all, account managers their own book); recording needs a role that may work
tickets, so executives get a 403 and a customer the user may not see a 404.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Customer
from accounts.permissions import customer_for, may_open_tickets
from accounts.workspace.search import search as search_customers
from keyaccounts.editing import INVALID, Editor, editor_form, fragment_or_page, posted, refused, saved
from relationships.models import Contact

from ..forms import QuickTicketForm
from ..services import ticket_open

HOTLINE_RESULTS = 8
# The quick complaint opens in a dialog of the customer page; a refused form goes back into it.
QUICK_SLOT = "quick-complaint-body"
QUICK_COMPLAINT = Editor(
    gettext_lazy("New complaint or service request"),
    gettext_lazy("Record ticket"),
    section=QUICK_SLOT,
    slot=QUICK_SLOT,
    testid="quick-complaint-form",
    preface="complaints/_ticket_customer_status.html",
)


def recorded_message(ticket) -> str:
    """What the person who recorded a ticket is told: where it went, when the answer is due (or
    that no SLA policy gives it a deadline), and whether it repeats a recent one."""
    names = {"number": ticket.pk, "subject": ticket.subject}
    if ticket.department == ticket.Department.PRODUCTION:
        message = _("Ticket #%(number)s “%(subject)s” recorded and sent to production.") % names
    else:
        message = _("Ticket #%(number)s “%(subject)s” recorded.") % names
    if ticket.response_due_at:
        # No period after the date: the message reads the same in both languages as it always has.
        due = formats.date_format(timezone.localtime(ticket.response_due_at), "DATETIME_FORMAT")
        message += " " + _("Response due by %(due)s") % {"due": due}
    else:
        message += " " + _("No SLA policy covers this tier and severity, so it has no response deadline.")
    if ticket.recurrence_of_id:
        message += " " + _("The same customer raised a ticket of this category within 90 days: a recurrence.")
    return message


def _recorder_customer(request, pk: int) -> Customer:
    """The customer a ticket is recorded for: 404 unseen, 403 for a role that records no tickets."""
    customer = customer_for(request, pk)
    if not may_open_tickets(request.user):
        raise PermissionDenied
    return customer


@login_required
@require_http_methods(["GET", "POST"])
def ticket_quick_open(request, pk: int):
    """Record a complaint or service request while the customer is on the phone."""
    customer = _recorder_customer(request, pk)
    back = reverse("customer_detail", args=[customer.pk])
    form = QuickTicketForm(posted(request), customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = ticket_open(customer=customer, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form = refused(form, error)
        else:
            # The page reloads whole: the new ticket changes more than one of its sections.
            return saved(request, recorded_message(ticket), back=back, reload=True)
    return editor_form(request, QUICK_COMPLAINT, form, back=back, customer=customer, band=customer.shown_band())


@login_required
@require_GET
def hotline(request):
    """The hotline desk: a search box; as the caller gives a name, code or phone number, the
    matching customers and contacts appear, and choosing one opens the recording form."""
    if not may_open_tickets(request.user):
        raise PermissionDenied
    results = search_customers(user=request.user, query=request.GET.get("q"), limit=HOTLINE_RESULTS)
    return fragment_or_page(
        request, "complaints/_hotline_results.html", {"results": results}, page="complaints/hotline.html"
    )


@login_required
@require_http_methods(["GET", "POST"])
def hotline_record(request, pk: int):
    """Record the call for a customer: its tier and risk band stay in view while typing."""
    customer = _recorder_customer(request, pk)
    initial = {}
    contact_id = request.GET.get("contact", "")
    if request.method == "GET" and contact_id.isascii() and contact_id.isdigit() and len(contact_id) < 12:
        # Only a contact of this customer is preselected; anything else is ignored.
        if Contact.objects.filter(customer=customer, pk=int(contact_id)).exists():
            initial["contact"] = int(contact_id)
    form = QuickTicketForm(posted(request), customer=customer, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = ticket_open(customer=customer, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form = refused(form, error)
        else:
            back = reverse("ticket_detail", args=[ticket.pk])
            return saved(request, recorded_message(ticket), back=back, reload=True)
    context = {"customer": customer, "form": form, "band": customer.shown_band()}
    return render(request, "complaints/hotline_record.html", context, status=INVALID if form.is_bound else 200)
