from datetime import timedelta

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from keyaccounts.clock import business_today
from keyaccounts.editing import date_input

from .models import MAX_OVERRIDE_DAYS, RiskBand


class OverrideForm(forms.Form):
    """An account manager's manual band: a reason is required, expiry within 90 days."""

    band = forms.ChoiceField(
        label=_("Band"), choices=[(b.value, b.label) for b in (RiskBand.GREEN, RiskBand.AMBER, RiskBand.RED)]
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("What do you know that the score does not? Everyone who reads this account will see it."),
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        widget=date_input(),
        help_text=_("At most 90 days from today; the computed band returns after it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expires_on"].initial = business_today() + timedelta(days=30)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give the reason for the override."))
        return reason

    def clean_expires_on(self):
        expires_on = self.cleaned_data["expires_on"]
        today = business_today()
        if expires_on <= today:
            raise forms.ValidationError(_("The expiry must be after today."))
        if expires_on > today + timedelta(days=MAX_OVERRIDE_DAYS):
            raise forms.ValidationError(
                _("An override lasts at most %(days)s days (until %(date)s).")
                % {"days": MAX_OVERRIDE_DAYS, "date": today + timedelta(days=MAX_OVERRIDE_DAYS)}
            )
        return expires_on
