"""Django admin for customers and everything recorded about their business with us.

Also home of the admin's permission door (`VisibleToUserAdminMixin`), which the relationships and
complaints admins use as well.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, OuterRef, Q, Subquery
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from complaints.models import Ticket
from relationships.models import Contact

from .models import (
    AccountPlan,
    Alert,
    Competitor,
    Customer,
    DeliveryLine,
    DigestSend,
    Incentive,
    Order,
    ParetoSnapshot,
    PortfolioSummary,
    PriceBenchmark,
    Product,
    ProductNeed,
    PurchaseCriterion,
    RiskBand,
    RiskModelVersion,
    RiskOverride,
    RiskRun,
    RiskSnapshot,
)
from .permissions import is_admin, is_executive
from .risk.defaults import DEFAULT_WEIGHTS
from .risk.engine import RiskModelError, validate_model


class VisibleChoicesMixin:
    """Offers in foreign-key and many-to-many fields only the objects the user may see.

    Without it a form would accept the id of another manager's customer (or contact, order…)
    posted by hand, even though the autocomplete never offered it.
    """

    def get_field_queryset(self, db, db_field, request):
        queryset = super().get_field_queryset(db, db_field, request)
        related_model = db_field.remote_field.model
        related_admin = self.admin_site._registry.get(related_model)
        if isinstance(related_admin, VisibleToUserAdminMixin) and not is_admin(request.user):
            if queryset is None:
                queryset = related_model._default_manager.using(db)
            queryset = related_admin.restrict_queryset(queryset, request.user)
        return queryset


class VisibleToUserAdminMixin(VisibleChoicesMixin):
    """The admin's door for permissions: staff who are not admins see only their customers' objects.

    Changelists, change and delete pages, autocomplete results and history pages all load objects
    through `get_queryset`, so restricting it here restricts all of them. `customer_lookup` is the
    path from the model to its customer; None marks reference data every staff user may read.
    """

    customer_lookup: str | None = "customer"

    def restrict_queryset(self, queryset, user):
        if self.customer_lookup is None:
            return queryset
        return queryset.filter(**{f"{self.customer_lookup}__in": Customer.objects.visible_to(user)})

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_admin(request.user):
            return queryset
        return self.restrict_queryset(queryset, request.user)

    def _require_visible(self, request, object_id) -> None:
        # simple_history falls back to the historical rows when it cannot find the object, which
        # would show (and let one revert) a hidden customer's data; only admins get that fallback,
        # for deleted objects.
        if is_admin(request.user):
            return
        try:
            visible = self.get_queryset(request).filter(pk=unquote(object_id)).exists()
        except (ValidationError, ValueError):
            visible = False
        if not visible:
            raise Http404

    def history_view(self, request, object_id, extra_context=None):
        self._require_visible(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._require_visible(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


class ContactInline(VisibleChoicesMixin, admin.TabularInline):
    """The customer's contacts, edited in place on the customer page."""

    model = Contact
    fields = ("name", "title", "department", "buying_role", "joined_on", "left_on")
    extra = 0
    show_change_link = True


class OpenTicketInline(VisibleChoicesMixin, admin.TabularInline):
    """The customer's open tickets, read-only: tickets are worked on their own page."""

    model = Ticket
    fields = ("subject", "status", "severity", "opened_at", "resolution_due_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = _("open tickets")

    def get_queryset(self, request):
        # Only open tickets: a long-standing key account has too many closed ones for one page.
        return super().get_queryset(request).filter(status__in=Ticket.OPEN_STATUSES)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Customer)
