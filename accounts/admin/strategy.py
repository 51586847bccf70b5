"""Admin of purchase criteria (with their situation), account plans, product needs and incentives."""

from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from ..models import (
    AccountPlan,
    Incentive,
    ProductNeed,
    PurchaseCriterion,
)
from .base import NEWEST_FIRST, VisibleToUserAdminMixin

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
    ordering = NEWEST_FIRST
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
    ordering = NEWEST_FIRST
    search_fields = ("customer__name", "customer__code", "customer_strategy")
    autocomplete_fields = ("customer",)


@admin.register(ProductNeed)
class ProductNeedAdmin(VisibleToUserAdminMixin, SimpleHistoryAdmin):
    """Products customers need, and whether we supply them."""

    list_display = ("description", "customer", "product", "status", "identified_on", "met_on")
    list_filter = ("status",)
    list_select_related = ("customer", "product")
    search_fields = ("description", "customer__name", "customer__code")
    ordering = NEWEST_FIRST
    autocomplete_fields = ("customer", "product")


@admin.register(Incentive)
class IncentiveAdmin(VisibleToUserAdminMixin, SimpleHistoryAdmin):
    """Discounts, rebates, co-promotions and sales contests."""

    list_display = ("__str__", "customer", "kind", "value", "starts_on", "ends_on")
    list_filter = ("kind", "starts_on")
    list_select_related = ("customer",)
    search_fields = ("description", "customer__name", "customer__code")
    autocomplete_fields = ("customer",)
