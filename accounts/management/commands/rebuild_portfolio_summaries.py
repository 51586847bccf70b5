"""Rebuild the executive dashboard's portfolio summaries from the stored risk snapshots."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from accounts.models import RiskSnapshot
from accounts.portfolio.cells import trend_dates
from accounts.portfolio.summaries import portfolio_summaries_refresh

from ._dates import parse_day


class Command(BaseCommand):
    help = (
        "Rebuild the portfolio summaries the dashboard reads for --as-of (default: the latest snapshot "
        "date): that date, the week before, and the Mondays of the --weeks weeks before, where they "
        "have risk snapshots. Each date is replaced in one transaction; safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="YYYY-MM-DD, the latest snapshot date by default.")
        parser.add_argument(
            "--weeks", type=int, default=26, help="Weeks of history to rebuild (default 26, at most 260)."
        )

    def handle(self, *args, **options):
        if not 1 <= options["weeks"] <= 260:
            raise CommandError("--weeks must be between 1 and 260.")
        if options["as_of"]:
            as_of = parse_day(options["as_of"])
        else:
            as_of = RiskSnapshot.objects.order_by("-as_of").values_list("as_of", flat=True).first()
            if as_of is None:
                raise CommandError("There are no risk snapshots yet: run recompute_risk first.")
        # The weekly trend's dates (Mondays and the latest date) and the week before the latest.
        wanted = {*trend_dates(as_of, weeks=options["weeks"]), as_of - timedelta(days=7)}
        scored = set(RiskSnapshot.objects.filter(as_of__in=wanted).values_list("as_of", flat=True).distinct())
        for day in sorted(scored):
            rows = portfolio_summaries_refresh(as_of=day)
            self.stdout.write(f"{day}: {rows} summary rows")
        missing = len(wanted) - len(scored)
        if missing:
            self.stdout.write(f"{missing} of the {len(wanted)} dates have no snapshots and were skipped.")
