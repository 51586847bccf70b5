"""A user's sign-in generation, for "log out everywhere".

Each session remembers the generation it was signed in under (``api.sessions``); ending all of a
user's sessions moves the generation on, and a session of an older one is signed out on its next
request. One small row per user who ever used it, read by primary key: no scan of the session
store, whatever its backend. The history (django-simple-history) records who ended whose sessions
and when.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class SessionEpoch(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="session_epoch",
        verbose_name=_("user"),
    )
    epoch = models.PositiveIntegerField(_("sign-in generation"), default=0)
    ended_at = models.DateTimeField(_("sessions last ended"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("session generation")
        verbose_name_plural = _("session generations")

    def __str__(self):
        return f"{self.user} #{self.epoch}"
