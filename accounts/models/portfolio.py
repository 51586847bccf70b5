"""The executive view, precomputed nightly: Pareto snapshots, portfolio summaries and digest sends."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .customers import Industry, Region, Tier


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
