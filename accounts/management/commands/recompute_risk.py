"""Run the nightly risk job (tiering, scoring, alerts) now, for today or a past date."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts.models import RiskRun
from accounts.nightly import nightly_jobs

from ._dates import parse_day


class Command(BaseCommand):
    help = "Recompute tiers, churn risk and alerts for every active customer as of a date."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="YYYY-MM-DD, today by default; never in the future.")
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")
        parser.add_argument(
            "--backfill",
            type=int,
            default=0,
            metavar="DAYS",
            help="Also run the nights before, oldest first, that have no successful run yet (at most 400).",
        )

    def handle(self, *args, **options):
        as_of = parse_day(options["as_of"])
        if not 0 <= options["backfill"] <= 400:
            raise CommandError("--backfill must be between 0 and 400 days.")
        done = set(
            RiskRun.objects.filter(job=RiskRun.Job.NIGHTLY, outcome=RiskRun.Outcome.SUCCEEDED).values_list(
                "as_of", flat=True
            )
        )
        for back in range(options["backfill"], 0, -1):
            day = as_of - timedelta(days=back)
            if day not in done:
                self._run(day, no_progress=True)
        self._run(as_of, no_progress=options["no_progress"])

    def _run(self, as_of, *, no_progress):
        bar = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if no_progress:
                return
            if bar is None:
                bar = tqdm(total=total, desc=f"Scoring {as_of}", unit="customer", file=self.stderr._out)
            bar.update(done - bar.n)

        try:
            result = nightly_jobs(as_of=as_of, progress=progress)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        finally:
            if bar is not None:
                bar.close()
        if result.outcome == "skipped":
            raise CommandError(result.message)
        self.stdout.write(self.style.SUCCESS(f"{as_of}: {result.message}"))
