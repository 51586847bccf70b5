from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.people import display_name
from keyaccounts.clock import business_today
from keyaccounts.editing import BoundedDates
from relationships.models import Contact

from .models import Severity, Ticket


class QuickTicketForm(forms.Form):
    """A complaint or service request recorded from the customer page, in a few fields."""

    subject = forms.CharField(label=_("Subject"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Ticket.Kind.choices, initial=Ticket.Kind.COMPLAINT)
    category = forms.ChoiceField(
        label=_("Category"),
        # No default: a quality complaint is routed to production, so the category is chosen, not assumed.
        choices=[("", "---------"), *Ticket.Category.choices],
        help_text=_("A product-quality complaint goes straight to production."),
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.MEDIUM)
    channel = forms.ChoiceField(label=_("Channel"), choices=Ticket.Channel.choices, initial=Ticket.Channel.HOTLINE)
    contact = forms.ModelChoiceField(
        label=_("Customer contact"),
        queryset=Contact.objects.none(),
        required=False,
        help_text=_("Who raised it, among the customer's current contacts."),
        error_messages={"invalid_choice": _("Choose one of this customer's current contacts.")},
    )
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        # Only this customer's people who are with the customer today: another customer's
        # contact, or one who has left, is refused as an invalid choice.
        self.fields["contact"].queryset = (
            Contact.objects.filter(customer=customer).active_on(business_today()).order_by("name")
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Row(Column("subject", css_class="col-md-8"), Column("kind", css_class="col-md-4")),
            Row(*(Column(name, css_class="col-md-4") for name in ("category", "severity", "channel"))),
            "contact",
            "description",
        )
        self.fields["contact"].label_from_instance = lambda c: f"{c.name} · {c.title}" if c.title else c.name

    def clean_subject(self):
        subject = " ".join(self.cleaned_data["subject"].split())
        if not subject:
            raise forms.ValidationError(_("Give the ticket a subject."))
        return subject


# ---------------------------------------------------------------------------------------------
# Working a ticket: each action is a small form carrying the version the page was opened with.
# ---------------------------------------------------------------------------------------------

SATISFACTION_CHOICES = [("", "---------"), *((str(n), str(n)) for n in range(1, 6))]


class TicketActionForm(BoundedDates, forms.Form):
    """A change to one ticket; ``version`` refuses it when the ticket changed since the page loaded."""

    version = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, ticket=None, version: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        if not self.is_bound:
            self.fields["version"].initial = version


class TransitionForm(TicketActionForm):
    to = forms.ChoiceField(label=_("Move to"), choices=[c for c in Ticket.Status.choices if c[0] != "closed"])
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}), strip=True)


def _person_choice(label, queryset, *, required=False, help_text=""):
    field = forms.ModelChoiceField(
        label=label,
        queryset=queryset,
        required=required,
        help_text=help_text,
        error_messages={"invalid_choice": _("Choose one of the people listed.")},
    )
    field.label_from_instance = display_name
    return field


class AssignForm(TicketActionForm):
    department = forms.ChoiceField(
        label=_("Department"), choices=[("", "---------"), *Ticket.Department.choices], required=False
    )
    assigned_to = forms.ModelChoiceField(label=_("Person"), queryset=None, required=False)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"] = _person_choice(_("Person"), people)
        if self.ticket is not None and not self.is_bound:
            self.fields["department"].initial = self.ticket.department
            self.fields["assigned_to"].initial = self.ticket.assigned_to_id

    def clean(self):
        data = super().clean()
        if not data.get("department") and not data.get("assigned_to"):
            raise forms.ValidationError(_("Choose a department or a person."))
        return data


class CategoryForm(TicketActionForm):
    category = forms.ChoiceField(label=_("Category"), choices=Ticket.Category.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.ticket is not None and not self.is_bound:
            self.fields["category"].initial = self.ticket.category


class OnsiteRequestForm(TicketActionForm):
    note = forms.CharField(label=_("What the engineer should know"), required=False, max_length=2000)


class OnsiteScheduleForm(TicketActionForm):
    scheduled_for = forms.DateTimeField(
        label=_("Visit on"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    engineer = forms.ModelChoiceField(label=_("Engineer"), queryset=None)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["engineer"] = _person_choice(_("Engineer"), people, required=True)
        if self.ticket is not None and not self.is_bound:
            self.fields["engineer"].initial = self.ticket.onsite_engineer_id
            if self.ticket.onsite_scheduled_for:
                self.fields["scheduled_for"].initial = timezone.localtime(self.ticket.onsite_scheduled_for)


class OnsiteDoneForm(TicketActionForm):
    report = forms.CharField(label=_("On-site report"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10000)


class CloseForm(TicketActionForm):
    root_cause = forms.CharField(
        label=_("Root cause"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )
    corrective_action = forms.CharField(
        label=_("Corrective action"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )
    satisfaction = forms.TypedChoiceField(
        label=_("Customer satisfaction (1–5)"),
        choices=SATISFACTION_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Ask the customer: 1 very unhappy, 5 very satisfied."),
    )

    def clean(self):
        data = super().clean()
        # The same rule the service enforces, said next to the fields it is about.
        if self.ticket is not None and self.ticket.kind == Ticket.Kind.COMPLAINT:
            if not (data.get("root_cause") or "").strip() and "root_cause" not in self.errors:
                self.add_error("root_cause", _("A complaint is closed only with its root cause."))
            if not (data.get("corrective_action") or "").strip() and "corrective_action" not in self.errors:
                self.add_error("corrective_action", _("A complaint is closed only with the corrective action taken."))
            if data.get("satisfaction") is None and "satisfaction" not in self.errors:
                self.add_error("satisfaction", _("A complaint is closed only with the customer's satisfaction (1–5)."))
        return data


class _TicketIds(forms.TypedMultipleChoiceField):
    """Ticket ids as ticked in the queue; which of them the user may see is the view's business.
    A number no ticket id can be (below 1, or beyond the database's integers) is refused here."""

    def valid_value(self, value):
        return True

    def clean(self, value):
        ids = super().clean(value)
        if any(not 1 <= ticket_id < 2**63 for ticket_id in ids):
            raise forms.ValidationError(_("Tick tickets from the list."), code="invalid_choice")
        return ids


class BulkAssignForm(forms.Form):
    """The queue's bulk action: the ticked tickets to a department and/or a person."""

    tickets = _TicketIds(coerce=int, required=True)
    department = forms.ChoiceField(
        label=_("Department"), choices=[("", _("Department…")), *Ticket.Department.choices], required=False
    )
    assigned_to = forms.ModelChoiceField(label=_("Person"), queryset=None, required=False)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"] = _person_choice(_("Person"), people)
        self.fields["tickets"].error_messages["required"] = _("Tick the tickets to assign first.")

    def clean(self):
        data = super().clean()
        if not data.get("department") and not data.get("assigned_to"):
            raise forms.ValidationError(_("Choose a department or a person to assign the ticked tickets to."))
        return data
