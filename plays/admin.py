"""Django admin for playbooks (edited by admins, in Chinese and English) and plays."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin.base import VisibleChoicesMixin, VisibleToUserAdminMixin

from .models import Play, Playbook, PlaybookStep, PlayStep


class PlaybookStepInline(admin.TabularInline):
    model = PlaybookStep
    extra = 1
    fields = ("position", "day_offset", "role", "title", "title_zh")


@admin.register(Playbook)
class PlaybookAdmin(VisibleToUserAdminMixin, SimpleHistoryAdmin):
    customer_lookup = None  # reference data every staff user may read
    list_display = ("trigger", "name", "name_zh", "countermeasure", "priority", "active")
    list_filter = ("active", "priority", "countermeasure")
    search_fields = ("name", "name_zh")
    inlines = [PlaybookStepInline]


class PlayStepInline(VisibleChoicesMixin, admin.TabularInline):
    model = PlayStep
    extra = 0
    fields = ("position", "title", "title_zh", "role", "assignee", "due_on", "done_on", "done_by")
    raw_id_fields = ("assignee", "done_by")


@admin.register(Play)
class PlayAdmin(VisibleToUserAdminMixin, SimpleHistoryAdmin):
    list_display = ("title", "customer", "trigger", "owner", "status", "due_on", "closed_on")
    list_filter = ("status", "trigger", "priority")
    search_fields = ("title", "title_zh", "customer__name", "customer__code")
    date_hierarchy = "due_on"
    list_select_related = ("customer", "owner")
    raw_id_fields = ("customer", "owner", "alert", "ticket", "opened_by", "closed_by", "playbook")
    inlines = [PlayStepInline]
