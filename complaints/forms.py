from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
            Contact.objects.filter(customer=customer).active_on(timezone.localdate()).order_by("name")
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
