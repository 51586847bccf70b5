from django.urls import path

from .views import account_data, customers, dashboard, exports, handover, intel, quality, strategy, workspace

urlpatterns = [
    path("", workspace.home, name="home"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/timeline/", customers.customer_timeline_page, name="customer_timeline"),
    path("customers/<int:pk>/supply/", customers.supply_section, name="supply_section"),
    path("customers/<int:pk>/pricing/", customers.pricing_section, name="pricing_section"),
    path("customers/<int:pk>/override/", customers.override_create, name="override_create"),
    path("customers/<int:pk>/override/end/", customers.override_end, name="override_end"),
    path("alerts/<int:pk>/close/", workspace.alert_close, name="alert_close"),
    path("alerts/close/", workspace.alerts_close, name="alerts_close"),
]

# The purchase-criteria and strategy sections of the customer 360 page, and their editors.
urlpatterns += [
    path("customers/<int:pk>/criteria/", strategy.criteria_section, name="criteria_section"),
    path("customers/<int:pk>/criteria/assess/", strategy.criterion_assess, name="criterion_assess"),
    path("customers/<int:pk>/strategy/", strategy.strategy_section, name="strategy_section"),
    path("customers/<int:pk>/strategy/plan/", strategy.account_plan_edit, name="account_plan_edit"),
    path("customers/<int:pk>/strategy/needs/new/", strategy.need_create, name="need_create"),
    path("customers/<int:pk>/strategy/needs/<int:need_pk>/status/", strategy.need_status, name="need_status"),
    path("customers/<int:pk>/strategy/incentives/new/", strategy.incentive_create, name="incentive_create"),
    path(
        "customers/<int:pk>/strategy/incentives/<int:incentive_pk>/edit/",
        strategy.incentive_edit,
        name="incentive_edit",
    ),
    path(
        "customers/<int:pk>/strategy/incentives/<int:incentive_pk>/end/",
        strategy.incentive_end,
        name="incentive_end",
    ),
]

# The competitor-intelligence section of the customer 360 page, and its editors.
urlpatterns += [
    path("customers/<int:pk>/intel/", intel.intel_section, name="intel_section"),
    path("customers/<int:pk>/intel/new/", intel.intel_create, name="intel_create"),
    path("customers/<int:pk>/intel/<int:intel_pk>/edit/", intel.intel_edit, name="intel_edit"),
]

# The manager's workspace: today's actions, global search and exports of the customer list.
urlpatterns += [
    path("today/", workspace.today, name="today"),
    path("today/badge/", workspace.today_badge, name="today_badge"),
    path("search/", workspace.search, name="search"),
    path("search/live/", workspace.search_live, name="search_live"),
    path("export/customers.csv", exports.export_csv, name="export_csv"),
    path("export/customers.xlsx", exports.export_xlsx, name="export_xlsx"),
    path("export/jobs/<int:pk>/", exports.export_job, name="export_job"),
    path("export/jobs/<int:pk>/status/", exports.export_job_status, name="export_job_status"),
    path("export/jobs/<int:pk>/customers.xlsx", exports.export_job_download, name="export_job_download"),
]

# The executive risk dashboard and its export.
urlpatterns += [
    path("dashboard/", dashboard.portfolio, name="portfolio_dashboard"),
    path("dashboard/portfolio.xlsx", dashboard.portfolio_xlsx, name="portfolio_dashboard_xlsx"),
    path("dashboard/play-effects/", dashboard.play_effects, name="dashboard_play_effects"),
]

# The model quality pages: backtests of a model version, for executives and admins.
urlpatterns += [
    path("risk/quality/", quality.quality_index, name="risk_quality"),
    path("risk/quality/compare/", quality.quality_compare, name="risk_quality_compare"),
    path("risk/quality/<int:pk>/", quality.quality_run, name="risk_quality_run"),
    path("risk/quality/<int:pk>/progress/", quality.quality_progress, name="risk_quality_progress"),
]

# The account-data section of the customer page (owner and admins edit), and handovers.
urlpatterns += [
    path("customers/<int:pk>/account/", account_data.account_section, name="account_section"),
    path("customers/<int:pk>/account/level/", account_data.level_change, name="account_level_change"),
    path("customers/<int:pk>/account/peak-months/", account_data.peak_months_edit, name="account_peak_months"),
    path("customers/<int:pk>/account/people/", account_data.people_edit, name="account_people"),
    path("customers/<int:pk>/account/churn/", account_data.churn_record, name="account_churn"),
    path("customers/<int:pk>/account/win-back/", account_data.churn_recover, name="account_win_back"),
    path("handovers/", handover.handover_list, name="handover_list"),
    path("handovers/new/", handover.handover_new, name="handover_new"),
]
