"""Export jobs: a file written in the background for the person who asked — the customer list as a
workbook, or a kind of records (an import format) as a workbook or, when large, a CSV."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ExportJob(models.Model):
    """One export written by a worker to ``settings.EXPORT_DIR``: an XLSX of My accounts, or a
    large export of one kind of records (``kind``).

    The list's filters are its query string as it was asked for; what the file holds is read with
    the owner's permissions when the job runs. Only the owner downloads it, and the file is
    removed a day after it was written. The job is a log, not business data.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", pgettext_lazy("export", "Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    # What the file holds: the customer list (My accounts) when blank, else the records of an
    # import format (``exchange.formats``: customers, contacts, orders…), all the owner may see.
    # Defaults in the database too: rows written by the code before these columns still insert.
    kind = models.CharField(_("records"), max_length=40, blank=True, default="", db_default="")
    extension = models.CharField(_("file type"), max_length=4, default="xlsx", db_default="xlsx")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("asked for by"), on_delete=models.CASCADE, related_name="+"
    )
    query = models.TextField(_("filters"), blank=True)
    language = models.CharField(_("language"), max_length=10)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    rows_written = models.PositiveIntegerField(_("rows written"), default=0)
    stored_as = models.CharField(_("stored as"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("asked for at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # What went wrong: ``refusal`` in words for the owner (too many rows, an inactive account),
    # ``error`` for the administrator (an unexpected exception, the broker down).
    refusal = models.TextField(_("refusal"), blank=True)
    error = models.TextField(_("error"), blank=True)

    RUNNING = (Status.QUEUED, Status.RUNNING)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "finished_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.owner_id} {self.status}"

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def progress(self) -> float:
        """The share of the rows written, 0 to 1 (1 once the file is ready)."""
        if self.status == self.Status.DONE:
            return 1.0
        if not self.rows_total:
            return 0.0
        return min(self.rows_written / self.rows_total, 1.0)
