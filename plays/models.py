"""Playbooks (what to do for each warning sign), plays (follow-up work on a customer) and their steps."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Alert, Customer, RiskBand
from accounts.permissions import restrict
from complaints.models import Ticket

COUNTERMEASURE_CHOICES = [
    (1, _("1 · A strong relationship network")),
    (2, _("2 · Raise the relationship level")),
    (3, _("3 · Shape the customer's purchase criteria")),
    (4, _("4 · Product quality")),
    (5, _("5 · Service level")),
    (6, _("6 · Priority supply")),
    (7, _("7 · Open communication channels")),
    (8, _("8 · Align with the customer's strategy")),
    (9, _("9 · Strategic partnership")),
    (10, _("10 · Competitive price")),
]


class Trigger(models.TextChoices):
    """The warning signs a playbook answers; ``manual`` is a play opened by hand."""

    NEW_RED = "new_red", _("Newly red")
    BAND_WORSENED = "band_worsened", _("Band worsened")
    SCORE_JUMP = "score_jump", _("Risk up 15+ points")
    DECISION_MAKER_GONE = "decision_maker_gone", _("Trip-wire: decision maker left")
    CRITERION_ALARM = "criterion_alarm", _("Trip-wire: criterion alarm")
    REVENUE_COLLAPSE = "revenue_collapse", _("Trip-wire: revenue collapse")
    CRITICAL_COMPLAINT = "critical_complaint_past_sla", _("Trip-wire: critical complaint past its SLA")
    SINGLE_THREADED = "single_threaded", _("Single-threaded relationship")
    PRICE_GAP = "price_gap", _("Price gap")
    PEAK_SEASON_MISSES = "peak_season_misses", _("Late deliveries in peak season")
    UNMET_NEED = "unmet_need", _("Unmet product need")
    OVERRIDE_EXPIRING = "override_expiring", _("Manual band expiring")
    WIN_BACK = "win_back", _("Win-back")
    HANDOVER = "handover", _("Handover to a new owner")
    MANUAL = "manual", _("Opened by hand")


class StepRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    BACKUP = "backup", _("Backup owner")
    EXECUTIVE = "executive", _("Executive sponsor")
    SERVICE_DESK = "service_desk", _("Service desk")
    TECHNICAL = "technical", _("Technical team")


class Priority(models.IntegerChoices):
    HIGH = 1, _("High")
    NORMAL = 2, _("Normal")
    LOW = 3, _("Low")


def localized(english: str, chinese: str) -> str:
    """The Chinese text when the page is in Chinese and there is one, else the English."""
    if chinese and (get_language() or "").lower().startswith("zh"):
        return chinese
    return english


class Playbook(models.Model):
    """What to do when a warning sign appears: steps with day offsets and roles. One per trigger."""

    trigger = models.CharField(_("trigger"), max_length=30, choices=Trigger.choices, unique=True)
    name = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    description = models.TextField(_("description (English)"), blank=True, max_length=2000)
    description_zh = models.TextField(_("description (Chinese)"), blank=True, max_length=2000)
    countermeasure = models.PositiveSmallIntegerField(_("countermeasure"), choices=COUNTERMEASURE_CHOICES)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    active = models.BooleanField(_("active"), default=True, help_text=_("Inactive playbooks open no plays."))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("playbook")
        verbose_name_plural = _("playbooks")
        ordering = ["trigger"]
        constraints = [
            models.CheckConstraint(
                condition=Q(trigger__in=[t for t in Trigger.values if t != Trigger.MANUAL]),
                name="playbook_trigger_valid",
            ),
            models.CheckConstraint(
                condition=Q(countermeasure__gte=1, countermeasure__lte=10), name="playbook_cm_range"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_zh)


class PlaybookStep(models.Model):
    playbook = models.ForeignKey(Playbook, verbose_name=_("playbook"), on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("step number"), default=1)
    day_offset = models.PositiveSmallIntegerField(
        _("due after (days)"), help_text=_("Days after the play opens by which the step is due.")
    )
    role = models.CharField(_("who"), max_length=20, choices=StepRole.choices, default=StepRole.OWNER)
    title = models.CharField(_("step (English)"), max_length=300)
    title_zh = models.CharField(_("step (Chinese)"), max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("playbook step")
        verbose_name_plural = _("playbook steps")
        ordering = ["playbook", "position", "day_offset", "id"]
        constraints = [models.CheckConstraint(condition=Q(day_offset__lte=365), name="playbookstep_offset_range")]

    def __str__(self) -> str:
        return localized(self.title, self.title_zh)


class PlayQuerySet(models.QuerySet):
    def visible_to(self, user, action: str = "view") -> "PlayQuerySet":
        return restrict(self, user, action=action)

    def open(self) -> "PlayQuerySet":
        return self.filter(status__in=Play.OPEN_STATUSES)


class Play(models.Model):
    """One piece of follow-up work on a customer, with an owner, a due date and steps."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS)

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="plays")
    playbook = models.ForeignKey(
        Playbook, verbose_name=_("playbook"), on_delete=models.SET_NULL, null=True, blank=True, related_name="plays"
    )
    trigger = models.CharField(_("raised by"), max_length=30, choices=Trigger.choices, default=Trigger.MANUAL)
    title = models.CharField(_("title"), max_length=200)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200, blank=True)
    countermeasure = models.PositiveSmallIntegerField(_("countermeasure"), choices=COUNTERMEASURE_CHOICES)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="plays"
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    opened_on = models.DateField(_("opened on"))
    due_on = models.DateField(_("due on"))
    # What raised it: an alert, a reason code of the night's snapshot, a ticket.
    alert = models.ForeignKey(
        Alert, verbose_name=_("alert"), on_delete=models.SET_NULL, null=True, blank=True, related_name="plays"
    )
    reason_code = models.CharField(_("reason"), max_length=60, blank=True)
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.SET_NULL, null=True, blank=True, related_name="plays"
    )
    # The risk when it opened, so its effect can be read later.
    score_at_open = models.FloatField(_("risk score when opened"), null=True, blank=True)
    band_at_open = models.CharField(_("band when opened"), max_length=10, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the nightly job opened it from a playbook."),
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    outcome = models.TextField(_("outcome"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()
    objects = PlayQuerySet.as_manager()

    class Meta:
        verbose_name = _("play")
        verbose_name_plural = _("plays")
        ordering = ["due_on", "priority", "id"]
        indexes = [
            models.Index(fields=["owner", "status", "due_on"], name="play_owner_status_due"),
            models.Index(fields=["customer", "status"], name="play_customer_status"),
            models.Index(fields=["playbook", "closed_on"], name="play_playbook_closed"),
            # My plays at size: the open list by due date, the closed list by closing date (0002).
            models.Index(
                fields=["due_on", "priority", "id"],
                name="play_open_due",
                condition=Q(status__in=["open", "in_progress"]),
            ),
            models.Index(
                fields=["-closed_on", "-id"], name="play_closed_recent", condition=Q(status__in=["done", "cancelled"])
            ),
        ]
        constraints = [
            # The nightly job opens a play once per trigger and customer while one is open.
            models.UniqueConstraint(
                fields=["customer", "trigger"],
                condition=Q(status__in=["open", "in_progress"]) & ~Q(trigger="manual"),
                name="play_one_open_per_trigger",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "in_progress", "done", "cancelled"]), name="play_status_valid"
            ),
            models.CheckConstraint(condition=Q(due_on__gte=models.F("opened_on")), name="play_due_after_opening"),
            models.CheckConstraint(condition=Q(countermeasure__gte=1, countermeasure__lte=10), name="play_cm_range"),
            models.CheckConstraint(
                condition=Q(status__in=["open", "in_progress"], closed_on__isnull=True)
                | Q(status__in=["done", "cancelled"], closed_on__isnull=False),
                name="play_closed_on_when_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_title} · {self.customer_id}"

    @property
    def display_title(self) -> str:
        return localized(self.title, self.title_zh)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def band_at_open_label(self) -> str:
        """The band when it opened, in the page's language."""
        return RiskBand(self.band_at_open).label if self.band_at_open in RiskBand.values else ""


class PlayStep(models.Model):
    play = models.ForeignKey(Play, verbose_name=_("play"), on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("step number"), default=1)
    title = models.CharField(_("step"), max_length=300)
    title_zh = models.CharField(_("step (Chinese)"), max_length=300, blank=True)
    role = models.CharField(_("who"), max_length=20, choices=StepRole.choices, default=StepRole.OWNER)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="play_steps",
    )
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("play step")
        verbose_name_plural = _("play steps")
        ordering = ["play", "position", "due_on", "id"]
        indexes = [
            models.Index(fields=["assignee", "done_on", "due_on"], name="playstep_assignee_due"),
            # A person's open steps, for "mine" on My plays (0002).
            models.Index(fields=["assignee", "play"], name="playstep_open_assignee", condition=Q(done_on__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return localized(self.title, self.title_zh)
