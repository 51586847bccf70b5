from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Customers & accounts")

    def ready(self):
        from . import signals
        from .models import RiskOverride, RiskSnapshot
        from .role_groups import sync_role_permissions

        post_migrate.connect(sync_role_permissions, sender=self, dispatch_uid="accounts_sync_role_permissions")
        post_save.connect(signals.snapshot_saved, sender=RiskSnapshot, dispatch_uid="accounts_standing_snapshot")
        post_save.connect(signals.override_saved, sender=RiskOverride, dispatch_uid="accounts_standing_override")
