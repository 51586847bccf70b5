"""Contacts, interactions and purchase-criteria assessments: the kinds account managers may import
for their own customers."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from accounts.models import PurchaseCriterion
from relationships.cadence_due import refresh_cadence_due
from relationships.contact_meetings import refresh_contact_meetings
from relationships.models import BuyingRole, Contact, Department, Interaction, InteractionKind

from .. import cells
from ..cells import CellError
from ..context import Row, choice
from ..staging import Target
from .base import Handler, longest


def email(raw) -> str:
    value = cells.bounded_text(raw, 254)
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise CellError(_("is not an e-mail address")) from None
    return value


def external_id(raw) -> str:
    return cells.bounded_text(raw, 64)


class ContactsHandler(Handler):
    labels = ("contacts",)
    FIELDS = {
        "external_id": "external_id",
        "customer_code": "customer_id",
        "name": "name",
        "title": "title",
        "department": "department",
        "buying_role": "buying_role",
        "influence": "influence",
        "trust": "trust",
        "email": "email",
        "phone": "phone",
        "joined_on": "joined_on",
        "left_on": "left_on",
        "internal_owner": "internal_owner_id",
    }

    def targets(self):
        self.department, self.role = choice(Department), choice(BuyingRole)
        return {"contacts": Target(Contact, key=("external_id",), fields=self.field_names(self.FIELDS), local_ids=True)}

    def row(self, row: Row) -> None:
        customer = row("customer_code", self.ctx.customer, required=True)
        values = {
            "external_id": row("external_id", external_id, required=True),
            "customer_id": customer[0] if customer else None,
            "name": row("name", cells.bounded_text, 120, required=True),
            "title": row("title", cells.bounded_text, 120),
            "department": row("department", self.department, required=True),
            "buying_role": row("buying_role", self.role, required=True),
            "influence": row("influence", cells.whole, low=1, high=5) or 3,
            "trust": row("trust", cells.whole, low=1, high=5) or 3,
            "email": row("email", email),
            "phone": row("phone", cells.bounded_text, 40),
            "joined_on": row("joined_on", cells.day, required=True),
            "left_on": row("left_on", cells.day),
            "internal_owner_id": row("internal_owner", self.ctx.user_id),
        }
        if values["left_on"] and values["joined_on"] and values["left_on"] < values["joined_on"]:
            row.fail("left_on", _("is before the date the contact joined"))
        if row.ok:
            self.stages["contacts"].add(row.number, values)


class InteractionsHandler(Handler):
    labels = ("interactions",)
    FIELDS = {
        "external_id": "external_id",
        "customer_code": "customer_id",
        "occurred_on": "occurred_on",
        "kind": "kind",
        "subject": "subject",
        "notes": "notes",
        "logged_by": "logged_by_id",
    }

    def targets(self):
        self.kind = choice(InteractionKind)
        return {
            "interactions": Target(
                Interaction,
                key=("external_id",),
                fields=self.field_names(self.FIELDS),
                on_create={"logged_by_id": self.ctx.user.pk},
                local_ids=True,
            )
        }

    def row(self, row: Row) -> None:
        customer = row("customer_code", self.ctx.customer, required=True)
        values = {
            "external_id": row("external_id", external_id, required=True),
            "customer_id": customer[0] if customer else None,
            "occurred_on": row("occurred_on", cells.day, required=True),
            "kind": row("kind", self.kind, required=True),
            "subject": row("subject", cells.bounded_text, 200, required=True),
            "notes": row("notes", cells.bounded_text, longest(Interaction, "notes")),
            "logged_by_id": row("logged_by", self.ctx.user_id),
        }
        if customer and values["occurred_on"] and values["occurred_on"] < customer[1]:
            row.fail("occurred_on", _("is before the customer-since date (%(day)s)") % {"day": customer[1].isoformat()})
        if row.ok:
            self.stages["interactions"].add(row.number, values)

    def apply(self, *, user_id: int | None, reason: str) -> None:
        # Written in SQL, without signals: the due dates of the cadences and the last meetings of
        # the contacts of every customer an interaction moved to or from are refreshed once for
        # the file.
        stage = self.stages["interactions"]
        touched = stage.touched_customers()
        super().apply(user_id=user_id, reason=reason)
        if touched:
            refresh_cadence_due(touched)
            refresh_contact_meetings(customer_ids=touched)


class CriteriaHandler(Handler):
    labels = ("criteria",)
    FIELDS = {
        "external_id": "external_id",
        "customer_code": "customer_id",
        "criterion": "criterion",
        "importance": "importance",
        "we_meet": "we_meet",
        "competitor_meets": "competitor_meets",
        "competitor": "competitor_id",
        "assessed_on": "assessed_on",
        "notes": "notes",
    }

    def targets(self):
        self.seen: dict[tuple, int] = {}
        return {
            "criteria": Target(
                PurchaseCriterion, key=("external_id",), fields=self.field_names(self.FIELDS), local_ids=True
            )
        }

    def row(self, row: Row) -> None:
        customer = row("customer_code", self.ctx.customer, required=True)
        values = {
            "external_id": row("external_id", external_id, required=True),
            "customer_id": customer[0] if customer else None,
            "criterion": row("criterion", cells.bounded_text, 200, required=True),
            "importance": row("importance", cells.whole, low=1, high=5, required=True),
            "we_meet": row("we_meet", cells.flag, required=True),
            "competitor_meets": row("competitor_meets", cells.flag, required=True),
            "competitor_id": row("competitor", self.ctx.competitor_id),
            "assessed_on": row("assessed_on", cells.day, required=True),
            "notes": row("notes", cells.bounded_text, longest(PurchaseCriterion, "notes")),
        }
        if values["competitor_meets"] and not values["competitor_id"]:
            row.fail("competitor", _("say which competitor meets the criterion"))
        same = (values["customer_id"], values["criterion"], values["assessed_on"])
        if row.ok and same in self.seen:
            row.fail("criterion", _("the same criterion and date are in row %(first)d") % {"first": self.seen[same]})
        if row.ok:
            self.seen[same] = row.number
            self.stages["criteria"].add(row.number, values)

    def check(self) -> None:
        """Besides the file's own rows, a row may clash with another record of the same customer,
        criterion and date: named here rather than left to the database's refusal."""
        super().check()
        if self.ctx.failed:
            return
        clashes = self.stages["criteria"].execute(
            "SELECT s.row_no, s.criterion, t.external_id FROM {stage} AS s JOIN {table} AS t "
            "ON t.customer_id = s.customer_id AND t.criterion = s.criterion AND t.assessed_on = s.assessed_on "
            "WHERE (s.target_id IS NULL OR t.id <> s.target_id) "
            "AND t.id NOT IN (SELECT target_id FROM {stage} WHERE target_id IS NOT NULL) ORDER BY s.row_no"
        )
        for row, criterion, other in clashes:
            self.ctx.error(
                row,
                "criterion",
                criterion,
                _("this customer already has this criterion assessed on this date (%(other)s)")
                % {"other": other or _("an assessment entered by hand")},
            )
