"""Complaints and service tickets, their SLA targets and their history."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Customer, Tier
from accounts.permissions import VIEW, restrict
from relationships.models import Contact

from .deadlines import QUEUE_INDEXES


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class SlaPolicy(models.Model):
    """Response and resolution targets for a severity, per tier (key accounts: respond within 24h)."""

    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    response_hours = models.PositiveIntegerField(_("respond within (hours)"))
    resolution_hours = models.PositiveIntegerField(_("resolve within (hours)"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["tier", "severity"]
        constraints = [
            models.UniqueConstraint(fields=["tier", "severity"], name="slapolicy_unique_tier_severity"),
            models.CheckConstraint(condition=Q(response_hours__gt=0), name="slapolicy_response_positive"),
            models.CheckConstraint(
                condition=Q(resolution_hours__gte=F("response_hours")),
                name="slapolicy_resolution_after_response",
                violation_error_message=_("The resolution target cannot be shorter than the response target."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_tier_display()} · {self.get_severity_display()}"


class TicketQuerySet(models.QuerySet):
    def visible_to(self, user, action: str = VIEW) -> "TicketQuerySet":
        """Tickets through their customer; the service desk sees every customer's tickets."""
        return restrict(self, user, action=action)


class Ticket(models.Model):
    """A complaint or service request, worked through a status workflow against SLA targets."""

    class Kind(models.TextChoices):
        COMPLAINT = "complaint", _("Complaint")
        SERVICE_REQUEST = "service_request", _("Service request")

    class Category(models.TextChoices):
        PRODUCT_QUALITY = "product_quality", _("Product quality")
        SERVICE = "service", _("Service")
        DELIVERY = "delivery", _("Delivery")
        PRICE = "price", _("Price")
        OTHER = "other", _("Other")

    class Channel(models.TextChoices):
        HOTLINE = "hotline", _("24h hotline")
        EMAIL = "email", _("Email")
        VISIT = "visit", _("Visit")
        PORTAL = "portal", _("Portal")
        WECHAT = "wechat", _("WeChat")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        IN_PROGRESS = "in_progress", _("In progress")
        WAITING_CUSTOMER = "waiting_customer", _("Waiting for customer")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    class Department(models.TextChoices):
        PRODUCTION = "production", _("Production")
        TECHNICAL = "technical", _("Technical")
        LOGISTICS = "logistics", _("Logistics")
        SALES = "sales", _("Sales")
        SERVICE = "service", _("Service")

    # A ticket of the same customer and category opened this soon after another is a recurrence.
    RECURRENCE_DAYS = 90
    OPEN_STATUSES = (Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.WAITING_CUSTOMER)
    # Allowed moves of the status workflow; reopening sends a ticket back to in progress.
    TRANSITIONS = {
        Status.NEW: {Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED},
        Status.ACKNOWLEDGED: {Status.IN_PROGRESS, Status.WAITING_CUSTOMER, Status.RESOLVED},
        Status.IN_PROGRESS: {Status.WAITING_CUSTOMER, Status.RESOLVED},
        Status.WAITING_CUSTOMER: {Status.IN_PROGRESS, Status.RESOLVED},
        Status.RESOLVED: {Status.CLOSED, Status.IN_PROGRESS},
        Status.CLOSED: {Status.IN_PROGRESS},
    }

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="tickets")
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=10000)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    department = models.CharField(
        _("assigned department"), max_length=20, choices=Department.choices, default=Department.SERVICE
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    opened_at = models.DateTimeField(_("opened at"))
    # Targets are fixed from the SLA policy when the ticket opens, so "past SLA" is a plain comparison.
    response_due_at = models.DateTimeField(_("response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    # When a quality complaint reached production or the technical department.
    escalated_at = models.DateTimeField(_("reached the responsible department at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The SLA clock stops while the desk waits for the customer. response_due_at and
    # resolution_due_at always hold the current deadlines: when the wait ends they move forward by
    # its length, so readers (the queue, escalation) compare them with the time and nothing else.
    sla_paused_at = models.DateTimeField(_("SLA clock paused since"), null=True, blank=True)
    sla_paused_total = models.DurationField(_("SLA clock paused in total"), default=timedelta)
    onsite_requested = models.BooleanField(_("on-site visit requested"), default=False)
    onsite_requested_at = models.DateTimeField(_("on-site visit requested at"), null=True, blank=True)
    onsite_scheduled_for = models.DateTimeField(_("on-site visit scheduled for"), null=True, blank=True)
    onsite_engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("on-site engineer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="onsite_tickets",
    )
    onsite_done_at = models.DateTimeField(_("on-site visit done at"), null=True, blank=True)
    onsite_report = models.TextField(_("on-site report"), blank=True, max_length=10000)
    root_cause = models.TextField(_("root cause"), blank=True, max_length=5000)
    corrective_action = models.TextField(_("corrective action"), blank=True, max_length=5000)
    satisfaction = models.PositiveSmallIntegerField(_("customer satisfaction (1-5)"), null=True, blank=True)
    # The same customer complained about the same thing within RECURRENCE_DAYS before this one.
    recurrence_of = models.ForeignKey(
        "self",
        verbose_name=_("recurrence of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recurrences",
    )

    # The key of this record in the company's own system (ERP, CRM, service desk): imports and
    # the API find the record by it. Empty for records entered here.
    external_id = models.CharField(_("external id"), max_length=64, blank=True, default="")

    history = HistoricalRecords()
    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["customer", "opened_at"]),
            models.Index(fields=["status", "opened_at"]),
            models.Index(fields=["assigned_to", "status"]),
            # The complaint analytics' current month, read from the tickets (complaints.monthly).
            models.Index(fields=["opened_at"], name="ticket_opened_at"),
            *QUEUE_INDEXES,
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="ticket_unique_external_id"
            ),
            models.CheckConstraint(
                condition=Q(first_response_at__isnull=True) | Q(first_response_at__gte=F("opened_at")),
                name="ticket_response_after_open",
                violation_error_message=_("The first response cannot come before the ticket was opened."),
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("opened_at")),
                name="ticket_resolved_after_open",
                violation_error_message=_("A ticket cannot be resolved before it was opened."),
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(resolved_at__isnull=False, closed_at__gte=F("resolved_at")),
                name="ticket_closed_after_resolved",
                violation_error_message=_("A ticket is closed only after it was resolved."),
            ),
            models.CheckConstraint(
                condition=Q(escalated_at__isnull=True) | Q(escalated_at__gte=F("opened_at")),
                name="ticket_escalated_after_open",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="ticket_satisfaction_range",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["resolved", "closed"]) | Q(resolved_at__isnull=False),
                name="ticket_resolved_status_has_time",
                violation_error_message=_("A resolved or closed ticket needs its resolution time."),
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="ticket_closed_status_has_time",
            ),
            models.CheckConstraint(
                condition=Q(onsite_done_at__isnull=True) | Q(onsite_requested=True),
                name="ticket_onsite_done_needs_request",
            ),
            models.CheckConstraint(
                condition=Q(onsite_scheduled_for__isnull=True) | Q(onsite_requested=True),
                name="ticket_onsite_scheduled_needs_request",
            ),
            models.CheckConstraint(
                condition=Q(sla_paused_at__isnull=True) | Q(status="waiting_customer"),
                name="ticket_paused_only_while_waiting",
                violation_error_message=_("The SLA clock pauses only while the ticket waits for the customer."),
            ),
            models.CheckConstraint(condition=Q(severity__in=Severity.values), name="ticket_severity_valid"),
            models.CheckConstraint(
                condition=Q(
                    status__in=["new", "acknowledged", "in_progress", "waiting_customer", "resolved", "closed"]
                ),
                name="ticket_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_paused(self) -> bool:
        return self.sla_paused_at is not None

    def allowed_moves(self) -> list[str]:
        """The statuses this ticket may move to now, in workflow order."""
        allowed = self.TRANSITIONS.get(self.status, set())
        return [value for value in self.Status.values if value in allowed]


class TicketEvent(models.Model):
    """The ticket's history: every status change, assignment, escalation and comment."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        STATUS = "status", _("Status change")
        COMMENT = "comment", _("Comment")
        ASSIGNMENT = "assignment", _("Assignment")
        ESCALATION = "escalation", _("Escalation")
        ONSITE = "onsite", _("On-site service")
        CHANGE = "change", _("Details changed")

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    from_status = models.CharField(_("from"), max_length=20, choices=Ticket.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Ticket.Status.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True, max_length=5000)
    # What a generated event is about (department, person, category, visit), so the page words it
    # in the reader's language; the comment holds only what a person wrote.
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket history")
        ordering = ["ticket", "at", "id"]
        indexes = [models.Index(fields=["ticket", "at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="status") | (~Q(to_status="") & ~Q(from_status=F("to_status"))),
                name="ticketevent_status_change_changes",
                violation_error_message=_("A status change names a new status different from the old one."),
            ),
            models.CheckConstraint(condition=~Q(kind="comment") | ~Q(comment=""), name="ticketevent_comment_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.at}"


class ComplaintMonth(models.Model):
    """Counts and sums of the tickets opened in a month (project time zone) of a kind, department,
    severity and category, per customer and for the whole book (no customer): what the analytics
    page adds up (``complaints.monthly`` writes it and says when it is read). Derived, not audited."""

    month = models.DateField(_("month"))
    # Empty on the whole book's rows; complaintmonth_customer_month indexes it.
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, null=True, related_name="+", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Ticket.Kind.choices)
    department = models.CharField(_("assigned department"), max_length=20, choices=Ticket.Department.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    category = models.CharField(_("category"), max_length=20, choices=Ticket.Category.choices)
    tickets = models.PositiveIntegerField(_("tickets"), default=0)
    responded = models.PositiveIntegerField(_("answered"), default=0)
    resolved = models.PositiveIntegerField(_("resolved"), default=0)
    responded_with_target = models.PositiveIntegerField(_("answered, with a response target"), default=0)
    resolved_with_target = models.PositiveIntegerField(_("resolved, with a resolution target"), default=0)
    response_hours_sum = models.FloatField(_("sum of hours to the first response"), default=0)
    response_target_sum = models.FloatField(_("sum of response targets (hours)"), default=0)
    resolution_hours_sum = models.FloatField(_("sum of hours to resolution"), default=0)
    resolution_target_sum = models.FloatField(_("sum of resolution targets (hours)"), default=0)
    response_met = models.PositiveIntegerField(_("answered in time"), default=0)
    response_missed = models.PositiveIntegerField(_("response target missed"), default=0)
    resolution_met = models.PositiveIntegerField(_("resolved in time"), default=0)
    resolution_missed = models.PositiveIntegerField(_("resolution target missed"), default=0)
    recurrent = models.PositiveIntegerField(_("recurrences"), default=0)
    # The earliest deadline, at or after computed_at, of a ticket not yet answered (resolved): when
    # it passes, the ticket turns missed without any write, so the row no longer tells the truth.
    response_pending_due = models.DateTimeField(_("next response deadline of an open ticket"), null=True)
    resolution_pending_due = models.DateTimeField(_("next resolution deadline of an open ticket"), null=True)
    # The customer's tickets in all, on each of its rows: bounds the search for the top customers.
    customer_tickets = models.PositiveIntegerField(_("the customer's tickets in all"), default=0)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("complaint month")
        verbose_name_plural = _("complaint months")
        ordering = ["-month", "customer", "kind", "department", "severity", "category"]
        indexes = [
            models.Index(fields=["month", "kind"], name="complaintmonth_month_kind"),
            models.Index(fields=["customer", "month"], name="complaintmonth_customer_month"),
            models.Index(fields=["-customer_tickets", "month", "kind"], name="complaintmonth_busiest"),
            models.Index(fields=["computed_at"], name="complaintmonth_computed_at"),
            models.Index(fields=["month", "kind"], name="complaintmonth_book", condition=Q(customer__isnull=True)),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "customer", "kind", "department", "severity", "category"],
                name="complaintmonth_unique_cell",
                nulls_distinct=False,
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="complaintmonth_first_of_month"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} · {self.customer_id} · {self.kind} · {self.severity} · {self.category}"


# -------------------------------------------------------------------------------------------------
# SLA escalation and the notification centre
# -------------------------------------------------------------------------------------------------


class DepartmentHead(models.Model):
    """Who answers for an internal department when one of its tickets passes its SLA deadline
    (escalation step 2), and whom a ticket with nobody assigned is flagged to first (step 1).
    A department may have several heads; each is told."""

    department = models.CharField(_("department"), max_length=20, choices=Ticket.Department.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("head"), on_delete=models.CASCADE, related_name="headed_departments"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("department head")
        verbose_name_plural = _("department heads")
        ordering = ["department", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["department", "user"], name="departmenthead_unique_department_user"),
        ]

    def __str__(self) -> str:
        return f"{self.get_department_display()}: {self.user}"


class EscalationStep(models.IntegerChoices):
    """The escalation ladder, one rung per threshold of the SLA clock (see complaints.escalation)."""

    ASSIGNEE = 1, _("Assignee or department queue")
    DEPARTMENT_HEAD = 2, _("Department head")
    ACCOUNT_OWNER = 3, _("Account owner and backup owner")
    EXECUTIVE = 4, _("Executive")


class TicketEscalation(models.Model):
    """One rung of the escalation ladder reached by a ticket. The unique (ticket, step) pair is what
    makes an escalation happen once, however many workers run the escalation task at the same time.
    Append-only: the escalation task writes it, nobody edits it."""

    class Reason(models.TextChoices):
        RESPONSE_NEAR = "response_near", _("First response due soon")
        RESPONSE_LATE = "response_late", _("First response overdue")
        RESOLUTION_NEAR = "resolution_near", _("Resolution due soon")
        RESOLUTION_LATE = "resolution_late", _("Resolution overdue")

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="escalations")
    step = models.PositiveSmallIntegerField(_("step"), choices=EscalationStep.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    at = models.DateTimeField(_("escalated at"))
    # The deadline that was near or missed, as it stood when the step fired.
    due_at = models.DateTimeField(_("deadline"))
    notified = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("people notified"), blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("ticket escalation")
        verbose_name_plural = _("ticket escalations")
        ordering = ["ticket", "step"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "step"], name="ticketescalation_once_per_step"),
            models.CheckConstraint(condition=Q(step__gte=1, step__lte=4), name="ticketescalation_step_range"),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} · {self.get_step_display()}"


class Notification(models.Model):
    """A message in one person's notification centre (and, when they have an address, their email).

    The text is stored language-neutral (kind + params) and rendered in the reader's language."""

    class Kind(models.TextChoices):
        ESCALATION = "escalation", _("Escalation")
        ASSIGNED = "assigned", _("Ticket assigned")
        ROUTED = "routed", _("Quality complaint routed")
        MESSAGE = "message", _("Message")
        PLAY = "play", _("Play")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    params = models.JSONField(_("details"), default=dict, blank=True)
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            # The unread badge on every page counts these.
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["escalation", "assigned", "routed", "message", "play"]),
                name="notification_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        when = formats.date_format(timezone.localtime(self.created_at), "DATETIME_FORMAT") if self.created_at else ""
        return f"{self.recipient} · {self.kind} · {when}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None
