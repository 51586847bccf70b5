from django.urls import path

from .views import cadences, contacts, interactions, section

customer = "customers/<int:pk>/"

urlpatterns = [
    path(f"{customer}relationships/", section.relationship_section, name="relationship_section"),
    path(f"{customer}contacts/new/", contacts.contact_create, name="contact_create"),
    path(f"{customer}contacts/<int:contact_pk>/edit/", contacts.contact_update, name="contact_update"),
    path(f"{customer}contacts/<int:contact_pk>/left/", contacts.contact_left, name="contact_left"),
    path(f"{customer}interactions/new/", interactions.interaction_log, name="interaction_log"),
    path(
        f"{customer}interactions/<int:interaction_pk>/edit/",
        interactions.interaction_update,
        name="interaction_update",
    ),
    path(f"{customer}cadences/new/", cadences.cadence_create, name="cadence_create"),
    path(f"{customer}cadences/<int:cadence_pk>/edit/", cadences.cadence_update, name="cadence_update"),
    path(f"{customer}cadences/<int:cadence_pk>/end/", cadences.cadence_end, name="cadence_end"),
]
