from django.urls import path

from . import views, views_desk, views_intake

urlpatterns = [
    path("customers/<int:pk>/tickets/new/", views.ticket_quick_open, name="ticket_quick_open"),
    path("tickets/", views_desk.ticket_queue, name="ticket_queue"),
    path("tickets/assign/", views_desk.ticket_bulk_assign, name="ticket_bulk_assign"),
    path("tickets/hotline/", views_intake.hotline, name="hotline"),
    path("tickets/hotline/<int:pk>/", views_intake.hotline_record, name="hotline_record"),
    path("tickets/<int:pk>/", views_desk.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/transition/", views_desk.ticket_transition, name="ticket_transition"),
    path("tickets/<int:pk>/comment/", views_desk.ticket_comment, name="ticket_comment"),
    path("tickets/<int:pk>/assign/", views_desk.ticket_assign, name="ticket_assign"),
    path("tickets/<int:pk>/category/", views_desk.ticket_category, name="ticket_category"),
    path("tickets/<int:pk>/onsite/request/", views_desk.ticket_onsite_request, name="ticket_onsite_request"),
    path("tickets/<int:pk>/onsite/schedule/", views_desk.ticket_onsite_schedule, name="ticket_onsite_schedule"),
    path("tickets/<int:pk>/onsite/done/", views_desk.ticket_onsite_done, name="ticket_onsite_done"),
    path("tickets/<int:pk>/close/", views_desk.ticket_close, name="ticket_close"),
]

# The notification centre.
from . import views_notifications  # noqa: E402

urlpatterns += [
    path("notifications/", views_notifications.notification_list, name="notification_list"),
    path("notifications/badge/", views_notifications.notification_badge, name="notification_badge"),
    path("notifications/read-all/", views_notifications.notification_read_all, name="notification_read_all"),
    path("notifications/<int:pk>/read/", views_notifications.notification_read, name="notification_read"),
    path("notifications/<int:pk>/open/", views_notifications.notification_open, name="notification_open"),
]

# Complaint analytics.
from . import views_analytics  # noqa: E402

urlpatterns += [
    path("tickets/analytics/", views_analytics.complaint_analytics_page, name="complaint_analytics"),
]
