"""Tickets from another service desk, with their history's timestamps; SLA targets are set from
the policy of the customer's tier and the ticket's severity, as for a ticket opened here. A ticket
already here whose customer, severity and opening time the file leaves as they are keeps its
deadlines (they may have moved while the desk waited for the customer)."""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext as _

from complaints.models import Severity, SlaPolicy, Ticket
from complaints.monthly import refresh_after_commit

from .. import cells
from ..context import Row, choice
from ..staging import Target
from .base import Handler, longest
from .people import external_id

FIELDS = {
    "external_id": "external_id",
    "customer_code": "customer_id",
    "kind": "kind",
    "category": "category",
    "severity": "severity",
    "channel": "channel",
    "subject": "subject",
    "description": "description",
    "status": "status",
    "department": "department",
    "assigned_to": "assigned_to_id",
    "opened_at": "opened_at",
    "first_response_at": "first_response_at",
    "resolved_at": "resolved_at",
    "closed_at": "closed_at",
    "satisfaction": "satisfaction",
    "root_cause": "root_cause",
    "corrective_action": "corrective_action",
}


class TicketsHandler(Handler):
    labels = ("tickets",)

    def targets(self):
        self.kind, self.category = choice(Ticket.Kind), choice(Ticket.Category)
        self.severity, self.channel = choice(Severity), choice(Ticket.Channel)
        self.status, self.department = choice(Ticket.Status), choice(Ticket.Department)
        self.policies = {
            (tier, severity): (response, resolution)
            for tier, severity, response, resolution in SlaPolicy.objects.values_list(
                "tier", "severity", "response_hours", "resolution_hours"
            )
        }
        fields = (*self.field_names(FIELDS), "response_due_at", "resolution_due_at")
        return {"tickets": Target(Ticket, key=("external_id",), fields=fields, local_ids=True)}

    def row(self, row: Row) -> None:
        customer = row("customer_code", self.ctx.customer, required=True)
        values = {
            "external_id": row("external_id", external_id, required=True),
            "customer_id": customer[0] if customer else None,
            "kind": row("kind", self.kind, required=True),
            "category": row("category", self.category, required=True),
            "severity": row("severity", self.severity, required=True),
            "channel": row("channel", self.channel, required=True),
            "subject": row("subject", cells.bounded_text, 200, required=True),
            "description": row("description", cells.bounded_text, longest(Ticket, "description")),
            "status": row("status", self.status, required=True),
            "department": row("department", self.department) or Ticket.Department.SERVICE,
            "assigned_to_id": row("assigned_to", self.ctx.user_id),
            "opened_at": row("opened_at", cells.moment, required=True),
            "first_response_at": row("first_response_at", cells.moment),
            "resolved_at": row("resolved_at", cells.moment),
            "closed_at": row("closed_at", cells.moment),
            "satisfaction": row("satisfaction", cells.whole, low=1, high=5),
            "root_cause": row("root_cause", cells.bounded_text, longest(Ticket, "root_cause")),
            "corrective_action": row("corrective_action", cells.bounded_text, longest(Ticket, "corrective_action")),
        }
        opened = values["opened_at"]
        for key in ("first_response_at", "resolved_at", "closed_at"):
            if opened and values[key] and values[key] < opened:
                row.fail(key, _("is before the ticket was opened"))
        if values["closed_at"] and not values["resolved_at"]:
            row.fail("resolved_at", _("a closed ticket needs its resolution time"))
        elif values["closed_at"] and values["resolved_at"] and values["closed_at"] < values["resolved_at"]:
            row.fail("closed_at", _("is before the ticket was resolved"))
        if values["status"] in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED) and not values["resolved_at"]:
            row.fail("resolved_at", _("a resolved or closed ticket needs its resolution time"))
        if values["status"] == Ticket.Status.CLOSED and not values["closed_at"]:
            row.fail("closed_at", _("a closed ticket needs its closing time"))
        policy = self.policies.get((customer[2], values["severity"])) if customer else None
        if opened and policy:
            values["response_due_at"] = opened + timedelta(hours=policy[0])
            values["resolution_due_at"] = opened + timedelta(hours=policy[1])
        if row.ok:
            self.stages["tickets"].add(row.number, values)

    def check(self) -> None:
        super().check()
        if self.ctx.failed:
            return
        self.stages["tickets"].execute(
            "UPDATE {stage} SET response_due_at = t.response_due_at, resolution_due_at = t.resolution_due_at "
            "FROM {table} AS t WHERE t.id = {stage}.target_id AND t.customer_id = {stage}.customer_id "
            "AND t.severity = {stage}.severity AND t.opened_at = {stage}.opened_at"
        )

    def apply(self, *, user_id: int | None, reason: str) -> None:
        # Written in SQL, without signals: the analytics page's monthly figures of every customer
        # a ticket moved to or from are refreshed once the import has committed.
        stage = self.stages["tickets"]
        touched = stage.touched_customers()
        super().apply(user_id=user_id, reason=reason)
        if touched:
            refresh_after_commit(touched)
