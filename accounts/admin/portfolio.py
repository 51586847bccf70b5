"""Admin of the portfolio-wide records: Pareto snapshots, dashboard summaries and digest sends, for
admins and executives only.
"""

from django.contrib import admin

from ..models import (
    DigestSend,
    ParetoSnapshot,
    PortfolioSummary,
)
from ..permissions import is_admin, may_see_portfolio
from .base import ComputedRecordAdmin


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
        return may_see_portfolio(request.user)

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
