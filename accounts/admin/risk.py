"""Admin of the risk model versions (validated; activated through the one activation service),
snapshots, manual overrides, alerts, the nightly job's runs and the model quality runs.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from ..models import (
    Alert,
    BacktestRun,
    RiskModelVersion,
    RiskOverride,
    RiskRun,
    RiskSnapshot,
    RiskStanding,
)
from ..permissions import is_admin, may_see_model_quality
from ..risk.activation import risk_model_activate
from ..risk.defaults import DEFAULT_WEIGHTS
from ..risk.engine import RiskModelError, validate_model
from ..standing import refresh_standing
from .base import NEWEST_FIRST, ComputedRecordAdmin, VisibleToUserAdminMixin


class RiskModelVersionForm(forms.ModelForm):
    """Refuses a model the engine could not use: weights summing to nothing, unknown factors, bad grids."""

    class Meta:
        model = RiskModelVersion
        fields = ["version", "weights", "parameters", "notes"]

    activate = forms.BooleanField(
        label=_("Activate on save"),
        required=False,
        help_text=_("Make this the version the nightly risk run uses; the active one steps down."),
    )

    def clean(self):
        cleaned = super().clean()
        if "weights" in cleaned:
            try:
                validate_model(weights=cleaned["weights"] or {}, parameters=cleaned.get("parameters"))
            except RiskModelError as exc:
                raise ValidationError(str(exc)) from exc
        return cleaned


@admin.register(RiskModelVersion)
class RiskModelVersionAdmin(VisibleToUserAdminMixin, SimpleHistoryAdmin):
    """Versions of the risk model; a version snapshots refer to is frozen.

    "Save as new" copies a version for editing; the "Activate" action makes one the version the
    nightly job uses.
    """

    customer_lookup = None
    form = RiskModelVersionForm
    save_as = True
    # The action is not named "activate": a view-only change page shows the form's "activate"
    # checkbox as text, and the admin would look that name up as this callable.
    actions = ["activate_version"]
    list_display = ("__str__", "is_active", "created_at", "created_by")
    list_filter = ("is_active",)
    list_select_related = ("created_by",)
    readonly_fields = ("is_active", "created_at", "created_by")

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        # Snapshots cite the version that scored them; changing it afterwards would rewrite
        # history. An admin saves a new version instead.
        if obj is not None and obj.snapshots.exists():
            readonly += ("version", "weights", "parameters")
        return readonly

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("version", (RiskModelVersion.objects.aggregate(m=Max("version"))["m"] or 0) + 1)
        initial.setdefault("weights", dict(DEFAULT_WEIGHTS))
        return initial

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        if form.cleaned_data.get("activate"):
            # The form has validated the model already; the service validates again under lock.
            risk_model_activate(version=obj)
        else:
            super().save_model(request, obj, form, change)

    @admin.action(description=_("Activate the selected version for the nightly risk run"))
    def activate_version(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one version to activate."), level=messages.ERROR)
            return
        version = queryset.get()
        try:
            risk_model_activate(version=version)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), level=messages.ERROR)
            return
        self.message_user(request, _("Version v%(version)s is now active.") % {"version": version.version})


@admin.register(RiskSnapshot)
class RiskSnapshotAdmin(ComputedRecordAdmin):
    """Daily risk per customer, as the nightly run computed it."""

    list_display = ("customer", "as_of", "band", "computed_band", "score", "completeness", "model_version")
    list_filter = ("band", "computed_band", "as_of")
    list_select_related = ("customer", "model_version")
    # The latest night's snapshots first, as they were written.
    ordering = NEWEST_FIRST
    search_fields = ("customer__name", "customer__code")
    show_full_result_count = False


@admin.register(RiskStanding)
class RiskStandingAdmin(ComputedRecordAdmin):
    """The band people see and the score of each customer on the latest scored day, as the lists
    keep it (accounts.standing)."""

    list_display = ("customer", "as_of", "band", "score")
    list_filter = ("band",)
    list_select_related = ("customer",)
    search_fields = ("customer__name", "customer__code")
    show_full_result_count = False


@admin.register(RiskOverride)
class RiskOverrideAdmin(VisibleToUserAdminMixin, SimpleHistoryAdmin):
    """Manual risk bands, recorded as set by the user who saves them."""

    list_display = ("customer", "band", "starts_on", "expires_on", "ended_on", "set_by")
    list_filter = ("band", ("ended_on", admin.EmptyFieldListFilter), "expires_on")
    list_select_related = ("customer", "set_by")
    search_fields = ("customer__name", "customer__code", "reason")
    autocomplete_fields = ("customer",)
    readonly_fields = ("set_by",)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.set_by = request.user
        super().save_model(request, obj, form, change)
        # Saving refreshes the customer's kept standing (accounts.signals); moved to another
        # customer, the one it left is refreshed too.
        if change and "customer" in form.changed_data and form.initial.get("customer"):
            refresh_standing([form.initial["customer"]])

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        refresh_standing([obj.customer_id])

    def delete_queryset(self, request, queryset):
        customer_ids = list(queryset.values_list("customer_id", flat=True))
        super().delete_queryset(request, queryset)
        refresh_standing(customer_ids)


@admin.register(Alert)
class AlertAdmin(VisibleToUserAdminMixin, SimpleHistoryAdmin):
    """Risk and tier alerts addressed to the account's owners."""

    list_display = ("customer", "kind", "as_of", "opened_at", "closed_at", "closed_by")
    list_filter = ("kind", ("closed_at", admin.EmptyFieldListFilter), "as_of")
    list_select_related = ("customer", "closed_by")
    search_fields = ("customer__name", "customer__code")
    autocomplete_fields = ("customer", "recipients", "closed_by")
    readonly_fields = ("opened_at",)
    show_full_result_count = False


@admin.register(RiskRun)
class RiskRunAdmin(ComputedRecordAdmin):
    """The log of nightly job runs."""

    customer_lookup = None
    list_display = ("job", "as_of", "outcome", "started_at", "finished_at", "customers_scored")
    list_filter = ("job", "outcome", "as_of")


@admin.register(BacktestRun)
class BacktestRunAdmin(ComputedRecordAdmin):
    """Model quality runs, started on the model quality page: read here, for admins and
    executives only, like the page."""

    customer_lookup = None
    list_display = ("id", "model_version", "start", "end", "horizon_days", "status", "created_by", "created_at")
    list_filter = ("status", "model_version")
    list_select_related = ("model_version", "created_by")
    show_full_result_count = False

    def has_module_permission(self, request):
        return may_see_model_quality(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return may_see_model_quality(request.user) and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_admin(request.user) and super().has_delete_permission(request, obj)
