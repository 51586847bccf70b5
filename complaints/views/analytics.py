"""The complaint analytics page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import formats
from django.views.decorators.http import require_GET

from keyaccounts.clock import business_today

from ..analytics import TOP_CUSTOMERS, complaint_analytics, filters_from
from ..monthly import RECURRENCE_DAYS


def _chart_data(analytics) -> dict:
    """What the charts draw, as plain JSON for the page's script."""
    return {
        "categories": [
            {"label": str(r["label"]), "tickets": r["tickets"], "recurrent": r["recurrent"]}
            for r in analytics.by_category
        ],
        "customers": [{"label": r["customer__name"], "tickets": r["tickets"]} for r in analytics.by_customer],
        "months": [
            {
                "label": formats.date_format(r["month"], "YEAR_MONTH_FORMAT"),
                "tickets": r["tickets"],
                "response_missed": r["response_missed"],
                "resolution_missed": r["resolution_missed"],
            }
            for r in analytics.by_month
        ],
    }


@login_required
@require_GET
def complaint_analytics_page(request):
    """Complaints by category, customer and month; response and resolution times against their
    targets; SLA attainment; recurrence. Account managers see their own customers' tickets only."""
    filters, form = filters_from(request.GET, today=business_today())
    analytics = complaint_analytics(user=request.user, filters=filters)
    context = {
        "form": form,
        "analytics": analytics,
        "charts": _chart_data(analytics),
        "recurrence_days": RECURRENCE_DAYS,
        "top_customers": TOP_CUSTOMERS,
    }
    return render(request, "complaints/analytics.html", context)