class CustomerAdmin(VisibleToUserAdminMixin, SimpleHistoryAdmin):
    """Customers with their contacts and open tickets.

    Tier and revenue are computed nightly; the risk band shown is the latest snapshot's.
    """

    list_display = (
        "name",
        "code",
        "tier",
        "tier_pinned",
        "status",
        "relationship_level",
        "owner",
        "region",
        "industry",
        "revenue_12m",
        "latest_risk_band",
    )
    list_filter = ("status", "tier", "tier_pinned", "relationship_level", "industry", "region", "churn_reason")
    list_select_related = ("owner",)
    search_fields = ("name", "code")
    autocomplete_fields = ("owner", "backup_owner", "account_team")
    readonly_fields = (
        "tier",
        "revenue_12m",
        "tier_months_below_cutoff",
        "latest_risk_band",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("code", "name", "industry", "region", "customer_since", "status")}),
        (_("Account team"), {"fields": ("owner", "backup_owner", "account_team")}),
        (_("Relationship"), {"fields": ("relationship_level", "peak_months")}),
        (
            _("Tier and risk"),
            {"fields": ("tier", "tier_pinned", "revenue_12m", "tier_months_below_cutoff", "latest_risk_band")},
        ),
        (_("Churn"), {"fields": ("churned_on", "churn_reason", "churn_notes")}),
        (_("Record"), {"fields": ("created_at", "updated_at")}),
    )
    inlines = (ContactInline, OpenTicketInline)

    def restrict_queryset(self, queryset, user):
        return queryset.visible_to(user)

    def get_queryset(self, request):
        latest_band = RiskSnapshot.objects.filter(customer=OuterRef("pk")).order_by("-as_of").values("band")[:1]
        return super().get_queryset(request).annotate(latest_band=Subquery(latest_band))

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        # The tier is computed nightly; pinning a customer as key overrides it, an admin's call.
        if not is_admin(request.user):
            readonly += ("tier_pinned",)
        return readonly

    @admin.display(description=_("latest risk band"), ordering="latest_band")
    def latest_risk_band(self, obj):
        band = getattr(obj, "latest_band", None)
        return RiskBand(band).label if band else None


@admin.register(Product)
class ProductAdmin(VisibleToUserAdminMixin, SimpleHistoryAdmin):
    """What we sell; reference data every staff user may read."""

    customer_lookup = None
    list_display = ("sku", "name", "category", "is_active")
    list_filter = ("is_active", "category")
    search_fields = ("sku", "name")


@admin.register(Competitor)
class CompetitorAdmin(VisibleToUserAdminMixin, SimpleHistoryAdmin):
    """Rival suppliers named in price benchmarks and purchase criteria."""

    customer_lookup = None
    list_display = ("name",)
    search_fields = ("name",)


