from django.db import migrations, models
from django.db.models import Q

# name: (table, columns, covered columns, partial-index condition in SQL). Today's decision makers
# not met lately read from one index, with their stored meeting dates; and the few contacts
# whose stored dates are stale, found through the dates themselves.
INDEXES = {
    "contact_decision_makers_met": (
        "relationships_contact",
        "customer_id, id",
        "last_met_on, next_met_on",
        "buying_role = 'decision_maker' AND left_on IS NULL",
    ),
    "contact_last_met": ("relationships_contact", "last_met_on", "", "last_met_on IS NOT NULL"),
    "contact_next_met": ("relationships_contact", "next_met_on", "", "next_met_on IS NOT NULL"),
}
REPLACED = {
    "contact_decision_makers": (
        "relationships_contact",
        "customer_id, id",
        "",
        "buying_role = 'decision_maker' AND left_on IS NULL",
    ),
}


def _create(schema_editor, indexes):
    postgresql = schema_editor.connection.vendor == "postgresql"
    concurrently = "CONCURRENTLY " if postgresql else ""
    for name, (table, columns, covered, condition) in indexes.items():
        include = f" INCLUDE ({covered})" if covered and postgresql else ""
        where = f" WHERE {condition}" if condition else ""
        schema_editor.execute(f"CREATE INDEX {concurrently}IF NOT EXISTS {name} ON {table} ({columns}){include}{where}")


def _drop(schema_editor, indexes):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name in indexes:
        schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")


def forward(apps, schema_editor):
    _create(schema_editor, INDEXES)
    _drop(schema_editor, REPLACED)


def backward(apps, schema_editor):
    _create(schema_editor, REPLACED)
    _drop(schema_editor, INDEXES)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("relationships", "0008_contact_meeting_dates")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="contact", name="contact_decision_makers"),
                migrations.AddIndex(
                    model_name="contact",
                    index=models.Index(
                        fields=["customer", "id"],
                        name="contact_decision_makers_met",
                        include=["last_met_on", "next_met_on"],
                        condition=Q(buying_role="decision_maker", left_on__isnull=True),
                    ),
                ),
                migrations.AddIndex(
                    model_name="contact",
                    index=models.Index(
                        fields=["last_met_on"], name="contact_last_met", condition=Q(last_met_on__isnull=False)
                    ),
                ),
                migrations.AddIndex(
                    model_name="contact",
                    index=models.Index(
                        fields=["next_met_on"], name="contact_next_met", condition=Q(next_met_on__isnull=False)
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(forward, backward, elidable=False)],
        )
    ]
