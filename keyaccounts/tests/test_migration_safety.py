"""Migrations are checked for operations unsafe on a live PostgreSQL database.

The linter reads the SQL each migration generates (``sqlmigrate``) and flags what locks or breaks a
table that a running app is using: a NOT NULL column without a default, a dropped or renamed
column, a blocking index build, a new unique constraint. A migration that must do one of those
says so inside itself (``django_migration_linter.IgnoreMigration()`` with a comment on why it is
safe) — or it is listed below, which only the migrations written before the check may be.
"""

import pytest
from django.db import migrations, models
from django_migration_linter import MigrationLinter
from django_migration_linter.sql_analyser.analyser import analyse_sql_statements, get_sql_analyser_class

OUR_APPS = ["accounts", "relationships", "complaints", "exchange", "api"]

# Written and applied before migrations were linted; each was reviewed: it adds a column or
# unique key to tables that were new and small when it ran (the first releases of the feature).
REVIEWED_BEFORE_THE_CHECK = {
    "0002_ticket_workflow": "complaints: NOT NULL workflow columns and their indexes on the new ticket table",
    "0004_alert_close_note": "accounts: NOT NULL close note on alerts, filled with ''",
    "0005_external_ids": "complaints: external ids, unique per source, on tickets",
    "0002_external_ids": "relationships: external ids, unique per source, on contacts",
    "0007_risksnapshot_reasons_json": "accounts: snapshot reasons moved to JSON",
    "0008_risksnapshot_factors_json": "accounts: snapshot factors moved to JSON",
    "0009_external_ids": "accounts: external ids, unique per source, on customers and orders",
}


def linter(**options):
    return MigrationLinter(
        include_apps=OUR_APPS,
        no_cache=True,
        no_output=True,
        analyser_string="postgresql",
        # The data migrations' model variables are named for what they hold, not for the class.
        exclude_migration_tests=["RUNPYTHON_MODEL_VARIABLE_NAME"],
        all_warnings_as_errors=True,
        **options,
    )


@pytest.mark.django_db
def test_every_migration_is_safe_on_a_live_database_or_was_reviewed(postgres_only):
    checked = linter(ignore_name=REVIEWED_BEFORE_THE_CHECK)
    checked.lint_all_migrations()
    assert checked.nb_total > 20
    assert not checked.has_errors, f"{checked.nb_erroneous} unsafe migration(s); run manage.py lintmigrations"


@pytest.mark.django_db
def test_the_reviewed_list_holds_only_migrations_the_check_flags(postgres_only):
    """A name on the list that the check would pass (or that no longer exists) is taken off."""
    for name in REVIEWED_BEFORE_THE_CHECK:
        alone = linter(include_name=[name])
        alone.lint_all_migrations()
        assert alone.nb_total >= 1 and alone.has_errors, name


def sql_of(operation):
    """The SQL PostgreSQL would run for one operation on the accounts app as it is now."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    state = MigrationExecutor(connection).loader.project_state()
    after = state.clone()
    operation.state_forwards("accounts", after)
    with connection.schema_editor(collect_sql=True, atomic=False) as editor:
        operation.database_forwards("accounts", editor, state, after)
    return editor.collected_sql


@pytest.mark.django_db
@pytest.mark.parametrize(
    "operation",
    [
        migrations.AddField("customer", "region_code", models.CharField(max_length=8)),
        migrations.RemoveField("customer", "peak_months"),
        migrations.RenameField("customer", "name", "title"),
    ],
    ids=["not-null-without-default", "dropped-column", "renamed-column"],
)
def test_an_operation_that_breaks_the_running_app_is_flagged(postgres_only, operation):
    errors, _ignored, _warnings = analyse_sql_statements(get_sql_analyser_class("postgresql"), sql_of(operation))
    assert errors


@pytest.mark.django_db
def test_a_nullable_column_passes(postgres_only):
    operation = migrations.AddField("customer", "region_code", models.CharField(max_length=8, null=True))
    errors, _ignored, warnings = analyse_sql_statements(get_sql_analyser_class("postgresql"), sql_of(operation))
    assert not errors and not warnings
