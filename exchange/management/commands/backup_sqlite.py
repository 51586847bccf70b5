from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from exchange.backup import BackupRefused, backup


class Command(BaseCommand):
    help = "Copy the embedded SQLite database to a file while the app runs (SQLite's online backup)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the backup file to write (replaced if it exists)")
        parser.add_argument("--database", default="default")

    def handle(self, *args, path, database, **options):
        try:
            size = backup(path, alias=database)
        except BackupRefused as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(_("Backed up to %(path)s (%(size)d bytes).") % {"path": path, "size": size})
