"""The competitor-intelligence editor of the customer page (apart from `accounts.forms`, which is
full). The service checks the same rules again; the database constraints are the last line."""

from django import forms
from django.utils.translation import gettext_lazy as _

from keyaccounts.clock import business_today
from keyaccounts.editing import date_input

from .forms import VersionedForm, layout, row
from .models import Competitor, CompetitorIntel, Customer


class CompetitorIntelForm(VersionedForm):
    """Something heard about a competitor at the customer: what, when, from whom, how sure."""

    competitor = forms.ModelChoiceField(
        label=_("Competitor"), queryset=Competitor.objects.order_by("name"), empty_label=_("— choose —")
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=CompetitorIntel.Kind.choices)
    noted_on = forms.DateField(label=_("Noted on"), widget=date_input())
    contact = forms.ModelChoiceField(
        label=_("Told us"),
        queryset=None,  # the customer's contacts, set in __init__
        required=False,
        empty_label=_("— nobody in particular —"),
    )
    confidence = forms.ChoiceField(
        label=_("Confidence"), choices=CompetitorIntel.Confidence.choices, initial=CompetitorIntel.Confidence.MEDIUM
    )
    note = forms.CharField(label=_("What we heard"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, customer: Customer, intel: CompetitorIntel | None = None, version: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        # Through the customer's reverse relation: the customer core does not import relationships.
        self.fields["contact"].queryset = customer.contacts.order_by("name")
        self.fields["version"].initial = version
        self.helper = layout(
            row(("competitor", "col-sm-6"), ("kind", "col-sm-6")),
            row(("noted_on", "col-sm-4"), ("contact", "col-sm-5"), ("confidence", "col-sm-3")),
            "note",
            "version",
        )
        if intel is None:
            self.fields["noted_on"].initial = business_today()
        else:
            for name in ("kind", "noted_on", "confidence", "note"):
                self.fields[name].initial = getattr(intel, name)
            self.fields["competitor"].initial = intel.competitor_id
            self.fields["contact"].initial = intel.contact_id

    def clean_noted_on(self):
        noted_on = self.not_in_future("noted_on")
        since = self.customer.customer_since
        if noted_on is not None and noted_on < since:
            raise forms.ValidationError(
                _("%(name)s has been a customer since %(date)s; the intelligence cannot be earlier.")
                % {"name": self.customer.name, "date": since}
            )
        return noted_on

    def clean_note(self):
        note = self.cleaned_data["note"].strip()
        if not note:
            raise forms.ValidationError(_("Write down what was heard."))
        return note
