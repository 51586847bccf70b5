"""What the customer values and what we plan with them: purchase criteria, account plans, product needs, incentives."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .customers import Customer
from .sales import Competitor, Product


class PurchaseCriterion(models.Model):
    """One of the customer's purchase criteria and who meets it, as assessed on a date.

    Only we meet it: safe. Both: caution. Only a competitor: alarm.
    """

    class Importance(models.IntegerChoices):
        LOW = 1, _("Low")
        MODERATE = 2, _("Moderate")
        MEDIUM = 3, _("Medium")
        HIGH = 4, _("High")
        CRITICAL = 5, _("Critical")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="criteria"
    )
    criterion = models.CharField(_("criterion"), max_length=200)
    importance = models.PositiveSmallIntegerField(
        _("importance"), choices=Importance.choices, default=Importance.MEDIUM
    )
    we_meet = models.BooleanField(_("we meet it"))
    competitor_meets = models.BooleanField(_("a competitor meets it"))
    competitor = models.ForeignKey(
        Competitor, verbose_name=_("competitor"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assessed_on = models.DateField(_("assessed on"))
    notes = models.TextField(_("notes"), blank=True, max_length=5000)

    # The key of this record in the company's own system (ERP, CRM, service desk): imports and
    # the API find the record by it. Empty for records entered here.
    external_id = models.CharField(_("external id"), max_length=64, blank=True, default="")

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("purchase criterion")
        verbose_name_plural = _("purchase criteria")
        ordering = ["-importance", "criterion"]
        indexes = [models.Index(fields=["customer", "assessed_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="purchasecriterion_unique_external_id"
            ),
            models.UniqueConstraint(
                fields=["customer", "criterion", "assessed_on"], name="purchasecriterion_unique_assessment"
            ),
            models.CheckConstraint(
                condition=Q(importance__gte=1, importance__lte=5), name="purchasecriterion_importance_range"
            ),
            models.CheckConstraint(
                condition=Q(competitor_meets=False) | Q(competitor__isnull=False),
                name="purchasecriterion_competitor_named",
                violation_error_message=_("Say which competitor meets the criterion."),
            ),
        ]

    def __str__(self) -> str:
        return self.criterion

    @property
    def situation(self) -> str:
        if self.competitor_meets and not self.we_meet:
            return "alarm"
        if self.competitor_meets:
            return "caution"
        return "safe" if self.we_meet else "gap"


class AccountPlan(models.Model):
    """The customer's strategic direction and our aligned actions, reviewed periodically."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="account_plans"
    )
    customer_strategy = models.TextField(_("customer's strategic direction"), max_length=5000)
    our_actions = models.TextField(_("our aligned actions"), max_length=5000)
    reviewed_on = models.DateField(_("last reviewed on"))
    next_review_on = models.DateField(_("next review on"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("account plan")
        verbose_name_plural = _("account plans")
        ordering = ["-reviewed_on"]
        indexes = [models.Index(fields=["customer", "reviewed_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(next_review_on__isnull=True) | Q(next_review_on__gt=F("reviewed_on")),
                name="accountplan_next_review_after_review",
                violation_error_message=_("The next review must come after the last one."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} · {self.reviewed_on}"


class ProductNeed(models.Model):
    """A product the customer needs, and whether we supply it. An unmet need drives defection."""

    class Status(models.TextChoices):
        MET = "met", _("Met")
        PLANNED = "planned", _("Planned")
        UNMET = "unmet", _("Unmet")

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="needs")
    description = models.CharField(_("need"), max_length=200)
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.UNMET)
    identified_on = models.DateField(_("identified on"))
    met_on = models.DateField(_("met on"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("product need")
        verbose_name_plural = _("product needs")
        ordering = ["-identified_on"]
        indexes = [models.Index(fields=["customer", "identified_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="met", met_on__isnull=False) | (~Q(status="met") & Q(met_on__isnull=True)),
                name="productneed_met_on_matches_status",
                violation_error_message=_("A met need has the date it was met; an open one has none."),
            ),
            models.CheckConstraint(
                condition=Q(met_on__isnull=True) | Q(met_on__gte=F("identified_on")),
                name="productneed_met_after_identified",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["met", "planned", "unmet"]), name="productneed_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.description


class Incentive(models.Model):
    """A discount, rebate, co-promotion or sales contest run for a customer over a period."""

    class Kind(models.TextChoices):
        DISCOUNT = "discount", _("Discount")
        REBATE = "rebate", _("Rebate")
        CO_PROMOTION = "co_promotion", _("Co-promotion")
        SALES_CONTEST = "sales_contest", _("Sales contest")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="incentives"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("incentive")
        verbose_name_plural = _("incentives")
        ordering = ["-starts_on"]
        indexes = [models.Index(fields=["customer", "starts_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="incentive_value_non_negative"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="incentive_ends_after_start",
                violation_error_message=_("An incentive cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["discount", "rebate", "co_promotion", "sales_contest"]),
                name="incentive_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.customer_id}"
