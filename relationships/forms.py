"""The in-page editors of the relationship section. Forms only validate; services write."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Layout, Row
from django import forms
from django.db.models import Case, IntegerField, Value, When
from django.utils.translation import gettext_lazy as _

from accounts.people import display_name
from keyaccounts.clock import business_today
from keyaccounts.editing import BoundedDates, date_input, edit_version

from .models import Cadence, Contact, Department, Interaction, InteractionKind
from .selectors import editor_people
from .services import duplicate_cadence_error, interaction_version

# The executive level first, as on the page.
DEPARTMENT_ORDER = Case(
    *(When(department=value, then=Value(i)) for i, value in enumerate(Department.values)),
    output_field=IntegerField(),
)
MAX_INTERVAL_DAYS = 366


# The largest id a database integer column holds: SQLite cannot even compare a larger one.
MAX_ID = 2**63 - 1


class _IdsInRange(forms.ModelMultipleChoiceField):
    """Ids past the integer range are an invalid choice, not a database error."""

    def _check_values(self, value):
        for pk in value:
            try:
                number = int(str(pk))
            except ValueError:
                continue  # not a number: the field's own check refuses it
            if not -MAX_ID - 1 <= number <= MAX_ID:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk}
                )
        return super()._check_values(value)


class PersonChoiceField(forms.ModelChoiceField):
    """Our people by the name colleagues use for them."""

    def label_from_instance(self, obj) -> str:
        return display_name(obj)


class PeopleChoiceField(_IdsInRange):
    def label_from_instance(self, obj) -> str:
        return display_name(obj)


class ContactChoiceField(_IdsInRange):
    def label_from_instance(self, obj) -> str:
        parts = [obj.name, obj.title, str(obj.get_department_display())]
        return " · ".join(p for p in parts if p)


def _helper(*rows) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.layout = Layout(*rows)
    return helper


def _not_in_future(value):
    if value is not None and value > business_today():
        raise forms.ValidationError(_("This date is in the future."))
    return value


class VersionedForm(BoundedDates, forms.ModelForm):
    """An edit of a stored record carries the version it was opened with (optimistic locking)."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)
    version_of = staticmethod(edit_version)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].required = True
            self.fields["version"].initial = self.version_of(self.instance)
        else:
            del self.fields["version"]

    def version_layout(self) -> list:
        """The hidden version field in the layout, for an edit only (a new record has none)."""
        return [Field("version")] if "version" in self.fields else []


class ContactForm(VersionedForm):
    """Add or edit a person at the customer."""

    influence = forms.IntegerField(
        label=_("Influence"), min_value=1, max_value=5, initial=3, help_text=_("1 low – 5 high")
    )
    trust = forms.IntegerField(
        label=_("Trust"), min_value=1, max_value=5, initial=3, help_text=_("How much they trust us: 1 low – 5 high")
    )

    class Meta:
        model = Contact
        fields = [
            "name",
            "title",
            "department",
            "buying_role",
            "influence",
            "trust",
            "internal_owner",
            "email",
            "phone",
            "joined_on",
        ]
        field_classes = {"internal_owner": PersonChoiceField}
        widgets = {"joined_on": date_input()}

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        current = [self.instance.internal_owner_id] if self.instance.internal_owner_id else []
        self.fields["internal_owner"].queryset = editor_people(include=current)
        self.fields["joined_on"].initial = business_today()
        for name in ("influence", "trust"):
            self.fields[name].widget.attrs.update(min=1, max=5)
        self.helper = _helper(
            Row(Column("name", css_class="col-md-6"), Column("title", css_class="col-md-6")),
            Row(
                Column("department", css_class="col-md-4"),
                Column("buying_role", css_class="col-md-4"),
                Column("internal_owner", css_class="col-md-4"),
            ),
            Row(
                Column("influence", css_class="col-6 col-md-3"),
                Column("trust", css_class="col-6 col-md-3"),
                Column("joined_on", css_class="col-md-6"),
            ),
            Row(Column("email", css_class="col-md-6"), Column("phone", css_class="col-md-6")),
            *self.version_layout(),
        )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the contact's name."))
        return name

    def clean_joined_on(self):
        joined_on = _not_in_future(self.cleaned_data["joined_on"])
        left_on = self.instance.left_on
        if left_on is not None and joined_on > left_on:
            raise forms.ValidationError(
                _("This contact left on %(date)s; they cannot have joined after that.") % {"date": left_on}
            )
        return joined_on


class ContactLeftForm(BoundedDates, forms.Form):
    """The day a contact left the customer."""

    left_on = forms.DateField(label=_("Left on"), widget=date_input())
    version = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, contact: Contact, **kwargs):
        super().__init__(*args, **kwargs)
        self.contact = contact
        self.fields["left_on"].initial = contact.left_on or business_today()
        self.fields["version"].initial = edit_version(contact)
        self.helper = _helper(Row(Column("left_on", css_class="col-sm-6 col-lg-4")), Field("version"))

    def clean_left_on(self):
        left_on = _not_in_future(self.cleaned_data["left_on"])
        if left_on < self.contact.joined_on:
            raise forms.ValidationError(
                _("%(name)s joined on %(date)s; they cannot have left before that.")
                % {"name": self.contact.name, "date": self.contact.joined_on}
            )
        return left_on


