from django.urls import path

from . import views

customer = "customers/<int:pk>/"

urlpatterns = [
    path(f"{customer}contacts/new/", views.contact_create, name="contact_create"),
    path(f"{customer}contacts/<int:contact_pk>/edit/", views.contact_update, name="contact_update"),
    path(f"{customer}contacts/<int:contact_pk>/left/", views.contact_left, name="contact_left"),
    path(f"{customer}interactions/new/", views.interaction_log, name="interaction_log"),
    path(f"{customer}interactions/<int:interaction_pk>/edit/", views.interaction_update, name="interaction_update"),
    path(f"{customer}cadences/new/", views.cadence_create, name="cadence_create"),
    path(f"{customer}cadences/<int:cadence_pk>/edit/", views.cadence_update, name="cadence_update"),
    path(f"{customer}cadences/<int:cadence_pk>/end/", views.cadence_end, name="cadence_end"),
]
