"""Account data changed in the app: dated relationship-level changes, churn and win-back records,
and a leaving salesperson's handover of their book."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..permissions import VIEW, restrict
from .customers import ChurnReason, Customer, RelationshipLevel
from .sales import Competitor


class LockIn(models.TextChoices):
    """What ties the two companies together at level 3 (a strategic partnership)."""

    EQUITY = "equity", _("Equity")
    JOINT_VENTURE = "joint_venture", _("Joint venture")
    LONG_TERM_CONTRACT = "long_term_contract", _("Long-term contract")
    CO_DEVELOPMENT = "co_development", _("Co-development")


class CustomerRecordQuerySet(models.QuerySet):
    def visible_to(self, user, action: str = VIEW) -> "CustomerRecordQuerySet":
        return restrict(self, user, action=action)


class RelationshipLevelChange(models.Model):
    """A change of a customer's relationship level, effective from a date, with its reason."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="level_changes"
    )
    from_level = models.PositiveSmallIntegerField(_("from level"), choices=RelationshipLevel.choices)
    to_level = models.PositiveSmallIntegerField(_("to level"), choices=RelationshipLevel.choices)
    effective_on = models.DateField(_("effective from"))
    reason = models.TextField(_("reason"), max_length=2000)
    lock_in = models.CharField(_("lock-in"), max_length=30, choices=LockIn.choices, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    history = HistoricalRecords()
    objects = CustomerRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("relationship level change")
        verbose_name_plural = _("relationship level changes")
        ordering = ["-effective_on", "-pk"]
        indexes = [models.Index(fields=["customer", "effective_on"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(to_level=RelationshipLevel.STRATEGIC) | ~Q(lock_in=""),
                name="level_change_strategic_has_lock_in",
                violation_error_message=_("Level 3 needs the kind of lock-in."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.from_level}→{self.to_level} {self.effective_on}"


class ChurnEvent(models.Model):
    """A customer lost (churned) or won back (recovered), on a date: the churn history, kept so
    that recovered customers can be counted for any period."""

    class Kind(models.TextChoices):
        CHURNED = "churned", _("Churned")
        RECOVERED = "recovered", _("Recovered")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="churn_events"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    happened_on = models.DateField(_("date"))
    reason = models.CharField(_("churn reason"), max_length=30, choices=ChurnReason.choices, blank=True)
    lost_revenue = models.DecimalField(_("lost revenue"), max_digits=16, decimal_places=2, null=True, blank=True)
    competitor = models.ForeignKey(
        Competitor,
        verbose_name=_("competitor won"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    history = HistoricalRecords()
    objects = CustomerRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("churn or win-back")
        verbose_name_plural = _("churn and win-back records")
        ordering = ["-happened_on", "-pk"]
        indexes = [models.Index(fields=["kind", "happened_on"]), models.Index(fields=["customer", "happened_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="recovered", reason="") | (Q(kind="churned") & ~Q(reason="")),
                name="churn_event_reason_matches_kind",
                violation_error_message=_("A churn has a reason; a win-back has none."),
            ),
            models.CheckConstraint(
                condition=Q(lost_revenue__isnull=True) | Q(lost_revenue__gte=0),
                name="churn_event_lost_revenue_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.kind} {self.happened_on}"


class Handover(models.Model):
    """A salesperson's book handed to successors from a date: the customers they own, back up or
    are on the team of. Applied at once when the date is today or earlier (the history reads the
    successor from that date), else by the nightly job of the date."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPLIED = "applied", _("Applied")

    leaver = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("handed over by"), on_delete=models.PROTECT, related_name="+"
    )
    effective_on = models.DateField(_("effective from"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        ordering = ["-effective_on", "-pk"]
        indexes = [models.Index(fields=["status", "effective_on"])]

    def __str__(self) -> str:
        return f"{self.leaver} {self.effective_on}"


class HandoverItem(models.Model):
    """One customer of a handover and the successor who takes the leaver's places on it."""

    handover = models.ForeignKey(Handover, verbose_name=_("handover"), on_delete=models.CASCADE, related_name="items")
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="handover_items"
    )
    successor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("successor"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("handed-over customer")
        verbose_name_plural = _("handed-over customers")
        constraints = [models.UniqueConstraint(fields=["handover", "customer"], name="handover_item_unique")]

    def __str__(self) -> str:
        return f"{self.customer} → {self.successor}"
