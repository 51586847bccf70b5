from django.db import migrations, models
from django.db.models import Q

# name: (table, columns, partial-index condition in SQL). Today's decision makers not met in the
# last 90 days: the current decision makers, and the interactions of a span of days.
INDEXES = {
    "contact_decision_makers": (
        "relationships_contact",
        "customer_id, id",
        "buying_role = 'decision_maker' AND left_on IS NULL",
    ),
    "interaction_occurred_on": ("relationships_interaction", "occurred_on, id", ""),
}


def create(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name, (table, columns, condition) in INDEXES.items():
        where = f" WHERE {condition}" if condition else ""
        schema_editor.execute(f"CREATE INDEX {concurrently}IF NOT EXISTS {name} ON {table} ({columns}){where}")


def drop(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("relationships", "0006_cadence_due_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="contact",
                    index=models.Index(
                        fields=["customer", "id"],
                        name="contact_decision_makers",
                        condition=Q(buying_role="decision_maker", left_on__isnull=True),
                    ),
                ),
                migrations.AddIndex(
                    model_name="interaction",
                    index=models.Index(fields=["occurred_on", "id"], name="interaction_occurred_on"),
                ),
            ],
            database_operations=[migrations.RunPython(create, drop, elidable=False)],
        )
    ]