class DeliveryLineInline(VisibleChoicesMixin, admin.TabularInline):
    """The order's lines with their delivery promise and outcome."""

    model = DeliveryLine
    fields = (
        "line_no",
        "product",
        "quantity_ordered",
        "quantity_delivered",
        "promised_on",
        "delivered_on",
        "on_time_in_full",
    )
    readonly_fields = ("on_time_in_full",)
    autocomplete_fields = ("product",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product")

    @admin.display(description=_("on time in full"), boolean=True)
    def on_time_in_full(self, obj):
        return obj.on_time_in_full if obj.pk else None


@admin.register(Order)
class OrderAdmin(VisibleToUserAdminMixin, SimpleHistoryAdmin):
    """Orders with their delivery lines."""

    list_display = ("number", "customer", "ordered_on", "amount")
    list_filter = ("customer__tier",)
    list_select_related = ("customer",)
    search_fields = ("number", "customer__name", "customer__code")
    date_hierarchy = "ordered_on"
    autocomplete_fields = ("customer",)
    inlines = (DeliveryLineInline,)
    # Millions of rows: a filtered page should not also count the whole table.
    show_full_result_count = False


class DeliveryStatusFilter(admin.SimpleListFilter):
    """Lines still open, delivered on time and in full, or delivered late or short."""

    title = _("delivery")
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return (
            ("open", _("Not delivered")),
            ("otif", _("On time in full")),
            ("missed", _("Late or short")),
        )

    def queryset(self, request, queryset):
        on_time_in_full = Q(
            delivered_on__isnull=False,
            delivered_on__lte=F("promised_on"),
            quantity_delivered__gte=F("quantity_ordered"),
        )
        if self.value() == "open":
            return queryset.filter(delivered_on__isnull=True)
        if self.value() == "otif":
            return queryset.filter(on_time_in_full)
        if self.value() == "missed":
            return queryset.filter(delivered_on__isnull=False).exclude(on_time_in_full)
        return queryset


@admin.register(DeliveryLine)
class DeliveryLineAdmin(VisibleToUserAdminMixin, SimpleHistoryAdmin):
    """Delivery lines on their own, to find late or short deliveries across orders."""

    customer_lookup = "order__customer"
    list_display = (
        "order",
        "line_no",
        "product",
        "quantity_ordered",
        "quantity_delivered",
        "promised_on",
        "delivered_on",
        "on_time_in_full",
    )
    list_filter = (DeliveryStatusFilter, "promised_on")
    list_select_related = ("order", "product")
    search_fields = ("order__number", "product__sku")
    autocomplete_fields = ("order", "product")
    readonly_fields = ("on_time_in_full",)
    show_full_result_count = False

    @admin.display(description=_("on time in full"), boolean=True)
    def on_time_in_full(self, obj):
        return obj.on_time_in_full if obj.pk else None


@admin.register(PriceBenchmark)
class PriceBenchmarkAdmin(VisibleToUserAdminMixin, SimpleHistoryAdmin):
    """Our price against the market average, per customer, product and day."""

    list_display = (
        "customer",
        "product",
        "observed_on",
        "our_price",
        "market_average_price",
        "price_ratio",
        "competitor",
        "competitor_quote",
    )
    list_filter = ("observed_on", "competitor")
    list_select_related = ("customer", "product", "competitor")
    search_fields = ("customer__name", "customer__code", "product__sku", "product__name")
    autocomplete_fields = ("customer", "product", "competitor")
    readonly_fields = ("price_ratio",)

    @admin.display(description=_("our price ÷ market average"))
    def price_ratio(self, obj):
        if obj.our_price is None or not obj.market_average_price:
            return None
        return f"{obj.price_ratio:.2f}"


SITUATION_LABELS = {
    "safe": _("Safe: only we meet it"),
    "caution": _("Caution: we and a competitor meet it"),
    "alarm": _("Alarm: only a competitor meets it"),
    "gap": _("Gap: nobody meets it"),
}
SITUATION_FILTERS = {
    "safe": Q(we_meet=True, competitor_meets=False),
    "caution": Q(we_meet=True, competitor_meets=True),
    "alarm": Q(we_meet=False, competitor_meets=True),
    "gap": Q(we_meet=False, competitor_meets=False),
}


class SituationFilter(admin.SimpleListFilter):
    """Safe, caution or alarm (and the gap nobody fills), as the purchase-criteria grid reads."""

    title = _("situation")
    parameter_name = "situation"

    def lookups(self, request, model_admin):
        return list(SITUATION_LABELS.items())

    def queryset(self, request, queryset):
        condition = SITUATION_FILTERS.get(self.value())
        return queryset.filter(condition) if condition is not None else queryset


@admin.register(PurchaseCriterion)
class PurchaseCriterionAdmin(VisibleToUserAdminMixin, SimpleHistoryAdmin):
    """The customer's purchase criteria and who meets them."""

    list_display = (
        "criterion",
        "customer",
        "importance",
        "we_meet",
        "competitor_meets",
        "competitor",
        "situation",
        "assessed_on",
    )
    list_filter = (SituationFilter, "importance", "competitor")
    list_select_related = ("customer", "competitor")
    search_fields = ("criterion", "customer__name", "customer__code")
    autocomplete_fields = ("customer", "competitor")
    readonly_fields = ("situation",)

    @admin.display(description=_("situation"))
    def situation(self, obj):
        if obj.we_meet is None or obj.competitor_meets is None:
            return None
        return SITUATION_LABELS[obj.situation]


@admin.register(AccountPlan)
class AccountPlanAdmin(VisibleToUserAdminMixin, SimpleHistoryAdmin):
    """The customer's strategic direction and our aligned actions."""

    list_display = ("__str__", "customer", "reviewed_on", "next_review_on")
    list_select_related = ("customer",)
    search_fields = ("customer__name", "customer__code", "customer_strategy")
    autocomplete_fields = ("customer",)


@admin.register(ProductNeed)
class ProductNeedAdmin(VisibleToUserAdminMixin, SimpleHistoryAdmin):
    """Products customers need, and whether we supply them."""

    list_display = ("description", "customer", "product", "status", "identified_on", "met_on")
    list_filter = ("status",)
    list_select_related = ("customer", "product")
    search_fields = ("description", "customer__name", "customer__code")
    autocomplete_fields = ("customer", "product")


@admin.register(Incentive)
class IncentiveAdmin(VisibleToUserAdminMixin, SimpleHistoryAdmin):
    """Discounts, rebates, co-promotions and sales contests."""

    list_display = ("__str__", "customer", "kind", "value", "starts_on", "ends_on")
    list_filter = ("kind", "starts_on")
    list_select_related = ("customer",)
    search_fields = ("description", "customer__name", "customer__code")
    autocomplete_fields = ("customer",)


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
    actions = ["activate"]
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

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        if form.cleaned_data.get("activate"):
            self._deactivate_others(obj)
            obj.is_active = True
        super().save_model(request, obj, form, change)

    @staticmethod
    def _deactivate_others(keep):
        # One active version at a time (a database constraint): step the current one down first.
        for other in RiskModelVersion.objects.select_for_update().filter(is_active=True).exclude(pk=keep.pk):
            other.is_active = False
            other.save(update_fields=["is_active"])

    @admin.action(description=_("Activate the selected version for the nightly risk run"))
    @transaction.atomic
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one version to activate."), level=messages.ERROR)
            return
        version = queryset.get()
        try:
            validate_model(weights=version.weights, parameters=version.parameters)
        except RiskModelError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)
            return
        self._deactivate_others(version)
        version.is_active = True
        version.save(update_fields=["is_active"])
        self.message_user(request, _("Version v%(version)s is now active.") % {"version": version.version})


