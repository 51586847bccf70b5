from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RelationshipsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "relationships"
    verbose_name = _("Relationships")

    def ready(self):
        from . import signals  # noqa: F401  (connects the receivers)
