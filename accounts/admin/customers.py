"""Admin of customers, with their contacts and open tickets inline."""

from django.contrib import admin
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from complaints.models import Ticket
from relationships.models import Contact

from ..models import (
    Customer,
    RiskBand,
    RiskSnapshot,
)
from ..permissions import is_admin
from .base import VisibleChoicesMixin, VisibleToUserAdminMixin, money_column


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
        money_column(Customer, "revenue_12m"),
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
