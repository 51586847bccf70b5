"""Django admin for the relationship network: contacts, interactions and cadences."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin.base import NEWEST_FIRST, ScaleListFilter, VisibleToUserAdminMixin

from .models import Cadence, Contact, Interaction


class ContactStatusFilter(admin.SimpleListFilter):
    """Contacts still at the customer versus those who left (and took the relationship along)."""

    title = _("still at the customer")
    parameter_name = "present"

    def lookups(self, request, model_admin):
        return (("yes", _("Still there")), ("no", _("Left")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(left_on__isnull=True)
        if self.value() == "no":
            return queryset.filter(left_on__isnull=False)
        return queryset


@admin.register(Contact)
class ContactAdmin(VisibleToUserAdminMixin, SimpleHistoryAdmin):
    """Contacts across the customer's departments."""

    list_display = (
        "name",
        "customer",
        "title",
        "department",
        "buying_role",
        "influence",
        "trust",
        "internal_owner",
        "left_on",
    )
    list_filter = (
        ContactStatusFilter,
        "department",
        "buying_role",
        ("influence", ScaleListFilter),
        ("trust", ScaleListFilter),
    )
    list_select_related = ("customer", "internal_owner")
    search_fields = ("name", "title", "email", "customer__name", "customer__code")
    autocomplete_fields = ("customer", "internal_owner")
    show_full_result_count = False


@admin.register(Interaction)
class InteractionAdmin(VisibleToUserAdminMixin, SimpleHistoryAdmin):
    """Visits, calls and meetings, with who took part on both sides."""

    list_display = ("occurred_on", "subject", "customer", "kind", "logged_by")
    # A date filter, not a date hierarchy: the hierarchy's years are the distinct years of every
    # interaction (110 ms over a million).
    list_filter = ("kind", "occurred_on")
    list_select_related = ("customer", "logged_by")
    search_fields = ("subject", "customer__name", "customer__code")
    ordering = NEWEST_FIRST
    autocomplete_fields = ("customer", "contacts", "our_people", "logged_by")
    # Millions of rows: a filtered page should not also count the whole table.
    show_full_result_count = False


@admin.register(Cadence)
class CadenceAdmin(VisibleToUserAdminMixin, SimpleHistoryAdmin):
    """Agreed communication schedules per customer."""

    list_display = ("name", "customer", "interaction_kind", "interval_days", "starts_on", "ends_on", "owner")
    list_filter = ("interaction_kind",)
    list_select_related = ("customer", "owner")
    search_fields = ("name", "customer__name", "customer__code")
    autocomplete_fields = ("customer", "owner")
