from django.urls import path

from .views import analytics, desk, intake, notifications, tickets

urlpatterns = [
    path("customers/<int:pk>/tickets/new/", intake.ticket_quick_open, name="ticket_quick_open"),
    path("tickets/", desk.ticket_queue, name="ticket_queue"),
    path("tickets/assign/", desk.ticket_bulk_assign, name="ticket_bulk_assign"),
    path("tickets/hotline/", intake.hotline, name="hotline"),
    path("tickets/hotline/<int:pk>/", intake.hotline_record, name="hotline_record"),
    path("tickets/<int:pk>/", tickets.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/transition/", tickets.ticket_transition, name="ticket_transition"),
    path("tickets/<int:pk>/comment/", tickets.ticket_comment, name="ticket_comment"),
    path("tickets/<int:pk>/assign/", tickets.ticket_assign, name="ticket_assign"),
    path("tickets/<int:pk>/category/", tickets.ticket_category, name="ticket_category"),
    path("tickets/<int:pk>/onsite/request/", tickets.ticket_onsite_request, name="ticket_onsite_request"),
    path("tickets/<int:pk>/onsite/schedule/", tickets.ticket_onsite_schedule, name="ticket_onsite_schedule"),
    path("tickets/<int:pk>/onsite/done/", tickets.ticket_onsite_done, name="ticket_onsite_done"),
    path("tickets/<int:pk>/close/", tickets.ticket_close, name="ticket_close"),
    path("tickets/analytics/", analytics.complaint_analytics_page, name="complaint_analytics"),
]

# The notification centre.
urlpatterns += [
    path("notifications/", notifications.notification_list, name="notification_list"),
    path("notifications/badge/", notifications.notification_badge, name="notification_badge"),
    path("notifications/read-all/", notifications.notification_read_all, name="notification_read_all"),
    path("notifications/<int:pk>/read/", notifications.notification_read, name="notification_read"),
    path("notifications/<int:pk>/open/", notifications.notification_open, name="notification_open"),
]
