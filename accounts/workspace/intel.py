"""Reads: the competitor-intelligence section of the customer page, newest first, in one query."""

from __future__ import annotations

from datetime import date, timedelta

from keyaccounts.clock import business_today

from ..models import CompetitorIntel, Customer
from ..risk.signals import INTEL_RECENT_DAYS

# The section lists this many entries, newest first; older ones stay in the admin and the history.
SHOWN_ENTRIES = 100
# What counts as recent on the page: the window the risk reasons read (risk.signals).
RECENT_DAYS = INTEL_RECENT_DAYS


def customer_intel(*, customer: Customer, today: date | None = None) -> dict:
    """The customer's competitor intelligence, newest first (with competitor, contact and who
    recorded it), and how much of it is recent."""
    today = today or business_today()
    rows = list(
        CompetitorIntel.objects.filter(customer=customer)
        .select_related("competitor", "contact", "recorded_by")
        .order_by("-noted_on", "-pk")[: SHOWN_ENTRIES + 1]
    )
    since = today - timedelta(days=RECENT_DAYS)
    return {
        "entries": rows[:SHOWN_ENTRIES],
        "more": len(rows) > SHOWN_ENTRIES,
        "shown_limit": SHOWN_ENTRIES,
        "recent": sum(1 for row in rows if since < row.noted_on <= today),
        "recent_days": RECENT_DAYS,
    }
