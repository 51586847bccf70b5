"""Export one kind of records to a file from the command line, in its import format: a complete
copy of any size, without a web request's time limit.

    manage.py export_records orders backups/orders.csv [--user admin] [--chinese]

The file's extension picks CSV or XLSX (an XLSX holds at most 1,048,575 rows). The records are
those the user may see (default: the first superuser, who sees all of them).
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from exchange.export_jobs import XLSX_MAX_ROWS, write_file
from exchange.exporting import row_count
from exchange.formats import FORMATS


class Command(BaseCommand):
    help = "Export one kind of records (customers, contacts, orders, …) to a CSV or XLSX file."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(FORMATS))
        parser.add_argument("path", help="the file to write: .csv or .xlsx")
        parser.add_argument("--user", help="export what this user may see (default: the first superuser)")
        parser.add_argument("--chinese", action="store_true", help="Chinese column headers")

    def handle(self, *args, kind, path, user, chinese, **options):
        file = Path(path)
        extension = file.suffix.lower().lstrip(".")
        if extension not in ("csv", "xlsx"):
            raise CommandError("The file must end in .csv or .xlsx.")
        users = get_user_model().objects.filter(is_active=True)
        account = (
            users.filter(username=user).first() if user else users.filter(is_superuser=True).order_by("pk").first()
        )
        if account is None:
            raise CommandError(f"No active user {user!r}." if user else "No active superuser to export as.")
        total = row_count(kind, account)
        if extension == "xlsx" and total > XLSX_MAX_ROWS:
            raise CommandError(
                f"{total:,} rows are too many for an XLSX file (at most {XLSX_MAX_ROWS:,}); write a .csv."
            )
        partial = file.with_name(file.name + ".part")
        try:
            written = write_file(kind, account, partial, extension=extension, chinese=chinese)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(file)
        self.stdout.write(f"{written:,} rows of {kind} written to {file}")
