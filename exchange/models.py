"""Import jobs: one uploaded file, its check (the preview) and, once confirmed, its application."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    """A file someone uploaded to import, and what became of it.

    The file is kept on disk (``settings.IMPORT_DIR``) between the check and the confirmation, so
    the same bytes that were previewed are the ones applied. The job itself is a log, not business
    data: the records it writes carry their own history rows naming the job.
    """

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Ready to import")
        INVALID = "invalid", _("Has errors")
        APPLYING = "applying", _("Importing")
        APPLIED = "applied", _("Imported")
        FAILED = "failed", _("Failed")

    RUNNING = (Status.CHECKING, Status.APPLYING)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=30)
    filename = models.CharField(_("file name"), max_length=255)
    stored_as = models.CharField(_("stored as"), max_length=255)
    size = models.BigIntegerField(_("size (bytes)"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.CHECKING)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    applied_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    # Outcome.as_dict() of the check, then of the application.
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.filename}"

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING
