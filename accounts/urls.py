from django.urls import path

from .views import customers

urlpatterns = [
    path("", customers.home, name="home"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/override/", customers.override_create, name="override_create"),
    path("customers/<int:pk>/override/end/", customers.override_end, name="override_end"),
    path("alerts/<int:pk>/close/", customers.alert_close, name="alert_close"),
    path("health/", customers.health, name="health"),
]
