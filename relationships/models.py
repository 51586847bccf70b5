"""The relationship network inside each customer: contacts, interactions and agreed cadences."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from accounts.models import Customer
from accounts.permissions import VIEW, restrict


class Department(models.TextChoices):
    EXECUTIVE = "executive", _("Executive / general manager")
    PROCUREMENT = "procurement", _("Procurement")
    TECHNICAL = "technical", _("Technical")
    USER = "user", _("User / production")
    QUALITY = "quality", _("Quality")
    FINANCE = "finance", _("Finance")
    OTHER = "other", _("Other")


# The departments a key account's relationship should reach (docs/domain.md, "three relationship
# levels"): the relationship map marks them and the risk model's default coverage counts them.
KEY_DEPARTMENTS: tuple[str, ...] = (
    Department.EXECUTIVE,
    Department.PROCUREMENT,
    Department.TECHNICAL,
    Department.USER,
    Department.QUALITY,
)


class BuyingRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    CHAMPION = "champion", _("Champion")
    INFLUENCER = "influencer", _("Influencer")
    USER = "user", _("User")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")


class ContactQuerySet(models.QuerySet):
    def visible_to(self, user, action: str = VIEW) -> "ContactQuerySet":
        return restrict(self, user, action=action)

    def active_on(self, day) -> "ContactQuerySet":
        return self.filter(joined_on__lte=day).filter(Q(left_on__isnull=True) | Q(left_on__gt=day))


class Contact(models.Model):
    """A person at the customer. Spread across departments, they keep the account from hanging on one."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(pgettext_lazy("a person", "name"), max_length=120)
    title = models.CharField(_("title"), max_length=120, blank=True)
    department = models.CharField(_("department"), max_length=20, choices=Department.choices)
    buying_role = models.CharField(_("buying role"), max_length=20, choices=BuyingRole.choices)
    influence = models.PositiveSmallIntegerField(_("influence (1-5)"), default=3)
    trust = models.PositiveSmallIntegerField(_("trust (1-5)"), default=3)
    internal_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("our relationship owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_contacts",
    )
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    joined_on = models.DateField(_("known since"))
    left_on = models.DateField(_("left on"), null=True, blank=True)

    # The key of this record in the company's own system (ERP, CRM, service desk): imports and
    # the API find the record by it. Empty for records entered here.
    external_id = models.CharField(_("external id"), max_length=64, blank=True, default="")

    # Kept by relationships.contact_meetings.refresh_contact_meetings on every write of an
    # interaction or of who took part in it: the contact's last interaction on the day of the
    # refresh and the first one after it. Derived, so left out of the history.
    last_met_on = models.DateField(_("last met on"), null=True, blank=True, editable=False)
    next_met_on = models.DateField(_("next meeting on"), null=True, blank=True, editable=False)

    DERIVED_FIELDS = ("last_met_on", "next_met_on")

    history = HistoricalRecords(excluded_fields=list(DERIVED_FIELDS))
    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["customer", "name"]
        indexes = [
            models.Index(fields=["customer", "left_on"]),
            # Today's decision makers not met lately: the current ones, found without the others,
            # with their stored meeting dates (read from the index alone).
            models.Index(
                fields=["customer", "id"],
                name="contact_decision_makers_met",
                include=["last_met_on", "next_met_on"],
                condition=Q(buying_role="decision_maker", left_on__isnull=True),
            ),
            # The rows whose stored meeting dates do not answer for a day
            # (contact_meetings.stored_meeting_is_stale).
            models.Index(fields=["last_met_on"], name="contact_last_met", condition=Q(last_met_on__isnull=False)),
            models.Index(fields=["next_met_on"], name="contact_next_met", condition=Q(next_met_on__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="contact_unique_external_id"
            ),
            models.CheckConstraint(condition=Q(influence__gte=1, influence__lte=5), name="contact_influence_range"),
            models.CheckConstraint(condition=Q(trust__gte=1, trust__lte=5), name="contact_trust_range"),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("joined_on")),
                name="contact_left_after_joined",
                violation_error_message=_("A contact cannot leave before joining."),
            ),
            models.CheckConstraint(condition=Q(department__in=Department.values), name="contact_department_valid"),
            models.CheckConstraint(condition=Q(buying_role__in=BuyingRole.values), name="contact_buying_role_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.left_on is None


class InteractionKind(models.TextChoices):
    VISIT = "visit", _("Visit")
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    EXECUTIVE_MEETING = "executive_meeting", _("Executive meeting")
    BUSINESS_REVIEW = "business_review", _("Business review")
    EVENT = "event", _("Event")


EXECUTIVE_LEVEL_KINDS = (InteractionKind.EXECUTIVE_MEETING, InteractionKind.BUSINESS_REVIEW)


class InteractionQuerySet(models.QuerySet):
    def visible_to(self, user, action: str = VIEW) -> "InteractionQuerySet":
        return restrict(self, user, action=action)


class Interaction(models.Model):
    """A visit, call or meeting with the customer, with who took part on both sides."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="interactions"
    )
    occurred_on = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=InteractionKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    notes = models.TextField(_("notes"), blank=True, max_length=10000)
    contacts = models.ManyToManyField(Contact, verbose_name=_("customer participants"), blank=True, related_name="+")
    our_people = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("our participants"), blank=True, related_name="+"
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    # The key of this record in the company's own system (ERP, CRM, service desk): imports and
    # the API find the record by it. Empty for records entered here.
    external_id = models.CharField(_("external id"), max_length=64, blank=True, default="")

    history = HistoricalRecords(m2m_fields=[contacts, our_people])
    objects = InteractionQuerySet.as_manager()

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_on", "-id"]
        indexes = [
            models.Index(fields=["customer", "occurred_on"]),
            models.Index(fields=["customer", "kind", "occurred_on"]),
            # The interactions of a span of days across the book (Today's decision makers met lately).
            models.Index(fields=["occurred_on", "id"], name="interaction_occurred_on"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="interaction_unique_external_id"
            ),
            models.CheckConstraint(condition=Q(kind__in=InteractionKind.values), name="interaction_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_on} · {self.subject}"

    @property
    def is_executive_level(self) -> bool:
        return self.kind in EXECUTIVE_LEVEL_KINDS


class Cadence(models.Model):
    """An agreed communication schedule, e.g. a quarterly executive meeting.

    Overdue when no interaction of its kind happened within the interval.
    """

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="cadences"
    )
    name = models.CharField(_("name"), max_length=120)
    interaction_kind = models.CharField(_("interaction kind"), max_length=20, choices=InteractionKind.choices)
    interval_days = models.PositiveIntegerField(_("every (days)"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept by relationships.cadence_due.refresh_cadence_due on every write of an interaction or a
    # cadence: the last interaction of the kind on the day of the refresh, the first one after it,
    # and the due date they give. Derived, so left out of the history.
    last_met_on = models.DateField(_("last met on"), null=True, blank=True, editable=False)
    next_met_on = models.DateField(_("next meeting on"), null=True, blank=True, editable=False)
    due_on = models.DateField(_("due on"), null=True, blank=True, editable=False)

    DERIVED_FIELDS = ("last_met_on", "next_met_on", "due_on")

    history = HistoricalRecords(excluded_fields=list(DERIVED_FIELDS))

    class Meta:
        verbose_name = _("cadence")
        verbose_name_plural = _("cadences")
        ordering = ["customer", "interval_days"]
        indexes = [
            models.Index(fields=["customer", "starts_on"]),
            models.Index(fields=["customer", "due_on"], name="cadence_customer_due"),
            # The rows whose stored due date does not answer for a day (cadence_due.stored_due_is_stale).
            models.Index(fields=["last_met_on"], name="cadence_last_met"),
            models.Index(fields=["next_met_on"], name="cadence_next_met", condition=Q(next_met_on__isnull=False)),
            models.Index(fields=["id"], name="cadence_due_unknown", condition=Q(due_on__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_days__gte=1, interval_days__lte=366), name="cadence_interval_range"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="cadence_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["customer", "interaction_kind", "starts_on"], name="cadence_unique_kind_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name
