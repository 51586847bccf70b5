"""Apply the risk snapshots' retention now: months wholly older than 90 days keep one snapshot a week."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from accounts.risk.storage import snapshot_retention

from ._dates import parse_day


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse needs a plain string, translated when the parser is built
        return _(
            "Keep one risk snapshot a week (Mondays) in the months wholly older than 90 days; "
            "every night of the last 90 days stays."
        )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help=_("YYYY-MM-DD, today by default."))
        parser.add_argument(
            "--dry-run", action="store_true", help=_("Show what would be kept and dropped; change nothing.")
        )

    def handle(self, *args, **options):
        as_of = parse_day(options["as_of"])
        dry_run = options["dry_run"]
        results = snapshot_retention(as_of=as_of, dry_run=dry_run)
        if dry_run:
            self.stdout.write(_("Dry run: nothing is changed."))
        if not results:
            self.stdout.write(_("No month is old enough to keep weekly snapshots only."))
        for month in results:
            label = month.month.strftime("%Y-%m")
            if month.compacted_before:
                self.stdout.write(_("%(month)s: weekly snapshots only already.") % {"month": label})
            elif dry_run:
                self.stdout.write(
                    _("%(month)s: would keep %(kept)d snapshots and drop %(dropped)d.")
                    % {"month": label, "kept": month.kept, "dropped": month.dropped}
                )
            else:
                self.stdout.write(
                    _("%(month)s: kept %(kept)d snapshots, dropped %(dropped)d.")
                    % {"month": label, "kept": month.kept, "dropped": month.dropped}
                )
