"""The executive risk dashboard, its XLSX export and its "Effect of plays" section; executives and
admins only."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from keyaccounts.clock import business_today
from plays.effect_summary import play_effect_summary

from ..permissions import may_see_portfolio
from ..portfolio.dashboard import Dashboard
from ..portfolio.export import dashboard_xlsx
from ..portfolio.intel import competitor_activity
from ..portfolio.reads import portfolio_dashboard
from ..spreadsheet_safety import CONTENT_TYPES


def _dashboard_for(request) -> Dashboard:
    # The dashboard shows the whole portfolio, so only those who may see every customer get it.
    if not may_see_portfolio(request.user):
        raise PermissionDenied
    return portfolio_dashboard(params=request.GET)


@login_required
@require_GET
def portfolio(request):
    """Portfolio health, revenue at risk, trends, what changed this week, why we lose accounts,
    service and supply: one page, every number a link to the customers behind it."""
    board = _dashboard_for(request)
    context = {"board": board, "charts": board.chart_data(), "activity": competitor_activity()}
    return render(request, "accounts/dashboard/portfolio.html", context)


@login_required
@require_GET
def portfolio_xlsx(request):
    """The dashboard's tables, one sheet each, with the filters in force."""
    board = _dashboard_for(request)
    day = board.as_of.isoformat() if board.as_of else "none"
    return FileResponse(
        dashboard_xlsx(board),
        as_attachment=True,
        filename=f"portfolio-{day}.xlsx",
        content_type=CONTENT_TYPES["xlsx"],
    )


@login_required
@require_GET
def play_effects(request):
    """The dashboard's "Effect of plays" section (loaded by htmx): per playbook, what the plays done
    in the last 12 months did to the risk; one query."""
    if not may_see_portfolio(request.user):
        raise PermissionDenied
    rows = play_effect_summary(today=business_today())
    return render(request, "accounts/dashboard/_play_effects.html", {"rows": rows})
