"""What customers buy and how we deliver: products, competitors, orders, delivery lines, price benchmarks,
and what we hear of competitors at a customer (competitor intelligence)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keyaccounts.clock import business_today

from .customers import Customer


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
    notes = models.TextField(_("notes"), blank=True, max_length=5000)

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


class CompetitorIntel(models.Model):
    """Something we heard about a competitor at one customer, on a date: a price move, a new product,
    an approach to one of our contacts… with who told us and how sure we are.

    The contact is a lazy reference to ``relationships.Contact`` (no import: the customer core stays
    below the relationships app); the service checks that it belongs to the same customer.
    """

    class Kind(models.TextChoices):
        PRICE_MOVE = "price_move", _("Price move")
        NEW_PRODUCT = "new_product", _("New product")
        CONTACT_APPROACH = "contact_approach", _("Approach to one of our contacts")
        QUALITY_CLAIM = "quality_claim", _("Quality claim")
        KICKBACK = "kickback", _("Suspected kickback")
        OTHER = "other", _("Other")

    class Confidence(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="competitor_intel"
    )
    competitor = models.ForeignKey(
        Competitor, verbose_name=_("competitor"), on_delete=models.PROTECT, related_name="intel"
    )
    noted_on = models.DateField(_("noted on"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    contact = models.ForeignKey(
        "relationships.Contact",
        verbose_name=_("told us"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    confidence = models.CharField(_("confidence"), max_length=10, choices=Confidence.choices, default=Confidence.MEDIUM)
    note = models.TextField(_("note"), max_length=2000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("competitor intelligence")
        verbose_name_plural = _("competitor intelligence")
        ordering = ["-noted_on", "-id"]
        indexes = [models.Index(fields=["customer", "noted_on"]), models.Index(fields=["noted_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=["price_move", "new_product", "contact_approach", "quality_claim", "kickback", "other"]
                ),
                name="competitorintel_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(confidence__in=["low", "medium", "high"]), name="competitorintel_confidence_valid"
            ),
            models.CheckConstraint(condition=~Q(note=""), name="competitorintel_note_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.noted_on} · {self.competitor_id} · {self.get_kind_display()}"

    def clean(self):
        """The admin's checks (the editor's service checks the same): not dated ahead, and the
        contact who told us is one of this customer's."""
        errors = {}
        if self.noted_on is not None and self.noted_on > business_today():
            errors["noted_on"] = _("Intelligence cannot be dated in the future.")
        if (
            self.contact_id is not None
            and self.customer_id is not None
            and self.contact.customer_id != self.customer_id
        ):
            errors["contact"] = _("The contact who told us must be one of this customer's contacts.")
        if errors:
            raise ValidationError(errors)
