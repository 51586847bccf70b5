from django.urls import path

from . import views

urlpatterns = [
    path("customers/<int:pk>/tickets/new/", views.ticket_quick_open, name="ticket_quick_open"),
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
