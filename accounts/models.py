"""Customers and everything the supplier knows about their business with us.

Records the churn-risk scorer reads are effective-dated (ordered_on, observed_on, assessed_on,
identified_on, starts_on…), so that risk can be computed as of any past date.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .fields import WholeJSONField
from .permissions import VIEW, restrict


class Industry(models.TextChoices):
    MANUFACTURING = "manufacturing", _("Manufacturing")
    AUTOMOTIVE = "automotive", _("Automotive")
    ELECTRONICS = "electronics", _("Electronics")
    CHEMICALS = "chemicals", _("Chemicals")
    FOOD = "food", _("Food & beverage")
    RETAIL = "retail", _("Retail & distribution")
    CONSTRUCTION = "construction", _("Construction")
    ENERGY = "energy", _("Energy")
    HEALTHCARE = "healthcare", _("Healthcare")
    TEXTILES = "textiles", _("Textiles & apparel")


class Region(models.TextChoices):
    EAST = "east", _("East China")
    NORTH = "north", _("North China")
    SOUTH = "south", _("South China")
    CENTRAL = "central", _("Central China")
    SOUTHWEST = "southwest", _("Southwest China")
    NORTHWEST = "northwest", _("Northwest China")
    NORTHEAST = "northeast", _("Northeast China")
    ASIA_PACIFIC = "apac", _("Asia-Pacific")
    EUROPE = "europe", _("Europe")
    AMERICAS = "americas", _("Americas")


class RelationshipLevel(models.IntegerChoices):
    PRICE = 1, _("1 · Price")
    SERVICE_NETWORK = 2, _("2 · Service & relationship network")
    STRATEGIC = 3, _("3 · Strategic partnership")


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CHURNED = "churned", _("Churned")


class ChurnReason(models.TextChoices):
    """Why an account was lost: the taxonomy of DESIGN.md §1."""

    # Uncontrollable: recorded, never scored, left out of the backtest label.
    DIRECTION_CHANGE = "direction_change", _("Customer changed direction or shrank")
    MOVED_UPSTREAM = "moved_upstream", _("Customer moved into our upstream (became a competitor)")
    # Controllable.
    COMPETITOR_PRICE = "competitor_price", _("Competitor won on price")
    COMPETITOR_PRODUCT = "competitor_product", _("Competitor won with a better product")
    COMPETITOR_SERVICE = "competitor_service", _("Competitor won with better service")
    COMMERCIAL_BRIBERY = "commercial_bribery", _("Competitor won through commercial bribery")
    NEEDS_NOT_MET = "needs_not_met", _("Our product or service no longer met their needs")
    COMPLAINTS_UNRESOLVED = "complaints_unresolved", _("Complaints not solved in time")

    @classmethod
    def uncontrollable(cls) -> set[str]:
        return {cls.DIRECTION_CHANGE, cls.MOVED_UPSTREAM}

    @classmethod
    def controllable(cls) -> set[str]:
        return set(cls.values) - cls.uncontrollable()


class Tier(models.TextChoices):
    KEY = "key", _("Key account")
    REGULAR = "regular", _("Regular")


class CustomerQuerySet(models.QuerySet):
    def visible_to(self, user, action: str = VIEW) -> "CustomerQuerySet":
        """The one door for customer visibility.

        Account managers see the customers they own, back up or are on the account team of.
        Executives, service desk and admins see every customer (what they may change is decided
        by ``action``, see `accounts.permissions`); anyone else sees nothing.
        """
        return restrict(self, user, action=action)

    def active(self) -> "CustomerQuerySet":
        return self.filter(status=CustomerStatus.ACTIVE)


class Customer(models.Model):
    """A customer company. The key tier (the top 20% by revenue) is what the product is about."""

    code = models.CharField(_("customer code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    industry = models.CharField(_("industry"), max_length=30, choices=Industry.choices)
    region = models.CharField(_("region"), max_length=20, choices=Region.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account owner"),
        on_delete=models.PROTECT,
        related_name="owned_customers",
    )
    backup_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("backup owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="backed_up_customers",
    )
    account_team = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account team"),
        blank=True,
        related_name="team_customers",
    )
    relationship_level = models.PositiveSmallIntegerField(
        _("relationship level"), choices=RelationshipLevel.choices, default=RelationshipLevel.PRICE
    )
    status = models.CharField(_("status"), max_length=10, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE)
    customer_since = models.DateField(_("customer since"))
    churned_on = models.DateField(_("churned on"), null=True, blank=True)
    churn_reason = models.CharField(_("churn reason"), max_length=30, choices=ChurnReason.choices, blank=True)
    churn_notes = models.TextField(_("churn notes"), blank=True)
    # Computed nightly by tiering; an admin may pin a customer as key.
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, default=Tier.REGULAR)
    tier_pinned = models.BooleanField(_("pinned as key account"), default=False)
    tier_months_below_cutoff = models.PositiveSmallIntegerField(
        _("consecutive months below the key cut-off"), default=0
    )
    revenue_12m = models.DecimalField(_("trailing 12-month revenue"), max_digits=16, decimal_places=2, default=0)
    # Months (1-12) of the customer's own peak season, for priority supply planning.
    peak_months = models.JSONField(_("peak season months"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords(m2m_fields=[account_team])
    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["backup_owner"]),
            models.Index(fields=["status", "tier"]),
            models.Index(fields=["name"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(status=CustomerStatus.ACTIVE, churned_on__isnull=True, churn_reason="")
                    | (Q(status=CustomerStatus.CHURNED, churned_on__isnull=False) & ~Q(churn_reason=""))
                ),
                name="customer_churn_fields_match_status",
                violation_error_message=_(
                    "A churned customer needs a churn date and reason; an active one has neither."
                ),
            ),
            models.CheckConstraint(
                condition=Q(churned_on__isnull=True) | Q(churned_on__gte=F("customer_since")),
                name="customer_churned_after_since",
                violation_error_message=_("The churn date cannot be before the customer-since date."),
            ),
            models.CheckConstraint(
                condition=Q(backup_owner__isnull=True) | ~Q(backup_owner=F("owner")),
                name="customer_backup_owner_not_owner",
                violation_error_message=_("The backup owner must be someone other than the owner."),
            ),
            models.CheckConstraint(
                condition=Q(relationship_level__gte=1, relationship_level__lte=3),
                name="customer_relationship_level_range",
            ),
            models.CheckConstraint(
                condition=Q(churn_reason="") | Q(churn_reason__in=ChurnReason.values),
                name="customer_churn_reason_valid",
            ),
            models.CheckConstraint(condition=Q(tier__in=Tier.values), name="customer_tier_valid"),
            models.CheckConstraint(condition=Q(revenue_12m__gte=0), name="customer_revenue_12m_non_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_key(self) -> bool:
        return self.tier == Tier.KEY

    @property
    def churn_is_controllable(self) -> bool | None:
        if not self.churn_reason:
            return None
        return self.churn_reason in ChurnReason.controllable()


class Product(models.Model):
    """Something we sell. Orders, price benchmarks and product needs refer to it."""

    sku = models.CharField(_("SKU"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["sku"]

    def __str__(self) -> str:
        return f"{self.sku} · {self.name}"


class Competitor(models.Model):
    """A rival supplier that can meet our customers' purchase criteria or undercut our price."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    notes = models.TextField(_("notes"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("competitor")
        verbose_name_plural = _("competitors")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Order(models.Model):
    """A customer's order. Its amount is the revenue; its lines carry the delivery promises."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="orders")
    number = models.CharField(_("order number"), max_length=30, unique=True)
    ordered_on = models.DateField(_("ordered on"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-ordered_on", "-id"]
        indexes = [models.Index(fields=["customer", "ordered_on"]), models.Index(fields=["ordered_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="order_amount_non_negative"),
        ]

    def __str__(self) -> str:
        return self.number


class DeliveryLine(models.Model):
    """One product on an order: what was promised and what was delivered, and when (OTIF)."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveSmallIntegerField(_("line"))
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    quantity_ordered = models.DecimalField(_("quantity ordered"), max_digits=12, decimal_places=2)
    quantity_delivered = models.DecimalField(_("quantity delivered"), max_digits=12, decimal_places=2, default=0)
    promised_on = models.DateField(_("promised delivery date"))
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("delivery line")
        verbose_name_plural = _("delivery lines")
        ordering = ["order", "line_no"]
        indexes = [models.Index(fields=["promised_on"])]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_no"], name="deliveryline_unique_line_no"),
            models.CheckConstraint(condition=Q(quantity_ordered__gt=0), name="deliveryline_quantity_ordered_positive"),
            models.CheckConstraint(
                condition=Q(quantity_delivered__gte=0), name="deliveryline_quantity_delivered_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(delivered_on__isnull=True, quantity_delivered=0) | Q(delivered_on__isnull=False),
                name="deliveryline_delivered_quantity_needs_date",
                violation_error_message=_("A delivered quantity needs a delivery date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.line_no}"

    @property
    def on_time_in_full(self) -> bool:
        return (
            self.delivered_on is not None
            and self.delivered_on <= self.promised_on
            and self.quantity_delivered >= self.quantity_ordered
        )


class PriceBenchmark(models.Model):
    """Our price to a customer for a product against the market average, observed on a date."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="price_benchmarks"
    )
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    observed_on = models.DateField(_("observed on"))
    our_price = models.DecimalField(_("our price"), max_digits=12, decimal_places=2)
    market_average_price = models.DecimalField(_("market average price"), max_digits=12, decimal_places=2)
    competitor = models.ForeignKey(
        Competitor, verbose_name=_("competitor"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    competitor_quote = models.DecimalField(
        _("competitor's quote"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("price benchmark")
        verbose_name_plural = _("price benchmarks")
        ordering = ["-observed_on"]
        indexes = [models.Index(fields=["customer", "observed_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "product", "observed_on"], name="pricebenchmark_unique_per_day"
            ),
            models.CheckConstraint(condition=Q(our_price__gt=0), name="pricebenchmark_our_price_positive"),
            models.CheckConstraint(
                condition=Q(market_average_price__gt=0), name="pricebenchmark_market_price_positive"
            ),
            models.CheckConstraint(
                condition=Q(competitor_quote__isnull=True) | Q(competitor_quote__gt=0, competitor__isnull=False),
                name="pricebenchmark_quote_needs_competitor",
                violation_error_message=_("A competitor's quote must be positive and name the competitor."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.product_id} {self.observed_on}"

    @property
    def price_ratio(self) -> float:
        return float(self.our_price / self.market_average_price)


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
    notes = models.TextField(_("notes"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("purchase criterion")
        verbose_name_plural = _("purchase criteria")
        ordering = ["-importance", "criterion"]
        indexes = [models.Index(fields=["customer", "assessed_on"])]
        constraints = [
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
    customer_strategy = models.TextField(_("customer's strategic direction"))
    our_actions = models.TextField(_("our aligned actions"))
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
    factors = WholeJSONField(_("factor risks and weights"), default=dict, blank=True)
    tripwires = models.JSONField(_("trip-wires fired"), default=list, blank=True)
    reasons = WholeJSONField(_("reasons"), default=list, blank=True)
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


MAX_OVERRIDE_DAYS = 90


class RiskOverride(models.Model):
    """An account manager's manual band, with a required reason and an expiry of at most 90 days.

    The computed score stays stored and visible beside it.
    """

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="risk_overrides"
    )
    band = models.CharField(_("band"), max_length=10, choices=RiskBand.choices)
    reason = models.TextField(_("reason"))
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
    close_note = models.TextField(_("note on closing"), blank=True)

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


class ParetoSnapshot(models.Model):
    """The 2/8 picture as of a date: the key cut-off, the key tier's revenue share and the curve."""

    as_of = models.DateField(_("as of"), unique=True)
    customers = models.PositiveIntegerField(_("active customers"))
    key_customers = models.PositiveIntegerField(_("key accounts"))
    cutoff_revenue = models.DecimalField(_("key cut-off revenue"), max_digits=16, decimal_places=2)
    total_revenue = models.DecimalField(_("total trailing 12-month revenue"), max_digits=18, decimal_places=2)
    key_revenue_share = models.FloatField(_("key tier revenue share"))
    # [[share of customers, cumulative share of revenue], ...] from the largest customer down.
    curve = models.JSONField(_("Pareto curve"), default=list, blank=True)
    computed_at = models.DateTimeField(_("computed at"), auto_now=True)

    class Meta:
        verbose_name = _("Pareto snapshot")
        verbose_name_plural = _("Pareto snapshots")
        ordering = ["-as_of"]
        constraints = [
            models.CheckConstraint(
                condition=Q(key_revenue_share__gte=0, key_revenue_share__lte=1), name="paretosnapshot_share_range"
            ),
            models.CheckConstraint(
                condition=Q(key_customers__lte=F("customers")), name="paretosnapshot_key_within_customers"
            ),
        ]

    def __str__(self) -> str:
        return str(self.as_of)


class SummaryGrain(models.TextChoices):
    """Which dimensions a portfolio summary row is broken down by (the tier always is)."""

    ALL = "all", _("Whole portfolio")
    REGION = "region", _("Region")
    INDUSTRY = "industry", _("Industry")
    OWNER = "owner", _("Account manager")
    CELL = "cell", _("Region × industry × account manager")


class PortfolioSummary(models.Model):
    """The portfolio's figures as of one date, for one slice of it: what the executive dashboard reads.

    Written by the nightly job (and ``rebuild_portfolio_summaries``), one date at a time, replacing
    that date's rows. Each date holds the same figures at several grains so that a page filtered
    by any of region, industry, account manager and tier sums a few hundred rows at most: the
    whole portfolio per tier, per region / industry / manager and tier, and the full cells.
    Region, industry and manager are the customer's as of the refresh; the tier and the band
    are the snapshot's of the date. Derived data, rebuilt from snapshots, so not audited.
    """

    as_of = models.DateField(_("as of"))
    grain = models.CharField(_("grain"), max_length=10, choices=SummaryGrain.choices)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    region = models.CharField(_("region"), max_length=20, choices=Region.choices, blank=True)
    industry = models.CharField(_("industry"), max_length=30, choices=Industry.choices, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Active customers scored that day, by band: how many and their trailing 12-month revenue.
    customers = models.PositiveIntegerField(_("customers scored"), default=0)
    green = models.PositiveIntegerField(_("green"), default=0)
    amber = models.PositiveIntegerField(_("amber"), default=0)
    red = models.PositiveIntegerField(_("red"), default=0)
    grey = models.PositiveIntegerField(_("insufficient data"), default=0)
    revenue = models.DecimalField(_("revenue"), max_digits=18, decimal_places=2, default=0)
    green_revenue = models.DecimalField(_("green revenue"), max_digits=18, decimal_places=2, default=0)
    amber_revenue = models.DecimalField(_("amber revenue"), max_digits=18, decimal_places=2, default=0)
    red_revenue = models.DecimalField(_("red revenue"), max_digits=18, decimal_places=2, default=0)
    grey_revenue = models.DecimalField(_("grey revenue"), max_digits=18, decimal_places=2, default=0)
    completeness_sum = models.FloatField(_("sum of data completeness"), default=0)
    overrides = models.PositiveIntegerField(_("manual bands in force"), default=0)
    # What changed over the 7 days to the date.
    worsened = models.PositiveIntegerField(_("worsened"), default=0)
    improved = models.PositiveIntegerField(_("improved"), default=0)
    tier_entries = models.PositiveIntegerField(_("entered the key tier"), default=0)
    tier_exits = models.PositiveIntegerField(_("left the key tier"), default=0)
    alerts_closed = models.PositiveIntegerField(_("customers with alerts dealt with"), default=0)
    # {alert kind: customers with such an alert raised in the week}
    alerts_raised = models.JSONField(_("alerts raised"), default=dict, blank=True)
    # {"worsened": [mover, ...], "improved": [...]}, the largest moves of the slice, largest first.
    movers = models.JSONField(_("largest moves"), default=dict, blank=True)
    # {factor: [Σ revenue × factor risk, Σ revenue of those with data, customers with data]}
    factors = models.JSONField(_("factor risk weighted by revenue"), default=dict, blank=True)
    # {churn reason: [customers, their 12-month revenue before churning]} over the year to the date.
    churn = models.JSONField(_("churn by reason"), default=dict, blank=True)
    # Service and supply over the 90 days to the date.
    sla_due = models.PositiveIntegerField(_("tickets due for resolution"), default=0)
    sla_met = models.PositiveIntegerField(_("tickets resolved in time"), default=0)
    open_breaches = models.PositiveIntegerField(_("open tickets past their SLA"), default=0)
    breach_customers = models.PositiveIntegerField(_("customers with open tickets past their SLA"), default=0)
    complaints = models.JSONField(_("complaints by category"), default=dict, blank=True)
    otif_lines = models.PositiveIntegerField(_("delivery lines due"), default=0)
    otif_hits = models.PositiveIntegerField(_("delivery lines on time in full"), default=0)
    computed_at = models.DateTimeField(_("computed at"), auto_now=True)

    class Meta:
        verbose_name = _("portfolio summary")
        verbose_name_plural = _("portfolio summaries")
        ordering = ["-as_of", "grain", "tier"]
        # A filtered page reads one date's cells of one region, industry or manager.
        indexes = [
            models.Index(fields=["as_of", "grain", "tier"]),
            models.Index(fields=["as_of", "grain", "region"], name="portfoliosummary_region"),
            models.Index(fields=["as_of", "grain", "industry"], name="portfoliosummary_industry"),
            models.Index(fields=["as_of", "grain", "owner"], name="portfoliosummary_owner"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(grain__in=SummaryGrain.values), name="portfoliosummary_grain_valid"),
            models.CheckConstraint(condition=Q(tier__in=Tier.values), name="portfoliosummary_tier_valid"),
            models.CheckConstraint(
                condition=Q(customers=F("green") + F("amber") + F("red") + F("grey")),
                name="portfoliosummary_bands_add_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.as_of} · {self.grain} · {self.tier}"


class DigestSend(models.Model):
    """One weekly digest e-mail sent to one executive: the row is claimed before the mail goes
    out, so running the weekly task twice sends nothing twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="+"
    )
    week = models.DateField(_("week (Monday)"))
    as_of = models.DateField(_("figures as of"))
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("weekly digest sent")
        verbose_name_plural = _("weekly digests sent")
        ordering = ["-week", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "week"], name="digestsend_one_per_user_and_week"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.week}"
