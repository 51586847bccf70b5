"""Django admin for tickets, their history and the SLA policies they are measured against."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin.base import ComputedRecordAdmin, VisibleChoicesMixin, VisibleToUserAdminMixin

from .models import ComplaintMonth, SlaPolicy, Ticket, TicketEvent


@admin.register(SlaPolicy)
class SlaPolicyAdmin(VisibleToUserAdminMixin, SimpleHistoryAdmin):
    """Response and resolution targets per tier and severity."""

    customer_lookup = None
    list_display = ("__str__", "tier", "severity", "response_hours", "resolution_hours")
    list_filter = ("tier", "severity")


class TicketEventInline(VisibleChoicesMixin, admin.TabularInline):
    """The ticket's history. Past events are shown as recorded; new ones can be appended."""

    model = TicketEvent
    fields = ("at", "kind", "from_status", "to_status", "comment", "by")
    autocomplete_fields = ("by",)
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")

    def has_change_permission(self, request, obj=None):
        # Events carry no audit trail of their own: rewriting one would rewrite the ticket's history.
        return False


@admin.register(Ticket)
class TicketAdmin(VisibleToUserAdminMixin, SimpleHistoryAdmin):
    """Complaints and service requests with their history."""

    list_display = (
        "__str__",
        "customer",
        "kind",
        "severity",
        "status",
        "category",
        "department",
        "assigned_to",
        "opened_at",
        "resolution_due_at",
    )
    # A date filter, not a date hierarchy: the hierarchy's years are the distinct years of every
    # ticket, in the business time zone (125 ms over 250,000).
    list_filter = ("status", "severity", "kind", "category", "channel", "department", "onsite_requested", "opened_at")
    list_select_related = ("customer", "assigned_to")
    search_fields = ("subject", "customer__name", "customer__code")
    autocomplete_fields = ("customer", "contact", "assigned_to", "onsite_engineer", "recurrence_of")
    inlines = (TicketEventInline,)
    # Millions of rows: a filtered page should not also count the whole table.
    show_full_result_count = False

    def restrict_queryset(self, queryset, user):
        return queryset.visible_to(user)


@admin.register(TicketEvent)
class TicketEventAdmin(VisibleToUserAdminMixin, admin.ModelAdmin):
    """Append-only: an event is corrected by a later comment, never edited."""

    customer_lookup = "ticket__customer"
    list_display = ("ticket", "at", "kind", "from_status", "to_status", "by")
    list_filter = ("kind",)
    list_select_related = ("ticket", "by")
    search_fields = ("ticket__subject", "comment")
    autocomplete_fields = ("ticket", "by")
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        # Events carry no audit trail of their own: rewriting one would rewrite the ticket's history.
        return False


# SLA escalation and notifications ----------------------------------------------------------------

from .models import DepartmentHead, Notification, TicketEscalation  # noqa: E402


@admin.register(DepartmentHead)
class DepartmentHeadAdmin(VisibleToUserAdminMixin, SimpleHistoryAdmin):
    """Who is told when a department's ticket passes its deadline (escalation step 2)."""

    customer_lookup = None
    list_display = ("department", "user")
    list_filter = ("department",)
    list_select_related = ("user",)
    search_fields = ("user__username", "user__first_name", "user__last_name")
    autocomplete_fields = ("user",)


@admin.register(TicketEscalation)
class TicketEscalationAdmin(VisibleToUserAdminMixin, admin.ModelAdmin):
    """Written by the escalation task only: read here, never added or edited by hand."""

    customer_lookup = "ticket__customer"
    list_display = ("ticket", "step", "reason", "at", "due_at")
    list_filter = ("step", "reason")
    list_select_related = ("ticket",)
    search_fields = ("ticket__subject", "ticket__customer__name")
    date_hierarchy = "at"
    readonly_fields = ("ticket", "step", "reason", "at", "due_at", "notified")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(VisibleToUserAdminMixin, admin.ModelAdmin):
    """Everyone's notifications for admins; other staff see only their own."""

    list_display = ("recipient", "kind", "ticket", "created_at", "read_at", "emailed_at")
    list_filter = ("kind",)
    list_select_related = ("recipient", "ticket")
    search_fields = ("recipient__username",)
    date_hierarchy = "created_at"
    readonly_fields = ("recipient", "kind", "params", "ticket", "link", "created_at", "read_at", "emailed_at")
    show_full_result_count = False

    def restrict_queryset(self, queryset, user):
        return queryset.filter(recipient=user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ComplaintMonth)
class ComplaintMonthAdmin(ComputedRecordAdmin):
    """The analytics page's stored monthly figures, rebuilt daily after the night, after every
    ticket write and by rebuild_complaint_months: read-only, and only the customers the user may see."""

    list_display = ("month", "customer", "kind", "department", "severity", "category", "tickets", "computed_at")
    list_filter = ("month", "kind", "department", "severity", "category")
    list_select_related = ("customer",)
    readonly_fields = [field.name for field in ComplaintMonth._meta.fields]
    show_full_result_count = False
