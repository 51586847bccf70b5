"""Run the nightly risk job (tiering, scoring, alerts) now, for today or a past date."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts.risk.engine import RiskModelError
from accounts.services import risk_nightly

from ._dates import parse_day


class Command(BaseCommand):
    help = "Recompute tiers, churn risk and alerts for every active customer as of a date."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="YYYY-MM-DD, today by default; never in the future.")
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")

    def handle(self, *args, **options):
        as_of = parse_day(options["as_of"])
        bar = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if options["no_progress"]:
                return
            if bar is None:
                bar = tqdm(total=total, desc=f"Scoring {as_of}", unit="customer", file=self.stderr._out)
            bar.update(done - bar.n)

        try:
            result = risk_nightly(as_of=as_of, progress=progress)
        except RiskModelError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            if bar is not None:
                bar.close()
        if result.outcome == "skipped":
            raise CommandError(result.message)
        self.stdout.write(self.style.SUCCESS(f"{as_of}: {result.message}"))
