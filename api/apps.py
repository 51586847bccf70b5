from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "api"
    verbose_name = _("API")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .sessions import on_user_logged_in

        user_logged_in.connect(on_user_logged_in, dispatch_uid="api_stamp_session_epoch")
