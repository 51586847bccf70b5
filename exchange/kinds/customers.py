"""Customers (with owner, backup owner and account team) and churn records."""

from __future__ import annotations

from collections import defaultdict

from django.db import connection
from django.utils.translation import gettext as _

from accounts.models import ChurnReason, Customer, CustomerStatus, Industry, Region

from .. import cells
from ..context import Row, choice
from ..staging import Target, q
from .base import Handler, longest

CUSTOMER_FIELDS = {
    "code": "code",
    "name": "name",
    "industry": "industry",
    "region": "region",
    "owner": "owner_id",
    "backup_owner": "backup_owner_id",
    "relationship_level": "relationship_level",
    "customer_since": "customer_since",
    "tier_pinned": "tier_pinned",
    "peak_months": "peak_months",
}


class CustomersHandler(Handler):
    labels = ("customers",)

    def targets(self):
        self.industry, self.region = choice(Industry), choice(Region)
        extras = (("team", "varchar(2000)"), ("team_changed", "integer")) if self.ctx.has("account_team") else ()
        self.teams = self._existing_teams() if self.ctx.has("account_team") else {}
        return {
            "customers": Target(
                Customer,
                key=("code",),
                fields=self.field_names(CUSTOMER_FIELDS),
                extras=extras,
                also_changed="{stage}.team_changed = 1" if extras else "",
            )
        }

    def _existing_teams(self) -> dict[int, frozenset]:
        teams = defaultdict(set)
        for customer_id, user_id in Customer.account_team.through.objects.values_list("customer_id", "user_id"):
            teams[customer_id].add(user_id)
        return {k: frozenset(v) for k, v in teams.items()}

    def row(self, row: Row) -> None:
        values = {
            "code": row("code", cells.bounded_text, 20, required=True),
            "name": row("name", cells.bounded_text, 200, required=True),
            "industry": row("industry", self.industry, required=True),
            "region": row("region", self.region, required=True),
            "owner_id": row("owner", self.ctx.user_id, required=True),
            "backup_owner_id": row("backup_owner", self.ctx.user_id),
            "relationship_level": row("relationship_level", cells.whole, low=1, high=3) or 1,
            "customer_since": row("customer_since", cells.day, required=True),
            "tier_pinned": bool(row("tier_pinned", cells.flag)),
            "peak_months": sorted(set(row("peak_months", _months) or [])),
        }
        if values["backup_owner_id"] and values["backup_owner_id"] == values["owner_id"]:
            row.fail("backup_owner", _("must be someone other than the owner"))
        extras = ()
        if self.ctx.has("account_team"):
            team = row("account_team", self._team) or frozenset()
            existing = self.ctx.customers.get(values["code"] or "")
            old = self.teams.get(existing[0], frozenset()) if existing else None
            extras = (",".join(str(u) for u in sorted(team)), int(old is None or old != team))
        if row.ok:
            self.stages["customers"].add(row.number, values, extras)

    def _team(self, raw) -> frozenset:
        members = set()
        for name in cells.items(raw):
            members.add(self.ctx.user_id(name))
        return frozenset(members)

    def apply(self, *, user_id, reason):
        stage = self.stages["customers"]
        stage.apply(user_id=user_id, reason=reason)
        if self.ctx.has("account_team"):
            through = Customer.account_team.through
            changed = stage.execute("SELECT target_id, team FROM {stage} WHERE team_changed = 1 AND action <> '='")
            ids = [customer_id for customer_id, _team in changed]
            for start in range(0, len(ids), 1000):
                through.objects.filter(customer_id__in=ids[start : start + 1000]).delete()
            through.objects.bulk_create(
                [
                    through(customer_id=customer_id, user_id=int(member))
                    for customer_id, team in changed
                    for member in (team or "").split(",")
                    if member
                ],
                batch_size=5000,
            )
        _team_history(stage.applied_at, reason)


def _team_history(applied_at, reason: str) -> None:
    """The history rows just written carry the team as it now is (as a save's would), whether or
    not the file had the team's column."""
    through = Customer.account_team.through
    history = Customer.history.model
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(_historical_team_table())} (id, customer_id, user_id, history_id) "
            f"SELECT t.id, t.customer_id, t.user_id, h.history_id FROM {q(history._meta.db_table)} AS h "
            f"JOIN {q(through._meta.db_table)} AS t ON t.customer_id = h.id "
            f"WHERE h.history_date = %s AND h.history_change_reason = %s",
            [applied_at, reason[:100]],
        )


def _historical_team_table() -> str:
    return Customer.history.model._meta.db_table + "_account_team"


def _months(raw) -> list[int]:
    months = []
    for part in cells.items(raw):
        months.append(cells.whole(part, low=1, high=12))
    return months


class ChurnHandler(Handler):
    labels = ("customers",)

    def targets(self):
        self.reason = choice(ChurnReason)
        fields = ["code", "churned_on", "churn_reason"] + (["churn_notes"] if self.ctx.has("churn_notes") else [])
        return {
            "customers": Target(
                Customer,
                key=("code",),
                fields=tuple(fields),
                create=False,
                on_update={"status": CustomerStatus.CHURNED},
            )
        }

    def row(self, row: Row) -> None:
        customer = row("customer_code", self.ctx.customer, required=True)
        values = {
            "code": customer and cells.text(row.raw.get("customer_code")),
            "churned_on": row("churned_on", cells.day, required=True),
            "churn_reason": row("churn_reason", self.reason, required=True),
            "churn_notes": row("churn_notes", cells.bounded_text, longest(Customer, "churn_notes")) or "",
        }
        if customer and values["churned_on"] and values["churned_on"] < customer[1]:
            row.fail("churned_on", _("is before the customer-since date (%(day)s)") % {"day": customer[1].isoformat()})
        if row.ok:
            self.stages["customers"].add(row.number, values)

    def duplicate_key(self, label, stage):
        return [stage.field_of["code"].column], "customer_code"

    def apply(self, *, user_id, reason):
        stage = self.stages["customers"]
        stage.apply(user_id=user_id, reason=reason)
        _team_history(stage.applied_at, reason)
