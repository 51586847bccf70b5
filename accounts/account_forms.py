"""Forms of a customer's account data (relationship level, peak months, people, churn and
win-back) and of a handover. The services check the same rules again; the forms say what a user
can get wrong where they typed it."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from keyaccounts.clock import business_today
from keyaccounts.editing import date_input

from .forms import EditorForm, VersionedForm, layout, row
from .models import ChurnReason, Competitor, Customer, LockIn, RelationshipLevel
from .people import display_name
from .permissions import customer_holders_q


def _people_choices(users) -> list[tuple[int, str]]:
    return [(u.pk, display_name(u)) for u in users]


def holder_users():
    return get_user_model().objects.filter(customer_holders_q()).distinct().order_by("username")


def possible_leavers():
    """Whoever holds a customer, deactivated accounts included (someone who has left)."""
    customers = Customer.objects.order_by()
    holders = (
        customers.values("owner_id")
        .union(customers.filter(backup_owner__isnull=False).values("backup_owner_id"))
        .union(Customer.account_team.through.objects.order_by().values("user_id"))
    )
    return get_user_model().objects.filter(pk__in=holders).order_by("username")


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return display_name(obj)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return display_name(obj)


class LevelChangeForm(VersionedForm):
    """A new relationship level from a date, with its reason (and the lock-in for level 3)."""

    to_level = forms.TypedChoiceField(label=_("New level"), choices=RelationshipLevel.choices, coerce=int)
    effective_on = forms.DateField(label=_("Effective from"), widget=date_input())
    lock_in = forms.ChoiceField(
        label=_("Lock-in"),
        choices=[("", "—"), *LockIn.choices],
        required=False,
        help_text=_("Level 3 needs one: equity, a joint venture, a long-term contract or co-development."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, customer: Customer, version: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["version"].initial = version
        self.fields["effective_on"].initial = business_today()
        self.helper = layout(
            row(("to_level", "col-sm-4"), ("effective_on", "col-sm-4"), ("lock_in", "col-sm-4")), "reason", "version"
        )

    def clean_effective_on(self):
        return self.not_in_future("effective_on")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("to_level") == RelationshipLevel.STRATEGIC and not cleaned.get("lock_in"):
            self.add_error("lock_in", _("Level 3 needs the kind of lock-in."))
        if cleaned.get("to_level") == self.customer.relationship_level:
            self.add_error("to_level", _("The customer is already at this level."))
        return cleaned


class PeakMonthsForm(VersionedForm):
    months = forms.TypedMultipleChoiceField(
        label=_("Peak season months"),
        choices=[(number, name) for number, name in MONTHS.items()],
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "ka-months"}),
    )

    def __init__(self, *args, customer: Customer, version: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = version
        self.fields["months"].initial = list(customer.peak_months or [])
        self.helper = layout("months", "version")


class PeopleForm(VersionedForm):
    """Backup owner and account team: only people who may hold a customer are offered; anyone
    else posted is refused by the service with a message naming them."""

    backup_owner = PersonChoiceField(
        label=_("Backup owner"), queryset=get_user_model().objects.filter(is_active=True), required=False
    )
    team = PeopleChoiceField(
        label=_("Account team"),
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, customer: Customer, version: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = version
        offered = [u for u in holder_users() if u.pk != customer.owner_id]
        self.fields["backup_owner"].widget.choices = [("", "—"), *_people_choices(offered)]
        self.fields["team"].widget.choices = _people_choices(offered)
        self.fields["backup_owner"].initial = customer.backup_owner_id
        self.fields["team"].initial = [u.pk for u in customer.account_team.all()]
        self.helper = layout("backup_owner", "team", "version")


class ChurnForm(VersionedForm):
    churned_on = forms.DateField(label=_("Churned on"), widget=date_input())
    reason = forms.ChoiceField(label=_("Churn reason"), choices=ChurnReason.choices)
    lost_revenue = forms.DecimalField(
        label=_("Lost revenue"),
        max_digits=16,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text=_("By default the trailing 12-month revenue."),
    )
    competitor = forms.ModelChoiceField(
        label=_("Competitor that won the customer"), queryset=Competitor.objects.order_by("name"), required=False
    )
    notes = forms.CharField(label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, customer: Customer, version: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["version"].initial = version
        self.fields["churned_on"].initial = business_today()
        self.fields["lost_revenue"].initial = customer.revenue_12m
        self.helper = layout(
            row(("churned_on", "col-sm-6"), ("reason", "col-sm-6")),
            row(("lost_revenue", "col-sm-6"), ("competitor", "col-sm-6")),
            "notes",
            "version",
        )

    def clean_churned_on(self):
        day = self.not_in_future("churned_on")
        if day is not None and day < self.customer.customer_since:
            raise forms.ValidationError(_("The churn date cannot be before the customer-since date."))
        return day


class RecoverForm(VersionedForm):
    recovered_on = forms.DateField(label=_("Won back on"), widget=date_input())
    notes = forms.CharField(label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, customer: Customer, version: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = version
        self.fields["recovered_on"].initial = business_today()
        self.helper = layout("recovered_on", "notes", "version")

    def clean_recovered_on(self):
        return self.not_in_future("recovered_on")


class HandoverForm(EditorForm):
    """Whose book, from when, to whom: the customers ticked (or the whole book), each to the
    default successor unless its own ``to_<customer id>`` names another."""

    # The person leaving may already be deactivated.
    leaver = PersonChoiceField(label=_("Person leaving"), queryset=get_user_model().objects.all())
    effective_on = forms.DateField(
        label=_("Effective from"),
        widget=date_input(),
        help_text=_("Today or earlier: applied now, from that day on. A later date: applied that night."),
    )
    successor = PersonChoiceField(label=_("Successor"), queryset=get_user_model().objects.filter(is_active=True))
    whole_book = forms.BooleanField(label=_("The whole book"), required=False)
    customers = forms.TypedMultipleChoiceField(label=_("Customers"), coerce=int, required=False)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)

    def __init__(self, *args, book, **kwargs):
        super().__init__(*args, **kwargs)
        self.book = list(book)
        self.fields["customers"].choices = [(c.pk, c.name) for c in self.book]
        users = list(holder_users())
        offered = _people_choices(users)
        self.offered_names = [(u.get_username(), display_name(u)) for u in users]
        self.fields["successor"].widget.choices = [("", "—"), *offered]
        self.fields["effective_on"].initial = business_today()
        self.fields["effective_on"].widget.attrs["class"] = "form-control"
        self.offered = offered

    def successors(self, users_by_name: dict) -> dict:
        """Customer id → successor, from the ticks and the per-customer choices (user names)."""
        cleaned = self.cleaned_data
        ids = [c.pk for c in self.book] if cleaned.get("whole_book") else cleaned.get("customers", [])
        chosen = {}
        for pk in ids:
            own = (self.data.get(f"to_{pk}") or "").strip()
            chosen[pk] = users_by_name.get(own) or cleaned["successor"]
        return chosen

    def per_customer_names(self) -> set[str]:
        """The user names typed for single customers (each row's own successor)."""
        return {str(v).strip() for k, v in self.data.items() if k.startswith("to_") and str(v).strip()}

    def clean(self):
        cleaned = super().clean()
        unknown = sorted(self.per_customer_names() - {name for name, _label in self.offered_names})
        if unknown:
            raise forms.ValidationError(
                _("Not someone who may hold a customer: %(names)s.") % {"names": ", ".join(unknown)}
            )
        return cleaned
