"""The customer page's account-data section: relationship level and its dated changes, peak
months, backup owner and team, churn and win-back records, and a short history of the customer's
audited changes. A fixed number of queries (pinned in tests)."""

from __future__ import annotations

from django.apps import apps
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from ..models import ChurnEvent, Customer, RelationshipLevelChange

HISTORY_ROWS = 8
# The fields of a history row worth a line on the page, with their label.
TRACKED = {
    "relationship_level": _("relationship level"),
    "peak_months": _("peak season months"),
    "owner": _("owner"),
    "backup_owner": _("backup owner"),
    "status": _("status"),
    "churn_reason": _("churn reason"),
}


def _value(row, field: str):
    return getattr(row, f"{field}_id") if hasattr(row, f"{field}_id") else getattr(row, field)


def _changes(newer, older, teams: dict[int, set]) -> list[str]:
    if older is None:
        return [str(_("created"))]
    names = [str(label) for field, label in TRACKED.items() if _value(newer, field) != _value(older, field)]
    if teams.get(newer.history_id, set()) != teams.get(older.history_id, set()):
        names.append(str(_("account team")))
    return names


def customer_account_data(*, customer: Customer) -> dict:
    """Everything the section shows, in five queries."""
    level_changes = list(RelationshipLevelChange.objects.filter(customer=customer).select_related("recorded_by")[:5])
    churn_events = list(ChurnEvent.objects.filter(customer=customer).select_related("competitor", "recorded_by")[:5])
    rows = list(
        customer.history.select_related("history_user").order_by("-history_date", "-history_id")[: HISTORY_ROWS + 1]
    )
    teams: dict[int, set] = {}
    team_model = apps.get_model("accounts", "HistoricalCustomer_account_team")
    pairs = team_model.objects.filter(history_id__in=[r.history_id for r in rows]).values_list("history_id", "user_id")
    for history_id, user_id in pairs:
        teams.setdefault(history_id, set()).add(user_id)
    history = []
    for index, row in enumerate(rows[:HISTORY_ROWS]):
        older = rows[index + 1] if index + 1 < len(rows) else None
        changed = _changes(row, older, teams)
        if changed:
            history.append({"row": row, "changed": changed})
    return {
        "peak_month_names": [MONTHS[m] for m in sorted(customer.peak_months or []) if m in MONTHS],
        "level_changes": level_changes,
        "churn_events": churn_events,
        "history": history,
    }