class InteractionForm(VersionedForm):
    """Log a visit, call or meeting in a few seconds: today, a visit, me — change what differs."""

    version_of = staticmethod(interaction_version)

    class Meta:
        model = Interaction
        fields = ["occurred_on", "kind", "subject", "contacts", "our_people", "notes"]
        field_classes = {"contacts": ContactChoiceField, "our_people": PeopleChoiceField}
        widgets = {
            "occurred_on": date_input(),
            "contacts": forms.CheckboxSelectMultiple,
            "our_people": forms.CheckboxSelectMultiple,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, customer, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        today = business_today()
        taking_part, ours = [], []
        if self.instance.pk:
            taking_part = [c.pk for c in self.instance.contacts.all()]
            ours = [u.pk for u in self.instance.our_people.all()]
        else:
            self.fields["occurred_on"].initial = today
            self.fields["kind"].initial = InteractionKind.VISIT
            self.fields["our_people"].initial = [user.pk]
        # This customer's people who are there now, and those already recorded on the interaction.
        self.fields["contacts"].queryset = (
            customer.contacts.active_on(today) | customer.contacts.filter(pk__in=taking_part)
        ).order_by(DEPARTMENT_ORDER, "name")
        self.fields["our_people"].queryset = editor_people(include=ours)
        self.fields["subject"].required = False
        self.fields["subject"].help_text = _("Leave empty to use the kind, e.g. “Visit”.")
        self.fields["contacts"].help_text = ""
        self.fields["our_people"].help_text = ""
        self.helper = _helper(
            Row(
                Column("occurred_on", css_class="col-sm-4"),
                Column("kind", css_class="col-sm-4"),
                Column("subject", css_class="col-sm-4"),
            ),
            Row(
                Column(Field("contacts", wrapper_class="ka-checklist"), css_class="col-md-7"),
                Column(Field("our_people", wrapper_class="ka-checklist"), css_class="col-md-5"),
            ),
            Field("notes"),
            *self.version_layout(),
        )

    def clean_occurred_on(self):
        occurred_on = _not_in_future(self.cleaned_data["occurred_on"])
        since = self.customer.customer_since
        if since is not None and occurred_on < since:
            raise forms.ValidationError(
                _("%(name)s has been a customer since %(date)s; the interaction cannot be earlier.")
                % {"name": self.customer.name, "date": since}
            )
        return occurred_on

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("subject") or "").strip() and cleaned.get("kind"):
            cleaned["subject"] = str(InteractionKind(cleaned["kind"]).label)
        return cleaned


class CadenceForm(VersionedForm):
    """Add or change an agreed communication schedule."""

    interval_days = forms.IntegerField(
        label=_("Every (days)"),
        min_value=1,
        max_value=MAX_INTERVAL_DAYS,
        initial=90,
        help_text=_("1 to 366: 30 monthly, 90 quarterly, 365 yearly"),
    )

    class Meta:
        model = Cadence
        fields = ["name", "interaction_kind", "interval_days", "starts_on", "ends_on", "owner"]
        field_classes = {"owner": PersonChoiceField}
        widgets = {"starts_on": date_input(), "ends_on": date_input()}

    def __init__(self, *args, customer, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        current = [self.instance.owner_id] if self.instance.owner_id else []
        self.fields["owner"].queryset = editor_people(include=current)
        if not self.instance.pk:
            self.fields["starts_on"].initial = business_today()
            self.fields["owner"].initial = user.pk
            self.fields["interaction_kind"].initial = InteractionKind.EXECUTIVE_MEETING
        self.helper = _helper(
            Row(Column("name", css_class="col-md-6"), Column("interaction_kind", css_class="col-md-6")),
            Row(
                Column("interval_days", css_class="col-md-4"),
                Column("starts_on", css_class="col-md-4"),
                Column("ends_on", css_class="col-md-4"),
            ),
            Field("owner"),
            *self.version_layout(),
        )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Name the cadence, e.g. “Quarterly executive meeting”."))
        return name

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on, kind = cleaned.get("starts_on"), cleaned.get("ends_on"), cleaned.get("interaction_kind")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("A cadence cannot end before it starts."))
        if starts_on and kind:
            clash = Cadence.objects.filter(customer=self.customer, interaction_kind=kind, starts_on=starts_on)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error(None, duplicate_cadence_error())
        return cleaned


class CadenceEndForm(BoundedDates, forms.Form):
    """The last day a cadence applies."""

    ends_on = forms.DateField(label=_("Ends on"), widget=date_input())
    version = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, cadence: Cadence, **kwargs):
        super().__init__(*args, **kwargs)
        self.cadence = cadence
        self.fields["ends_on"].initial = cadence.ends_on or max(business_today(), cadence.starts_on)
        self.fields["version"].initial = edit_version(cadence)
        self.helper = _helper(Row(Column("ends_on", css_class="col-sm-6 col-lg-4")), Field("version"))

    def clean_ends_on(self):
        ends_on = self.cleaned_data["ends_on"]
        if ends_on < self.cadence.starts_on:
            raise forms.ValidationError(
                _("This cadence starts on %(date)s; it cannot end before that.") % {"date": self.cadence.starts_on}
            )
        return ends_on
