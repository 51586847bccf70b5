"""Import a CSV or XLSX file of one kind from the command line: for scheduled ERP feeds.

    manage.py import_records orders /srv/erp-drop/orders.csv [--dry-run] [--user erp-feed]

Errors are printed one per line (row, column, value, why); the last line is the summary of
counts. The exit code is 1 when anything was refused (then nothing was written), 0 otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from exchange.engine import run
from exchange.formats import FORMATS
from exchange.jobs import store_path


class Command(BaseCommand):
    help = "Import a CSV or XLSX file of one kind (customers, contacts, orders, …); all rows or none."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(FORMATS))
        parser.add_argument("path")
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        parser.add_argument("--user", help="username the changes are recorded under (default: the first superuser)")

    def handle(self, *args, kind, path, dry_run, user, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        users = get_user_model().objects.filter(is_active=True)
        if user:
            account = users.filter(username=user).first()
        else:
            account = users.filter(is_superuser=True).order_by("pk").first()
        if account is None:
            raise CommandError(f"No active user {user!r}." if user else "No active superuser to record the import.")
        job = None if dry_run else store_path(account, kind, file)
        reason = f"import_records {file.name}" if job is None else f"import #{job.pk} {file.name}"
        bar = None
        if options.get("verbosity", 1) > 0 and sys.stderr.isatty():
            from tqdm import tqdm

            bar = tqdm(total=100, unit="%", file=sys.stderr, desc=kind)

        def progress(fraction: float) -> None:
            if bar is not None:
                bar.update(round(fraction * 100) - bar.n)

        outcome = run(kind, file, account, apply=not dry_run, reason=reason, progress=progress)
        if bar is not None:
            bar.close()
        if job is not None:
            job.result = outcome.as_dict()
            job.status = job.Status.APPLIED if outcome.applied else job.Status.FAILED
            job.save(update_fields=["result", "status"])
        for error in outcome.errors:
            where = f"row {error['row']}" if error["row"] else "file"
            column = f", column {error['column']}" if error["column"] else ""
            value = f": {error['value']!r}" if error["value"] else ""
            self.stderr.write(f"{where}{column}{value} — {error['why']}")
        if outcome.error_count > len(outcome.errors):
            self.stderr.write(f"… and {outcome.error_count - len(outcome.errors)} more errors")
        for label, counts in outcome.counts.items():
            self.stdout.write(
                f"  {label}: {counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged"
            )
        self.stdout.write(outcome.summary())
        if not outcome.ok:
            sys.exit(1)
