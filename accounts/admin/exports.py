"""Background exports of the customer list: a read-only log for admins (who asked for what, when,
how it went). The files themselves are downloaded by their owners only, on the export's page."""

from django.contrib import admin

from ..models import ExportJob
from ..permissions import is_admin


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "status", "rows_written", "rows_total", "created_at", "finished_at")
    list_filter = ("status",)
    list_select_related = ("owner",)
    search_fields = ("owner__username",)
    show_full_result_count = False

    def has_module_permission(self, request):
        return is_admin(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return is_admin(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
