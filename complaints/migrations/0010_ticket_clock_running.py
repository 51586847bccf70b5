from django.db import migrations, models
from django.db.models import Q

# The tickets whose SLA clock still runs, by the time they were opened: the queue of every status
# reads them first instead of sorting every ticket. Built without locking the ticket table.
NAME = "ticket_clock_running"
# complaints.deadlines.CLOCK_RUNNING as of this migration.
CLOCK_RUNNING = Q(first_response_at__isnull=True, response_due_at__isnull=False) | Q(
    resolved_at__isnull=True, resolution_due_at__isnull=False
)


def _index():
    return models.Index(fields=["opened_at"], name=NAME, condition=CLOCK_RUNNING)


def _on_ticket(operation: str):
    """Run the schema editor's ``add_index`` or ``remove_index`` for the index, concurrently on
    PostgreSQL."""

    def run(apps, schema_editor):
        ticket = apps.get_model("complaints", "Ticket")
        concurrently = {"concurrently": True} if schema_editor.connection.vendor == "postgresql" else {}
        getattr(schema_editor, operation)(ticket, _index(), **concurrently)

    return run


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("complaints", "0009_ticket_opened_at_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="ticket", index=_index())],
            database_operations=[migrations.RunPython(_on_ticket("add_index"), _on_ticket("remove_index"))],
        ),
    ]
