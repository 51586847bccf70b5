"""Forms of the accounts app: the manual risk band of the customer page, the in-page editors
of its purchase-criteria and strategy sections (account plan, product needs, incentives), and the
start of a model quality run.

Each editor form checks what a user can get wrong and says how to put it right; the services check
the same invariants again, and the database constraints are the last line.
"""

from datetime import date, timedelta
from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from keyaccounts.clock import business_today
from keyaccounts.editing import BoundedDates, date_input

from .models import (
    MAX_OVERRIDE_DAYS,
    AccountPlan,
    Competitor,
    Incentive,
    Product,
    ProductNeed,
    PurchaseCriterion,
    RiskBand,
    RiskModelVersion,
)


class OverrideForm(BoundedDates, forms.Form):
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


# Model quality ----------------------------------------------------------------------------------

QUALITY_HORIZON_DAYS = (30, 730)
QUALITY_MAX_SPAN_DAYS = 5 * 366
QUALITY_EARLIEST = date(1900, 1, 1)


class QualityRunForm(BoundedDates, forms.Form):
    """A model quality run: which version, which replay dates, how far ahead a loss counts."""

    model_version = forms.ModelChoiceField(
        label=_("Model version"), queryset=RiskModelVersion.objects.order_by("-version"), empty_label=None
    )
    start = forms.DateField(label=_("First replay date"), widget=date_input())
    end = forms.DateField(
        label=_("Last replay date"), widget=date_input(), help_text=_("Replays are the month ends in between.")
    )
    horizon_days = forms.IntegerField(
        label=_("Horizon (days)"),
        min_value=QUALITY_HORIZON_DAYS[0],
        max_value=QUALITY_HORIZON_DAYS[1],
        initial=180,
        help_text=_("A recorded churn this many days after a replay counts as a loss."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = business_today()
        # The latest month end whose six months of outcome have passed, and the year before it.
        last = (today - timedelta(days=182)).replace(day=1) - timedelta(days=1)
        self.fields["end"].initial = last
        self.fields["start"].initial = (last.replace(day=1) - timedelta(days=365)).replace(day=1) - timedelta(days=1)
        self.fields["start"].widget.attrs["min"] = QUALITY_EARLIEST.isoformat()
        self.fields["end"].widget.attrs["max"] = today.isoformat()
        for name in ("start", "end", "horizon_days"):
            self.fields[name].widget.attrs["class"] = "form-control form-control-sm"

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["class"] = "form-control form-control-sm is-invalid"

    def _checked_date(self, name: str) -> date:
        day = self.cleaned_data[name]  # within the range already (`BoundedDates`)
        if day > business_today():
            raise forms.ValidationError(_("Choose a date no later than today."))
        return day

    def clean_start(self):
        return self._checked_date("start")

    def clean_end(self):
        return self._checked_date("end")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The last replay date must not be before the first."))
            elif (end - start).days > QUALITY_MAX_SPAN_DAYS:
                self.add_error("end", _("At most five years between the first and the last replay date."))
        return cleaned


# Purchase criteria and strategy -----------------------------------------------------------------


def _day(value) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def layout(*rows) -> FormHelper:
    """Fields side by side where they belong together; the template supplies the <form> tag."""
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = Layout(*rows)
    return helper


def row(*columns: tuple[str, str]) -> Row:
    return Row(*(Column(name, css_class=css) for name, css in columns))


class EditorForm(BoundedDates, forms.Form):
    """A form of an in-page editor."""

    def not_in_future(self, name: str):
        value = self.cleaned_data.get(name)
        if value is not None and value > business_today():
            raise forms.ValidationError(_("This date is in the future; use today or an earlier date."))
        return value


class VersionedForm(EditorForm):
    """Carries the fingerprint of the record as it was when the form opened (optimistic locking)."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)


class CriterionAssessmentForm(EditorForm):
    """A dated assessment of one purchase criterion: a new criterion, or a re-assessment of one."""

    criterion = forms.CharField(label=_("Criterion"), max_length=200)
    importance = forms.TypedChoiceField(
        label=_("Importance to the customer"),
        choices=PurchaseCriterion.Importance.choices,
        coerce=int,
        initial=PurchaseCriterion.Importance.MEDIUM,
    )
    we_meet = forms.BooleanField(label=_("We meet it"), required=False)
    competitor_meets = forms.BooleanField(label=_("A competitor meets it"), required=False)
    competitor = forms.ModelChoiceField(
        label=_("Competitor"),
        queryset=Competitor.objects.order_by("name"),
        required=False,
        help_text=_("Required when a competitor meets the criterion."),
    )
    assessed_on = forms.DateField(label=_("Assessed on"), widget=date_input())
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, customer, reassess: PurchaseCriterion | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.reassess = reassess
        self.fields["assessed_on"].initial = business_today()
        self.helper = layout(
            row(("criterion", "col-md-8"), ("importance", "col-md-4")),
            row(("we_meet", "col-md-3 pt-md-4"), ("competitor_meets", "col-md-3 pt-md-4"), ("competitor", "col-md-6")),
            row(("assessed_on", "col-md-4"), ("notes", "col-md-8")),
        )
        if reassess is not None:
            # The criterion is what is re-assessed; renaming it would start a different one.
            self.fields["criterion"].disabled = True
            self.fields["criterion"].initial = reassess.criterion
            self.fields["importance"].initial = reassess.importance
            self.fields["we_meet"].initial = reassess.we_meet
            self.fields["competitor_meets"].initial = reassess.competitor_meets
            self.fields["competitor"].initial = reassess.competitor_id
            self.fields["notes"].initial = reassess.notes

    def clean_criterion(self):
        criterion = " ".join(self.cleaned_data["criterion"].split())
        if not criterion:
            raise forms.ValidationError(_("Name the criterion."))
        # The same criterion typed in another case is a re-assessment, not a second criterion.
        existing = (
            self.customer.criteria.filter(criterion__iexact=criterion).values_list("criterion", flat=True).first()
        )
        return existing or criterion

    def clean_assessed_on(self):
        return self.not_in_future("assessed_on")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("competitor_meets") and cleaned.get("competitor") is None:
            self.add_error("competitor", _("Say which competitor meets the criterion."))
        if not cleaned.get("competitor_meets"):
            cleaned["competitor"] = None
        criterion, assessed_on = cleaned.get("criterion"), cleaned.get("assessed_on")
        if criterion and assessed_on:
            latest = (
                self.customer.criteria.filter(criterion=criterion, assessed_on__lte=business_today())
                .order_by("-assessed_on")
                .values_list("assessed_on", flat=True)
                .first()
            )
            if latest is not None and assessed_on <= latest:
                self.add_error(
                    "assessed_on",
                    _(
                        "“%(criterion)s” was last assessed on %(day)s. Assessments are kept as history, "
                        "so a new one is dated after it."
                    )
                    % {"criterion": criterion, "day": _day(latest)},
                )
        return cleaned


class AccountPlanForm(VersionedForm):
    """The account plan: the customer's direction, our aligned actions and the review dates."""

    customer_strategy = forms.CharField(
        label=_("Customer's strategic direction"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    our_actions = forms.CharField(
        label=_("Our aligned actions"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    reviewed_on = forms.DateField(
        label=_("Last reviewed on"),
        widget=date_input(),
        help_text=_(
            "The date of the review that produced this plan. A later date records a new review and keeps "
            "the earlier plan in the history; the same date corrects the plan."
        ),
    )
    next_review_on = forms.DateField(label=_("Next review on"), widget=date_input(), required=False)

    def __init__(self, *args, plan: AccountPlan | None, version: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.fields["version"].initial = version
        self.helper = layout(
            row(("customer_strategy", "col-md-6"), ("our_actions", "col-md-6")),
            row(("reviewed_on", "col-md-6"), ("next_review_on", "col-md-6")),
            "version",
        )
        if plan is None:
            self.fields["reviewed_on"].initial = business_today()
        else:
            for name in ("customer_strategy", "our_actions", "reviewed_on", "next_review_on"):
                self.fields[name].initial = getattr(plan, name)

    def clean_customer_strategy(self):
        return self._text("customer_strategy")

    def clean_our_actions(self):
        return self._text("our_actions")

    def _text(self, name: str) -> str:
        value = self.cleaned_data[name].strip()
        if not value:
            raise forms.ValidationError(_("This field is required."))
        return value

    def clean_reviewed_on(self):
        reviewed_on = self.not_in_future("reviewed_on")
        if self.plan is not None and reviewed_on < self.plan.reviewed_on:
            raise forms.ValidationError(
                _("The plan was last reviewed on %(day)s; a review cannot be dated before it.")
                % {"day": _day(self.plan.reviewed_on)}
            )
        return reviewed_on

    def clean(self):
        cleaned = super().clean()
        reviewed_on, next_review_on = cleaned.get("reviewed_on"), cleaned.get("next_review_on")
        if reviewed_on and next_review_on and next_review_on <= reviewed_on:
            self.add_error("next_review_on", _("The next review must come after the last one."))
        return cleaned


def _product_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("Our product"),
        queryset=Product.objects.filter(is_active=True).order_by("sku"),
        required=False,
        help_text=_("The product that meets or will meet the need, if there is one."),
    )


class _NeedStatusMixin:
    """Met needs carry the day they were met: on or after the day the need was found, not later
    than today. Open needs carry none."""

    def check_met_on(self, cleaned: dict, identified_on) -> None:
        status, met_on = cleaned.get("status"), cleaned.get("met_on")
        if status == ProductNeed.Status.MET:
            if met_on is None:
                self.add_error("met_on", _("Give the date the need was met."))
            elif identified_on is not None and met_on < identified_on:
                self.add_error(
                    "met_on",
                    _("The need was identified on %(day)s; it cannot be met before that.")
                    % {"day": _day(identified_on)},
                )
        elif met_on is not None:
            self.add_error("met_on", _("Only a met need has the date it was met; leave this empty."))


class ProductNeedForm(_NeedStatusMixin, EditorForm):
    """A product the customer needs, and whether we supply it."""

    description = forms.CharField(label=_("Need"), max_length=200)
    product = _product_field()
    status = forms.ChoiceField(label=_("Status"), choices=ProductNeed.Status.choices, initial=ProductNeed.Status.UNMET)
    identified_on = forms.DateField(label=_("Identified on"), widget=date_input())
    met_on = forms.DateField(label=_("Met on"), widget=date_input(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["identified_on"].initial = business_today()
        self.helper = layout(
            "description",
            "product",
            row(("status", "col-sm-4"), ("identified_on", "col-sm-4"), ("met_on", "col-sm-4")),
        )

    def clean_description(self):
        description = " ".join(self.cleaned_data["description"].split())
        if not description:
            raise forms.ValidationError(_("Describe the need."))
        return description

    def clean_identified_on(self):
        return self.not_in_future("identified_on")

    def clean_met_on(self):
        return self.not_in_future("met_on")

    def clean(self):
        cleaned = super().clean()
        self.check_met_on(cleaned, cleaned.get("identified_on"))
        return cleaned


class NeedStatusForm(_NeedStatusMixin, VersionedForm):
    """Move a need between unmet, planned and met."""

    status = forms.ChoiceField(label=_("Status"), choices=ProductNeed.Status.choices)
    met_on = forms.DateField(
        label=_("Met on"), widget=date_input(), required=False, help_text=_("Only when the need is met.")
    )
    product = _product_field()

    def __init__(self, *args, need: ProductNeed, version: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.need = need
        self.fields["version"].initial = version
        self.helper = layout(row(("status", "col-sm-6"), ("met_on", "col-sm-6")), "product", "version")
        self.fields["status"].initial = need.status
        self.fields["met_on"].initial = need.met_on
        self.fields["product"].initial = need.product_id

    def clean_met_on(self):
        return self.not_in_future("met_on")

    def clean(self):
        cleaned = super().clean()
        self.check_met_on(cleaned, self.need.identified_on)
        return cleaned


class IncentiveForm(VersionedForm):
    """A discount, rebate, co-promotion or sales contest over a period."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Incentive.Kind.choices)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    value = forms.DecimalField(
        label=_("Value"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=_("The amount the programme is worth to the customer."),
    )
    starts_on = forms.DateField(label=_("Starts on"), widget=date_input())
    ends_on = forms.DateField(label=_("Ends on"), widget=date_input())

    def __init__(self, *args, incentive: Incentive | None = None, version: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = version
        self.helper = layout(
            row(("kind", "col-sm-6"), ("value", "col-sm-6")),
            "description",
            row(("starts_on", "col-sm-6"), ("ends_on", "col-sm-6")),
            "version",
        )
        if incentive is None:
            self.fields["starts_on"].initial = business_today()
        else:
            for name in ("kind", "description", "value", "starts_on", "ends_on"):
                self.fields[name].initial = getattr(incentive, name)

    def clean_description(self):
        return self.cleaned_data["description"].strip()

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("An incentive cannot end before it starts."))
        return cleaned


class IncentiveEndForm(VersionedForm):
    """End a running incentive today instead of on its planned end date."""

    def __init__(self, *args, incentive: Incentive, version: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.incentive = incentive
        self.fields["version"].initial = version
        self.helper = layout("version")

    def clean(self):
        cleaned = super().clean()
        today = business_today()
        if self.incentive.starts_on > today:
            raise forms.ValidationError(
                _("This incentive has not started yet (it starts on %(day)s); change its dates instead.")
                % {"day": _day(self.incentive.starts_on)}
            )
        if self.incentive.ends_on <= today:
            raise forms.ValidationError(_("This incentive has already ended."))
        return cleaned
