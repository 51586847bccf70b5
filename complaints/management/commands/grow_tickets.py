"""``manage.py grow_tickets --to 500000``: add ticket history in bulk to a seeded bench database."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from complaints.models import Ticket

# Columns copied as they are; the timestamps are shifted, the rest left at their defaults.
COPIED = (
    "customer_id", "contact_id", "kind", "category", "severity", "channel", "subject", "description",
    "status", "department", "assigned_to_id", "escalation_level", "onsite_requested", "root_cause",
    "corrective_action", "satisfaction", "onsite_report",
)  # fmt: skip
SHIFTED = (
    "opened_at", "response_due_at", "resolution_due_at", "first_response_at", "escalated_at", "resolved_at",
    "closed_at", "onsite_done_at",
)  # fmt: skip


class Command(BaseCommand):
    """Copies closed and resolved tickets of the seeded years further into the past, in one
    set-based INSERT … SELECT per round, until the table holds the number asked for. Open tickets
    are not copied, so the queue's open work stays what the seed made; only history grows."""

    help = "Grow the ticket table to --to rows with older copies of finished tickets (PostgreSQL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", type=int, default=500_000, help="Rows wanted in the ticket table.")

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("grow_tickets is for a PostgreSQL bench database (DATABASE_URL=postgres://...).")
        wanted = options["to"]
        table = Ticket._meta.db_table
        columns = ", ".join((*COPIED, *SHIFTED, "sla_paused_total"))
        rounds = 0
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {table}")
            count = cursor.fetchone()[0]
            while count < wanted:
                rounds += 1
                shift = f"interval '{3 * 365 * rounds} days'"
                values = ", ".join((*COPIED, *(f"{name} - {shift}" for name in SHIFTED), "interval '0'"))
                with transaction.atomic():
                    cursor.execute(
                        f"INSERT INTO {table} ({columns}) SELECT {values} FROM {table} "
                        "WHERE status IN ('resolved', 'closed') AND recurrence_of_id IS NULL "
                        "ORDER BY id LIMIT %s",
                        [wanted - count],
                    )
                    added = cursor.rowcount
                if added == 0:
                    raise CommandError("No finished tickets to copy: seed the database first (seed_demo).")
                count += added
                self.stdout.write(f"round {rounds}: +{added:,} → {count:,} tickets")
            cursor.execute(f"ANALYZE {table}")
        self.stdout.write(self.style.SUCCESS(f"{count:,} tickets"))