class ComputedRecordAdmin(VisibleToUserAdminMixin, admin.ModelAdmin):
    """Rows written by the nightly jobs: readable here, never written by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RiskSnapshot)
class RiskSnapshotAdmin(ComputedRecordAdmin):
    """Daily risk per customer, as the nightly run computed it."""

    list_display = ("customer", "as_of", "band", "computed_band", "score", "completeness", "model_version")
    list_filter = ("band", "computed_band", "as_of")
    list_select_related = ("customer", "model_version")
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


@admin.register(ParetoSnapshot)
class ParetoSnapshotAdmin(ComputedRecordAdmin):
    """The 2/8 picture as of each date."""

    customer_lookup = None
    list_display = ("as_of", "customers", "key_customers", "cutoff_revenue", "total_revenue", "key_revenue_share")


class WholePortfolioAdmin(ComputedRecordAdmin):
    """Figures over the whole portfolio (with customer names among the largest moves): for admins
    and executives only, like the dashboard itself."""

    customer_lookup = None

    def _sees_portfolio(self, request) -> bool:
        return is_admin(request.user) or is_executive(request.user)

    def has_module_permission(self, request):
        return self._sees_portfolio(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._sees_portfolio(request) and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_admin(request.user) and super().has_delete_permission(request, obj)


@admin.register(PortfolioSummary)
class PortfolioSummaryAdmin(WholePortfolioAdmin):
    """The executive dashboard's summaries, rebuilt nightly and by rebuild_portfolio_summaries."""

    list_display = ("as_of", "grain", "tier", "region", "industry", "owner", "customers", "red", "amber", "revenue")
    list_filter = ("as_of", "grain", "tier", "region", "industry")
    list_select_related = ("owner",)
    show_full_result_count = False


@admin.register(DigestSend)
class DigestSendAdmin(WholePortfolioAdmin):
    """Which executive got which week's digest, and when."""

    list_display = ("week", "user", "as_of", "sent_at")
    list_filter = ("week",)
    list_select_related = ("user",)
