"""Risk snapshots partitioned by month on PostgreSQL (accounts.risk.storage); other databases keep
one plain table and this migration does nothing there.

The table is rebuilt as a declarative partitioned table (RANGE on ``as_of``) with one partition
per month of the stored rows, this month and the next, and a DEFAULT partition under them; the
rows are copied over and the old table dropped. A partitioned table's primary key must hold the
partition key, so the database's key becomes (id, as_of); Django still knows ``id`` as the key,
whose values come from a sequence owned by the column (identity columns are not allowed on
partitioned tables before PostgreSQL 17). Names of the constraints and indexes stay as they were,
so Django's state is unchanged. ``factors`` and ``reasons`` are compressed with lz4 where the
server has it.
"""

from django.db import migrations
from django_migration_linter import IgnoreMigration

TOAST_TUPLE_TARGET = 128


class PostgresOnlySQL(migrations.RunSQL):
    """RunSQL that runs on PostgreSQL only."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


# The foreign keys of a table, recreated with the same names and definitions on another one.
COPY_FOREIGN_KEYS = """
DO $$
DECLARE fk record;
BEGIN
    FOR fk IN SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
              WHERE conrelid = '{source}'::regclass AND contype = 'f' LOOP
        EXECUTE format('ALTER TABLE {target} ADD CONSTRAINT %I %s', fk.conname, fk.def);
    END LOOP;
END $$;
"""

FORWARD = [
    # The plain table steps aside, with the names of its indexes and its sequence.
    "ALTER TABLE accounts_risksnapshot RENAME TO accounts_risksnapshot_unpartitioned",
    "ALTER INDEX accounts_risksnapshot_pkey RENAME TO accounts_risksnapshot_unpartitioned_pkey",
    "ALTER INDEX risksnapshot_one_per_day RENAME TO risksnapshot_unpartitioned_one_per_day",
    "ALTER INDEX accounts_ri_as_of_30dbe1_idx RENAME TO accounts_risksnapshot_unpartitioned_as_of_band",
    "ALTER INDEX accounts_risksnapshot_model_version_id_570a5830 "
    "RENAME TO accounts_risksnapshot_unpartitioned_model_version",
    """
    DO $$
    DECLARE old_sequence text := pg_get_serial_sequence('accounts_risksnapshot_unpartitioned', 'id');
    BEGIN
        EXECUTE format('ALTER SEQUENCE %s RENAME TO accounts_risksnapshot_unpartitioned_id_seq', old_sequence);
    END $$;
    """,
    # The partitioned table: same columns, defaults and checks.
    "CREATE SEQUENCE accounts_risksnapshot_id_seq AS bigint",
    "CREATE TABLE accounts_risksnapshot (LIKE accounts_risksnapshot_unpartitioned "
    "INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (as_of)",
    "ALTER TABLE accounts_risksnapshot ALTER COLUMN id SET DEFAULT nextval('accounts_risksnapshot_id_seq')",
    "ALTER SEQUENCE accounts_risksnapshot_id_seq OWNED BY accounts_risksnapshot.id",
    """
    DO $$
    BEGIN
        IF EXISTS (SELECT FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)) THEN
            ALTER TABLE accounts_risksnapshot
                ALTER COLUMN factors SET COMPRESSION lz4, ALTER COLUMN reasons SET COMPRESSION lz4;
        END IF;
    END $$;
    """,
    "ALTER TABLE accounts_risksnapshot ADD CONSTRAINT accounts_risksnapshot_pkey PRIMARY KEY (id, as_of)",
    "ALTER TABLE accounts_risksnapshot ADD CONSTRAINT risksnapshot_one_per_day UNIQUE (customer_id, as_of)",
    'CREATE INDEX "accounts_ri_as_of_30dbe1_idx" ON accounts_risksnapshot (as_of, band)',
    "CREATE INDEX accounts_risksnapshot_model_version_id_570a5830 ON accounts_risksnapshot (model_version_id)",
    COPY_FOREIGN_KEYS.format(source="accounts_risksnapshot_unpartitioned", target="accounts_risksnapshot"),
    # Its partitions: the default, and each month from the oldest row's to next month.
    f"CREATE TABLE accounts_risksnapshot_default PARTITION OF accounts_risksnapshot DEFAULT "
    f"WITH (toast_tuple_target = {TOAST_TUPLE_TARGET})",
    f"""
    DO $$
    DECLARE
        month date := date_trunc('month', LEAST(CURRENT_DATE,
            (SELECT MIN(as_of) FROM accounts_risksnapshot_unpartitioned)));
        last date := date_trunc('month', GREATEST(CURRENT_DATE,
            (SELECT MAX(as_of) FROM accounts_risksnapshot_unpartitioned))) + interval '1 month';
    BEGIN
        WHILE month <= last LOOP
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF accounts_risksnapshot FOR VALUES FROM (%L) TO (%L) '
                'WITH (toast_tuple_target = {TOAST_TUPLE_TARGET})',
                'accounts_risksnapshot_y' || to_char(month, 'YYYY') || 'm' || to_char(month, 'MM'),
                month, (month + interval '1 month')::date);
            month := (month + interval '1 month')::date;
        END LOOP;
    END $$;
    """,
    # The rows, and the ids going on from where they were.
    "INSERT INTO accounts_risksnapshot SELECT * FROM accounts_risksnapshot_unpartitioned ORDER BY as_of, customer_id",
    "SELECT setval('accounts_risksnapshot_id_seq', last_value, is_called) "
    "FROM accounts_risksnapshot_unpartitioned_id_seq",
    "DROP TABLE accounts_risksnapshot_unpartitioned",
    # Autovacuum analyzes partitions, never the partitioned table itself: gather its statistics
    # now, or joins over it are planned from guesses until the first weekly retention step.
    "ANALYZE accounts_risksnapshot",
]

BACKWARD = [
    "CREATE TABLE accounts_risksnapshot_plain (LIKE accounts_risksnapshot INCLUDING CONSTRAINTS)",
    "INSERT INTO accounts_risksnapshot_plain SELECT * FROM accounts_risksnapshot",
    COPY_FOREIGN_KEYS.format(source="accounts_risksnapshot", target="accounts_risksnapshot_plain"),
    "DROP TABLE accounts_risksnapshot",
    "ALTER TABLE accounts_risksnapshot_plain RENAME TO accounts_risksnapshot",
    "ALTER TABLE accounts_risksnapshot ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY",
    "SELECT setval(pg_get_serial_sequence('accounts_risksnapshot', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) "
    "FROM accounts_risksnapshot",
    "ALTER TABLE accounts_risksnapshot ADD CONSTRAINT accounts_risksnapshot_pkey PRIMARY KEY (id)",
    "ALTER TABLE accounts_risksnapshot ADD CONSTRAINT risksnapshot_one_per_day UNIQUE (customer_id, as_of)",
    'CREATE INDEX "accounts_ri_as_of_30dbe1_idx" ON accounts_risksnapshot (as_of, band)',
    "CREATE INDEX accounts_risksnapshot_model_version_id_570a5830 ON accounts_risksnapshot (model_version_id)",
]


class Migration(migrations.Migration):
    dependencies = [("accounts", "0016_account_data")]

    operations = [
        # The table is rebuilt under its name in one transaction (renamed, copied, dropped): the
        # linter sees a renamed table and a new unique constraint, both on the new table the
        # running app reaches by the same name once this commits. Run it in a maintenance window:
        # the copy holds the table for as long as it takes.
        IgnoreMigration(),
        PostgresOnlySQL(FORWARD, BACKWARD),
    ]
