"""Customers: who they are, who looks after them, their tier and status, and why one left."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..bands import shown_band
from ..permissions import VIEW, restrict


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
    """Why an account was lost: the taxonomy of docs/domain.md ("Why key accounts defect")."""

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
        return set(cls.values) - cls.controllable()

    @classmethod
    def controllable(cls) -> set[str]:
        return set(CONTROLLABLE_CHURN_REASONS)


# The churn reasons the supplier could have acted on (docs/domain.md, "Why key accounts defect"):
# price, product, service, needs, complaints — and bribery, which better relationships counter. A
# win-back playbook works on these; the other reasons are recorded and never scored.
CONTROLLABLE_CHURN_REASONS = frozenset(
    {
        ChurnReason.COMPETITOR_PRICE,
        ChurnReason.COMPETITOR_PRODUCT,
        ChurnReason.COMPETITOR_SERVICE,
        ChurnReason.COMMERCIAL_BRIBERY,
        ChurnReason.NEEDS_NOT_MET,
        ChurnReason.COMPLAINTS_UNRESOLVED,
    }
)


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
    churn_notes = models.TextField(_("churn notes"), blank=True, max_length=5000)
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
            # My customers' default order (key accounts first, then by revenue): the first page
            # of a whole book is read in this order instead of sorting every customer.
            models.Index(fields=["tier", "-revenue_12m", "name", "id"], name="customer_list_order"),
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

    def shown_band(self) -> str | None:
        """The band people see for this customer now (`accounts.bands.shown_band`): two small
        queries, the manual band in force and the latest snapshot's band."""
        from_override = self.risk_overrides.filter(ended_on__isnull=True).values_list("band", flat=True).first()
        latest = self.risk_snapshots.order_by("-as_of").values_list("band", flat=True).first()
        return shown_band(override_band=from_override, computed_band=latest)

    @property
    def is_key(self) -> bool:
        return self.tier == Tier.KEY

    @property
    def churn_is_controllable(self) -> bool | None:
        if not self.churn_reason:
            return None
        return self.churn_reason in ChurnReason.controllable()
