"""Churn risk as stored: model versions, nightly snapshots, manual overrides, alerts, the runs of the
nightly job and the model quality runs (backtests started from the page)."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from ..fields import PackedJSONField, WholeJSONField
from ..permissions import VIEW, restrict
from .customers import Customer, Tier


class RiskBand(models.TextChoices):
    GREEN = "green", _("Green")
    AMBER = "amber", _("Amber")
    RED = "red", _("Red")
    GREY = "grey", _("Insufficient data")


class RiskModelVersion(models.Model):
    """A version of the risk model: factor weights, grids, band thresholds and trip-wires.

    Versions are never edited in place once used; an admin saves a new one and activates it.
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    is_active = models.BooleanField(_("active"), default=False)
    weights = models.JSONField(_("factor weights"))
    parameters = models.JSONField(_("grids, thresholds and trip-wires"), default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, blank=True
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("risk model version")
        verbose_name_plural = _("risk model versions")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="riskmodelversion_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"


class RiskSnapshot(models.Model):
    """A customer's churn risk as of one day: score, band, every factor, trip-wires and reasons.

    One per customer per day; history is kept and never overwritten by a later date.
    """

    # The unique (customer, as_of) index serves lookups by customer; a second index would only
    # slow down the nightly write.
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="risk_snapshots",
        db_index=False,
    )
    as_of = models.DateField(_("as of"))
    model_version = models.ForeignKey(
        RiskModelVersion, verbose_name=_("model version"), on_delete=models.PROTECT, related_name="snapshots"
    )
    score = models.FloatField(_("risk score"), null=True, blank=True)
    computed_band = models.CharField(_("computed band"), max_length=10, choices=RiskBand.choices)
    band = models.CharField(_("band"), max_length=10, choices=RiskBand.choices)
    completeness = models.FloatField(_("data completeness"))
    # {factor: {"risk": 0-100 or null, "weight": w, "signals": {signal: [value, risk]}}}
    # Packed (accounts.packing): about a tenth of the JSON text; read whole, never searched in SQL.
    factors = PackedJSONField(_("factor risks and weights"), default=dict, blank=True, kind="factors")
    # [risk of each factor or null], in the order of accounts.risk.defaults.FACTORS: what the
    # dashboard's summaries add up, without reading ``factors`` (null on snapshots written before).
    factor_risks = WholeJSONField(_("risk of each factor"), null=True, blank=True)
    tripwires = models.JSONField(_("trip-wires fired"), default=list, blank=True)
    reasons = PackedJSONField(_("reasons"), default=list, blank=True, kind="reasons")
    # Points of change against the snapshot 7 and 30 days earlier (null when there is none).
    score_change_7d = models.FloatField(_("change over 7 days"), null=True, blank=True)
    score_change_30d = models.FloatField(_("change over 30 days"), null=True, blank=True)
    # The tier and revenue as of the date, so history and backtests need not recompute them.
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, default=Tier.REGULAR)
    revenue_12m = models.DecimalField(_("trailing 12-month revenue"), max_digits=16, decimal_places=2, default=0)
    computed_at = models.DateTimeField(_("computed at"), auto_now=True)

    class Meta:
        verbose_name = _("risk snapshot")
        verbose_name_plural = _("risk snapshots")
        ordering = ["-as_of"]
        indexes = [models.Index(fields=["as_of", "band"])]
        constraints = [
            models.UniqueConstraint(fields=["customer", "as_of"], name="risksnapshot_one_per_day"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100), name="risksnapshot_score_range"
            ),
            models.CheckConstraint(
                condition=Q(completeness__gte=0, completeness__lte=1), name="risksnapshot_completeness_range"
            ),
            models.CheckConstraint(condition=Q(band__in=RiskBand.values), name="risksnapshot_band_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} · {self.as_of} · {self.band}"

    def raised_by_tripwire(self, *, amber: float, red: float) -> bool:
        """Whether a trip-wire, not the score, put the computed band where it is: the score alone,
        against the thresholds of the model that scored it, would give a lower band."""
        if not self.tripwires or self.score is None:
            return False
        if self.computed_band == RiskBand.RED:
            return self.score < red
        if self.computed_band == RiskBand.AMBER:
            return self.score < amber
        return False


class RiskStanding(models.Model):
    """The band people see and the score of each customer on the latest scored day, kept so that
    the whole book's lists filter and rank by band through an index: one row for every customer
    with a snapshot that day or a manual band in force (``accounts.standing``, which keeps it
    true on every write of the latest day's snapshots and of an override)."""

    # Deleted with its customer by Django's cascade. No constraint in the database: the rows are
    # written from the customers themselves, and checking 90,000 keys again at every night's
    # commit cost a second at 100,000 customers.
    customer = models.OneToOneField(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="standing",
        db_constraint=False,
    )
    # The latest scored day (None before any day is scored: the manual bands alone).
    as_of = models.DateField(_("as of"), null=True)
    # The shown band (``accounts.bands.shown_band``): the manual band in force, else the day's band.
    band = models.CharField(_("band"), max_length=10, choices=RiskBand.choices)
    score = models.FloatField(_("score"), null=True)
    # The score as the lists rank it, highest first with the unscored last: the score, or -1.
    rank_score = models.FloatField(_("rank score"))

    class Meta:
        verbose_name = _("risk standing")
        verbose_name_plural = _("risk standings")
        indexes = [models.Index(fields=["band", "-rank_score"], name="riskstanding_band_rank")]

    def __str__(self) -> str:
        return f"{self.customer_id} · {self.as_of} · {self.band}"


MAX_OVERRIDE_DAYS = 90


class RiskOverride(models.Model):
    """An account manager's manual band, with a required reason and an expiry of at most 90 days.

    The computed score stays stored and visible beside it.
    """

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="risk_overrides"
    )
    band = models.CharField(_("band"), max_length=10, choices=RiskBand.choices)
    reason = models.TextField(_("reason"), max_length=2000)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("set by"), on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField(_("starts on"))
    expires_on = models.DateField(_("expires on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("risk override")
        verbose_name_plural = _("risk overrides")
        ordering = ["-starts_on"]
        indexes = [models.Index(fields=["customer", "ended_on"]), models.Index(fields=["expires_on"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="riskoverride_reason_required",
                violation_error_message=_("An override needs a reason."),
            ),
            models.CheckConstraint(
                condition=Q(expires_on__gt=F("starts_on"))
                & Q(expires_on__lte=F("starts_on") + timedelta(days=MAX_OVERRIDE_DAYS)),
                name="riskoverride_expiry_within_90_days",
                violation_error_message=_("An override expires after its start and within 90 days."),
            ),
            models.CheckConstraint(
                condition=Q(band__in=[RiskBand.GREEN, RiskBand.AMBER, RiskBand.RED]), name="riskoverride_band_valid"
            ),
            models.UniqueConstraint(
                fields=["customer"], condition=Q(ended_on__isnull=True), name="riskoverride_one_open_per_customer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.band} until {self.expires_on}"


class AlertKind(models.TextChoices):
    NEW_RED = "new_red", _("Newly red")
    BAND_WORSENED = "band_worsened", _("Band worsened")
    SCORE_JUMP = "score_jump", _("Risk jumped 15+ points")
    TRIPWIRE = "tripwire", _("Trip-wire fired")
    TIER_CHANGE = "tier_change", _("Tier changed")
    OVERRIDE_EXPIRED = "override_expired", _("Override expired")


class AlertQuerySet(models.QuerySet):
    def visible_to(self, user, action: str = VIEW) -> "AlertQuerySet":
        return restrict(self, user, action=action)

    def open(self) -> "AlertQuerySet":
        return self.filter(closed_at__isnull=True)


class Alert(models.Model):
    """Something about a customer's risk or tier that its owner and backup owner should act on.

    At most one open alert per customer and kind: a repeat refreshes the open one.
    """

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind.choices)
    as_of = models.DateField(_("as of"))
    # Translatable message: a message id plus its parameters, rendered in the reader's language.
    details = models.JSONField(_("details"), default=dict, blank=True)
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("addressed to"), blank=True, related_name="alerts"
    )
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # What the manager did about it, so the next reader of the history knows.
    close_note = models.TextField(_("note on closing"), blank=True, max_length=2000)

    history = HistoricalRecords()
    objects = AlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-as_of", "-id"]
        indexes = [models.Index(fields=["as_of"])]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind"], condition=Q(closed_at__isnull=True), name="alert_one_open_per_kind"
            ),
            models.CheckConstraint(condition=Q(kind__in=AlertKind.values), name="alert_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} · {self.kind} · {self.as_of}"


class RiskRun(models.Model):
    """One run of a nightly job: when it ran, for which date, how many customers, how it ended."""

    class Job(models.TextChoices):
        NIGHTLY = "nightly", _("Nightly tiering, scoring and alerts")
        TIERING = "tiering", _("Tiering")
        SCORING = "scoring", _("Risk scoring")
        ALERTS = "alerts", _("Alerts")
        OVERRIDE_EXPIRY = "override_expiry", _("Override expiry")

    class Outcome(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped (another run in progress)")

    job = models.CharField(_("job"), max_length=20, choices=Job.choices)
    as_of = models.DateField(_("as of"))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.RUNNING)
    customers_scored = models.PositiveIntegerField(_("customers scored"), default=0)
    message = models.TextField(_("message or error"), blank=True)
    task_id = models.CharField(_("task id"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("risk job run")
        verbose_name_plural = _("risk job runs")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["job", "as_of"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True) | Q(finished_at__gte=F("started_at")),
                name="riskrun_finished_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.as_of} {self.outcome}"


class ScoringChunk(models.Model):
    """A chunk of customers of one night's scoring, and who scores it (``accounts.risk.chunks``).

    The run that loaded the book scores its chunks first to last; another worker process asks for
    the last waiting one, the run writes that chunk's input (signed) to the row, the other process
    scores it and writes the snapshots back as COPY text. The run removes its rows once it has
    written the day. Working data, not business data.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        REQUESTED = "requested", _("Asked for by another process")
        READY = "ready", _("Input written for the process that asked")
        RUNNING = "running", _("Being scored by the run")
        DONE = "done", _("Scored")
        FAILED = "failed", _("Failed")

    run = models.UUIDField(_("run"))
    as_of = models.DateField(_("as of"))
    model_version = models.ForeignKey(
        RiskModelVersion, verbose_name=_("model version"), on_delete=models.CASCADE, related_name="+"
    )
    first_id = models.BigIntegerField(_("first customer id"))
    last_id = models.BigIntegerField(_("last customer id"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    claimed_by = models.CharField(_("claimed by"), max_length=200, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    customers = models.PositiveIntegerField(_("customers scored"), default=0)
    bands = models.JSONField(_("customers per band"), default=dict, blank=True)
    # The chunk's input for the process that asked for it: pickled, signed with SECRET_KEY.
    payload = models.BinaryField(_("input"), null=True, blank=True)
    copy_text = models.BinaryField(_("snapshots as COPY text"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("scoring chunk")
        verbose_name_plural = _("scoring chunks")
        indexes = [models.Index(fields=["run", "state"])]

    def __str__(self) -> str:
        return f"{self.as_of} {self.first_id}-{self.last_id} {self.state}"


class BacktestRun(models.Model):
    """One evaluation of a model version on history, started from the model quality page.

    The worker fills ``result`` with the evaluation's metrics (a JSON-able dict); a run that
    failed keeps its error. Progress while it runs lives in the cache, not here.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", pgettext_lazy("model quality run", "Done")
        FAILED = "failed", _("Failed")

    model_version = models.ForeignKey(
        RiskModelVersion, verbose_name=_("model version"), on_delete=models.PROTECT, related_name="backtest_runs"
    )
    start = models.DateField(_("first replay date"))
    end = models.DateField(_("last replay date"))
    horizon_days = models.PositiveIntegerField(_("horizon (days)"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)

    class Meta:
        verbose_name = _("model quality run")
        verbose_name_plural = _("model quality runs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="backtestrun_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} v{self.model_version_id} {self.start}–{self.end} {self.status}"

    @property
    def is_active(self) -> bool:
        """Queued or running: a worker has it, or should have."""
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
