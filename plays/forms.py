from datetime import timedelta

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from keyaccounts.clock import business_today
from keyaccounts.editing import BoundedDates, date_input

from .models import COUNTERMEASURE_CHOICES, Play, Playbook, Priority


class NoFormTag:
    """The editor template writes its own <form>: crispy must not open a second one inside it
    (a nested form's button submits nothing in a browser)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class OwnerField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


class PlayForm(NoFormTag, BoundedDates, forms.Form):
    """A play opened by hand: what for, who, by when, and up to three steps."""

    playbook = forms.ModelChoiceField(
        label=_("From a playbook"),
        queryset=None,
        required=False,
        empty_label=_("— none: steps below —"),
        help_text=_("Its steps are copied, due from today; the title may stay empty."),
    )
    title = forms.CharField(label=_("What is the play for?"), max_length=200, required=False)
    countermeasure = forms.TypedChoiceField(label=_("Countermeasure"), choices=COUNTERMEASURE_CHOICES, coerce=int)
    owner = OwnerField(label=_("Owner"), queryset=None)
    due_on = forms.DateField(label=_("Due on"), widget=date_input())
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Priority.choices, coerce=int, initial=Priority.NORMAL
    )
    step_1 = forms.CharField(label=_("First step"), max_length=300, required=False)
    step_1_due = forms.DateField(label=_("First step due on"), required=False, widget=date_input())
    step_2 = forms.CharField(label=_("Second step"), max_length=300, required=False)
    step_2_due = forms.DateField(label=_("Second step due on"), required=False, widget=date_input())
    step_3 = forms.CharField(label=_("Third step"), max_length=300, required=False)
    step_3_due = forms.DateField(label=_("Third step due on"), required=False, widget=date_input())

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["playbook"].queryset = Playbook.objects.filter(active=True).order_by("trigger")
        self.fields["due_on"].initial = business_today() + timedelta(days=14)

    def clean(self):
        data = super().clean()
        steps = []
        for n in (1, 2, 3):
            title, due = (data.get(f"step_{n}") or "").strip(), data.get(f"step_{n}_due")
            if title and not due:
                self.add_error(f"step_{n}_due", _("Give the step a due date."))
            elif due and not title:
                self.add_error(f"step_{n}", _("Say what the step is."))
            elif title:
                steps.append((title, due))
        data["steps"] = steps
        if not (data.get("title") or "").strip() and not data.get("playbook"):
            self.add_error("title", _("Say what the play is for, or choose a playbook."))
        return data


class PlayEditForm(NoFormTag, BoundedDates, forms.Form):
    owner = OwnerField(label=_("Owner"), queryset=None)
    due_on = forms.DateField(label=_("Due on"), widget=date_input())
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int)
    version = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners


class PlayCloseForm(NoFormTag, forms.Form):
    status = forms.ChoiceField(
        label=_("Close as"),
        choices=[(Play.Status.DONE, _("Done")), (Play.Status.CANCELLED, _("Cancelled"))],
        widget=forms.RadioSelect,
        initial=Play.Status.DONE,
    )
    outcome = forms.CharField(
        label=_("Outcome"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was done and what the customer said."),
    )
    version = forms.CharField(widget=forms.HiddenInput)
