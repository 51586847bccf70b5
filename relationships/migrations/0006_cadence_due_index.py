from django.db import migrations, models
from django.db.models import Q

# name: (columns, partial-index condition in SQL)
INDEXES = {
    "cadence_customer_due": ("customer_id, due_on", ""),
    "cadence_last_met": ("last_met_on", ""),
    "cadence_next_met": ("next_met_on", "next_met_on IS NOT NULL"),
    "cadence_due_unknown": ("id", "due_on IS NULL"),
}


def create(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name, (columns, condition) in INDEXES.items():
        where = f" WHERE {condition}" if condition else ""
        schema_editor.execute(
            f"CREATE INDEX {concurrently}IF NOT EXISTS {name} ON relationships_cadence ({columns}){where}"
        )


def drop(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("relationships", "0005_cadence_due_dates")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="cadence",
                    index=models.Index(fields=["customer", "due_on"], name="cadence_customer_due"),
                ),
                migrations.AddIndex(
                    model_name="cadence",
                    index=models.Index(fields=["last_met_on"], name="cadence_last_met"),
                ),
                migrations.AddIndex(
                    model_name="cadence",
                    index=models.Index(
                        fields=["next_met_on"], name="cadence_next_met", condition=Q(next_met_on__isnull=False)
                    ),
                ),
                migrations.AddIndex(
                    model_name="cadence",
                    index=models.Index(fields=["id"], name="cadence_due_unknown", condition=Q(due_on__isnull=True)),
                ),
            ],
            database_operations=[migrations.RunPython(create, drop, elidable=False)],
        )
    ]
