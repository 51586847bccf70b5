"""Admin of the account-data records written on the customer page and the handover page: level
changes, churn and win-back records (read here, scoped to the customers one sees) and handovers
(admins and executives, like the handover page). None is written by hand here: the pages' services
keep the customer's history in step."""

from django.contrib import admin

from ..models import ChurnEvent, Handover, HandoverItem, RelationshipLevelChange
from ..permissions import is_admin, may_hand_over
from .base import ComputedRecordAdmin


@admin.register(RelationshipLevelChange)
class RelationshipLevelChangeAdmin(ComputedRecordAdmin):
    list_display = ("customer", "effective_on", "from_level", "to_level", "lock_in", "recorded_by", "recorded_at")
    list_filter = ("to_level", "lock_in")
    list_select_related = ("customer", "recorded_by")
    search_fields = ("customer__name", "customer__code")
    date_hierarchy = "effective_on"


@admin.register(ChurnEvent)
class ChurnEventAdmin(ComputedRecordAdmin):
    list_display = ("customer", "kind", "happened_on", "reason", "lost_revenue", "competitor", "recorded_by")
    list_filter = ("kind", "reason")
    list_select_related = ("customer", "competitor", "recorded_by")
    search_fields = ("customer__name", "customer__code")
    date_hierarchy = "happened_on"


class HandoverItemInline(admin.TabularInline):
    model = HandoverItem
    fields = ("customer", "successor")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(HandoverItem)
class HandoverItemAdmin(ComputedRecordAdmin):
    """Which customer went to whom in which handover, scoped to the customers one sees."""

    list_display = ("customer", "successor", "handover")
    list_select_related = ("customer", "successor", "handover__leaver")
    search_fields = ("customer__name", "customer__code")


@admin.register(Handover)
class HandoverAdmin(ComputedRecordAdmin):
    customer_lookup = None
    list_display = ("leaver", "effective_on", "status", "created_by", "created_at", "applied_at")
    list_filter = ("status",)
    list_select_related = ("leaver", "created_by")
    inlines = (HandoverItemInline,)

    def has_module_permission(self, request):
        return may_hand_over(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return may_hand_over(request.user) and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_admin(request.user) and super().has_delete_permission(request, obj)
