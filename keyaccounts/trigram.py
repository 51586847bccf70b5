"""Trigram indexes for the "contains" searches (customer, contact and hotline lookup) on PostgreSQL.

Django's ``icontains`` becomes ``UPPER(column::text) LIKE UPPER('%q%')``: a B-tree cannot serve it,
a GIN index with ``gin_trgm_ops`` on the same expression can, for Chinese and Latin text alike
(PostgreSQL builds trigrams of any characters). The indexes live outside the models' ``Meta``
because SQLite has no such index: migrations add them only on PostgreSQL, without locking the
table (``CONCURRENTLY``, so those migrations are not atomic).
"""

from django.db import migrations

# The phone number without the marks people type in it, as the search compares it.
COMPACT_PHONE = "REPLACE(REPLACE(REPLACE(REPLACE(phone, ' ', ''), '-', ''), '(', ''), ')', '')"


def upper(column: str) -> str:
    return f"UPPER(({column})::text)"


def trigram_indexes(table: str, expressions: dict[str, str]) -> migrations.RunPython:
    """A migration operation adding ``{index name: SQL expression}`` as trigram indexes on ``table``."""

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, expression in expressions.items():
            schema_editor.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} USING gin (({expression}) gin_trgm_ops)"
            )

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name in expressions:
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")

    return migrations.RunPython(forward, backward, elidable=False)
