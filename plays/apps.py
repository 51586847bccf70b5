from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlaysConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "plays"
    verbose_name = _("Plays")
