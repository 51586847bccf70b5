"""backup_sqlite / restore_sqlite: a copy of the live database, and the database back from it."""

import sqlite3

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts import models as am
from keyaccounts.tests import factories as f

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite backup runs on SQLite only")


@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_brings_the_data_back(tmp_path):
    kept = f.CustomerFactory(name="Kept")
    path = tmp_path / "backup.sqlite3"
    call_command("backup_sqlite", str(path))
    with sqlite3.connect(path) as copy:
        assert copy.execute("SELECT name FROM accounts_customer").fetchall() == [("Kept",)]
    assert not list(tmp_path.glob("*.part"))

    am.Customer.objects.filter(pk=kept.pk).update(name="Changed")
    f.CustomerFactory(name="Added later")
    call_command("restore_sqlite", str(path), "--no-input")
    assert list(am.Customer.objects.values_list("name", flat=True)) == ["Kept"]


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_file_that_is_no_keyaccounts_database(tmp_path):
    f.CustomerFactory(name="Kept")
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(CommandError, match="not an SQLite database"):
        call_command("restore_sqlite", str(junk), "--no-input")
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(CommandError, match="not a KeyAccounts database"):
        call_command("restore_sqlite", str(other), "--no-input")
    with pytest.raises(CommandError, match="no file"):
        call_command("restore_sqlite", str(tmp_path / "missing"), "--no-input")
    assert am.Customer.objects.get().name == "Kept"


@pytest.mark.django_db(transaction=True)
def test_restore_asks_first(tmp_path, monkeypatch):
    path = tmp_path / "backup.sqlite3"
    call_command("backup_sqlite", str(path))
    f.CustomerFactory(name="Stays")
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="cancelled"):
        call_command("restore_sqlite", str(path))
    assert am.Customer.objects.filter(name="Stays").exists()


@pytest.mark.django_db(transaction=True)
def test_refuses_postgresql(tmp_path, monkeypatch):
    monkeypatch.setattr(connection, "vendor", "postgresql")
    monkeypatch.setattr(connection, "display_name", "PostgreSQL")
    with pytest.raises(CommandError, match="pg_dump"):
        call_command("backup_sqlite", str(tmp_path / "b.sqlite3"))
    with pytest.raises(CommandError, match="pg_restore"):
        call_command("restore_sqlite", str(tmp_path / "b.sqlite3"), "--no-input")


def test_backup_into_a_missing_folder_is_refused(tmp_path, db):
    with pytest.raises(CommandError):
        call_command("backup_sqlite", str(tmp_path / "no" / "such" / "b.sqlite3"))
