from django.urls import path

from . import views

urlpatterns = [
    path("plays/", views.my_plays, name="my_plays"),
    path("plays/due/", views.plays_due, name="plays_due"),
    path("plays/badge/", views.plays_badge, name="plays_badge"),
    path("plays/calendar/<str:token>.ics", views.plays_calendar, name="plays_calendar"),
    path("plays/<int:pk>/", views.play_detail, name="play_detail"),
    path("plays/<int:pk>/edit/", views.play_edit, name="play_edit"),
    path("plays/<int:pk>/close/", views.play_close, name="play_close"),
    path("plays/<int:pk>/start/", views.play_start, name="play_start"),
    path("plays/<int:pk>/steps/<int:step_pk>/done/", views.step_mark, name="play_step_mark"),
    path("customers/<int:pk>/plays/", views.customer_plays, name="customer_plays"),
    path("customers/<int:pk>/plays/new/", views.play_create, name="play_create"),
]
