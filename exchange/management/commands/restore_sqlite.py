from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from exchange.backup import BackupRefused, restore


class Command(BaseCommand):
    help = "Replace the embedded SQLite database's contents with a backup made by backup_sqlite."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the backup file to restore")
        parser.add_argument("--database", default="default")
        parser.add_argument("--no-input", action="store_false", dest="interactive", help="do not ask to confirm")

    def handle(self, *args, path, database, interactive, **options):
        if interactive:
            answer = input(
                _("This replaces everything in the database with %(path)s. Type 'yes' to continue: ") % {"path": path}
            )
            if answer.strip().lower() != "yes":
                raise CommandError(_("Restore cancelled."))
        try:
            restore(path, alias=database)
        except BackupRefused as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(_("Restored from %(path)s.") % {"path": path})
