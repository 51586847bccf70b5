from django.db import migrations, models

INDEX = "cadence_customer_due"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON relationships_cadence (customer_id, due_on)"
        )
    else:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON relationships_cadence (customer_id, due_on)")


def drop(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("relationships", "0005_cadence_due_dates")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="cadence",
                    index=models.Index(fields=["customer", "due_on"], name=INDEX),
                )
            ],
            database_operations=[migrations.RunPython(create, drop, elidable=False)],
        )
    ]
