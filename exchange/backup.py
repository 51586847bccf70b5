"""Backup and restore of the embedded SQLite database with SQLite's online backup API.

The backup API copies the database page by page from a live connection. Copying every page in
one step holds a read lock for the copy's duration, so the copy is one consistent moment of the
database even while the app keeps writing (writers wait those few moments; readers do not). The
copy goes to a temporary file beside the target and takes the target's name only once complete
and checked, so a failed backup never leaves a half-written file under the backup's name.

Restore copies a backup into the live database the same way, in one step: every connection sees
either the old database or the restored one, never a mix.

PostgreSQL has its own tools (``pg_dump -Fc`` / ``pg_restore``, see the README's "Backup and
restore"); these functions refuse to run against it.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from django.db import connections
from django.utils.translation import gettext as _


class BackupRefused(Exception):
    """Why a backup or restore cannot run."""


def _sqlite_connection(alias: str) -> sqlite3.Connection:
    connection = connections[alias]
    if connection.vendor != "sqlite":
        raise BackupRefused(
            _(
                "The database is %(vendor)s, not SQLite: back it up with pg_dump and restore it with "
                'pg_restore (README, "Backup and restore").'
            )
            % {"vendor": connection.display_name}
        )
    if connection.in_atomic_block:
        raise BackupRefused(_("A backup or restore cannot run inside a transaction."))
    connection.ensure_connection()
    return connection.connection


def _check(database: sqlite3.Connection, path) -> None:
    try:
        # CHECK constraints call functions only Django registers; the pages and indexes are what to check.
        database.execute("PRAGMA ignore_check_constraints = ON")
        result = database.execute("PRAGMA quick_check").fetchone()[0]
        migrated = database.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
        ).fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise BackupRefused(_("%(path)s is not an SQLite database: %(why)s") % {"path": path, "why": error}) from None
    if result != "ok":
        raise BackupRefused(_("%(path)s is damaged: %(why)s") % {"path": path, "why": result})
    if not migrated:
        raise BackupRefused(_("%(path)s is not a KeyAccounts database.") % {"path": path})


def backup(path, *, alias: str = "default") -> int:
    """Copy the database to ``path`` (replaced if there); returns its size in bytes."""
    source = _sqlite_connection(alias)
    target = Path(path).resolve()
    if not target.parent.is_dir():
        raise BackupRefused(_("The folder %(folder)s does not exist.") % {"folder": target.parent})
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(handle)
    try:
        copy = sqlite3.connect(temporary)
        try:
            source.backup(copy)  # every page in one step: one consistent moment
            _check(copy, target)
        finally:
            copy.close()
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target.stat().st_size


def restore(path, *, alias: str = "default") -> None:
    """Replace the database's contents with the backup at ``path``."""
    target = _sqlite_connection(alias)
    source_path = Path(path)
    if not source_path.is_file():
        raise BackupRefused(_("There is no file %(path)s.") % {"path": path})
    source = sqlite3.connect(f"file:{source_path.resolve()}?mode=ro", uri=True)
    try:
        _check(source, path)
        source.backup(target)
    finally:
        source.close()
