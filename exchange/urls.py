from django.urls import path

from . import views
from .export_views import export_records

urlpatterns = [
    path("import/", views.import_index, name="import_index"),
    path("import/<int:pk>/", views.import_job, name="import_job"),
    path("import/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("import/<int:pk>/apply/", views.import_apply, name="import_apply"),
    path("import/templates/<slug:kind>.<str:ext>", views.import_template, name="import_template"),
    path("import/export/<slug:kind>.<slug:extension>", export_records, name="export_records"),
]
