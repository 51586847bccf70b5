"""Background work's records, read-only for admins: exports of the customer list (who asked for
what, when, how it went; the files themselves are downloaded by their owners only, on the export's
page) and the chunks of a night's scoring."""

from django.contrib import admin

from ..models import ExportJob, ScoringChunk
from ..permissions import is_admin


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "owner",
        "kind",
        "extension",
        "status",
        "rows_written",
        "rows_total",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "kind", "extension")
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


@admin.register(ScoringChunk)
class ScoringChunkAdmin(ExportJobAdmin):
    """The chunks of a night's scoring while the night runs (removed when it ends; a night killed
    mid-way leaves its rows until the next one): which worker process holds which, and errors.
    Read-only, for admins; the inputs and texts themselves are not shown."""

    list_display = ("id", "as_of", "first_id", "last_id", "state", "claimed_by", "claimed_at", "customers")
    list_filter = ("state", "as_of")
    list_select_related = ()
    search_fields = ("claimed_by",)
    exclude = ("payload", "copy_text")
    readonly_fields = (
        "run",
        "as_of",
        "model_version",
        "first_id",
        "last_id",
        "state",
        "claimed_by",
        "claimed_at",
        "customers",
        "bands",
        "error",
        "created_at",
    )
