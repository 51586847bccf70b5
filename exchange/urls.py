from django.urls import path

from .export_views import export_records

urlpatterns = [
    path("import/export/<slug:kind>.<slug:extension>", export_records, name="export_records"),
]
