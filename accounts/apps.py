from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Customers & accounts")

    def ready(self):
        from .role_groups import sync_role_permissions

        post_migrate.connect(sync_role_permissions, sender=self, dispatch_uid="accounts_sync_role_permissions")
