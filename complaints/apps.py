from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "complaints"
    verbose_name = _("Complaints & service")

    def ready(self):
        # Connects the e-mail queue to new notifications (complaints.notifications announces them).
        from . import tasks  # noqa: F401
