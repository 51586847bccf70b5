from django.db import migrations, models
from django.db.models import Q

# name: (table, columns, partial-index condition in SQL). My plays at a million plays: the open
# list sorted by due date, the closed list by closing date, and a person's open steps.
INDEXES = {
    "play_open_due": ("plays_play", "due_on, priority, id", "status IN ('open', 'in_progress')"),
    "play_closed_recent": ("plays_play", "closed_on DESC, id DESC", "status IN ('done', 'cancelled')"),
    "playstep_open_assignee": ("plays_playstep", "assignee_id, play_id", "done_on IS NULL"),
}


def create(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name, (table, columns, condition) in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX {concurrently}IF NOT EXISTS {name} ON {table} ({columns}) WHERE {condition}")


def drop(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")


OPEN = Q(status__in=["open", "in_progress"])
CLOSED = Q(status__in=["done", "cancelled"])


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("plays", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="play",
                    index=models.Index(fields=["due_on", "priority", "id"], name="play_open_due", condition=OPEN),
                ),
                migrations.AddIndex(
                    model_name="play",
                    index=models.Index(fields=["-closed_on", "-id"], name="play_closed_recent", condition=CLOSED),
                ),
                migrations.AddIndex(
                    model_name="playstep",
                    index=models.Index(
                        fields=["assignee", "play"], name="playstep_open_assignee", condition=Q(done_on__isnull=True)
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(create, drop, elidable=False)],
        )
    ]
