from django.db import migrations, models

# The tickets by the time they were opened (the analytics' live months, the refresh of a month),
# built without locking the ticket table.
NAME = "ticket_opened_at"


def create(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"CREATE INDEX {concurrently}IF NOT EXISTS {NAME} ON complaints_ticket (opened_at)")


def drop(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {NAME}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("complaints", "0008_complaint_months")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="ticket",
                    index=models.Index(fields=["opened_at"], name=NAME),
                ),
            ],
            database_operations=[migrations.RunPython(create, drop)],
        ),
    ]
