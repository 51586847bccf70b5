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


def create(apps, schema_editor):
    ticket = apps.get_model("complaints", "Ticket")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(ticket, _index(), concurrently=True)
    else:
        schema_editor.add_index(ticket, _index())


def drop(apps, schema_editor):
    ticket = apps.get_model("complaints", "Ticket")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(ticket, _index(), concurrently=True)
    else:
        schema_editor.remove_index(ticket, _index())


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("complaints", "0009_ticket_opened_at_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="ticket", index=_index())],
            database_operations=[migrations.RunPython(create, drop)],
        ),
    ]
