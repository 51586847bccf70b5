"""Admin of products, competitors, orders with their delivery lines, price benchmarks and competitor
intelligence."""

from django.contrib import admin
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from ..models import (
    Competitor,
    CompetitorIntel,
    DeliveryLine,
    Order,
    PriceBenchmark,
    Product,
)
from .base import NEWEST_FIRST, VisibleChoicesMixin, VisibleToUserAdminMixin, money_column


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

    list_display = ("number", "customer", "ordered_on", money_column(Order, "amount", 2))
    # A date filter, not a date hierarchy: the hierarchy's years are the distinct years of every
    # order (250 ms over 2.35 million orders); the filter's choices are fixed.
    list_filter = ("customer__tier", "ordered_on")
    list_select_related = ("customer",)
    search_fields = ("number", "customer__name", "customer__code")
    ordering = NEWEST_FIRST
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
    ordering = NEWEST_FIRST
    search_fields = ("customer__name", "customer__code", "product__sku", "product__name")
    autocomplete_fields = ("customer", "product", "competitor")
    readonly_fields = ("price_ratio",)

    @admin.display(description=_("our price ÷ market average"))
    def price_ratio(self, obj):
        if obj.our_price is None or not obj.market_average_price:
            return None
        return f"{obj.price_ratio:.2f}"


@admin.register(CompetitorIntel)
class CompetitorIntelAdmin(VisibleToUserAdminMixin, SimpleHistoryAdmin):
    """What we heard about competitors at customers, with who told us and how sure we are."""

    list_display = ("noted_on", "customer", "competitor", "kind", "confidence", "contact", "recorded_by")
    list_filter = ("kind", "confidence", "competitor", "noted_on")
    list_select_related = ("customer", "competitor", "contact", "recorded_by")
    search_fields = ("note", "customer__name", "customer__code", "competitor__name")
    autocomplete_fields = ("customer", "competitor", "contact")
    readonly_fields = ("recorded_by", "created_at")
    date_hierarchy = "noted_on"

    def save_model(self, request, obj, form, change):
        if not change and obj.recorded_by_id is None:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)
