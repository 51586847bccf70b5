from django.urls import path

from . import views

urlpatterns = [
    path("customers/<int:pk>/tickets/new/", views.ticket_quick_open, name="ticket_quick_open"),
]
