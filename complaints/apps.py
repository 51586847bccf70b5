from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "complaints"
    verbose_name = _("Complaints & service")

    def ready(self):
        # tasks connects the e-mail queue to new notifications (complaints.notifications announces
        # them); signals refreshes the analytics page's monthly figures after each ticket write.
        from . import signals, tasks  # noqa: F401
