from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlaysConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "plays"
    verbose_name = _("Plays")

    def ready(self):
        # What follows a handover or a churn (accounts.services.signals): the plays of action_plays.
        from accounts.services.signals import churn_recorded, customers_handed_over

        from .action_plays import on_churn, on_handover

        customers_handed_over.connect(on_handover, dispatch_uid="plays.on_handover")
        churn_recorded.connect(on_churn, dispatch_uid="plays.on_churn")
