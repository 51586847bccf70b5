"""Measure the exports of the customer list for an executive (the whole book): the CSV's time and
queries, and the XLSX background job's time, against the current database.

    manage.py bench_export [--runs 3] [--executive erin] [--no-xlsx]

The CSV goes through its view (no middleware) and is read to the last byte. The XLSX job runs in
this process, as the worker would run it; its job row is rolled back and its file removed at the
end, so the database and the export directory are left as they were.
"""

import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.http import QueryDict
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts.models import Customer, ExportJob
from accounts.permissions import ROLE_EXECUTIVE
from accounts.views.exports import export_csv
from accounts.workspace import export_jobs


class Command(BaseCommand):
    help = "Time the customer list's CSV export and XLSX job for an executive (leaves nothing behind)."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=3)
        parser.add_argument("--executive", help="username of the executive (default: the first one)")
        parser.add_argument("--no-xlsx", action="store_true", help="time the CSV only")

    def handle(self, *args, **options):
        users = get_user_model().objects
        executive = (
            users.filter(username=options["executive"]).first()
            if options["executive"]
            else users.filter(groups__name=ROLE_EXECUTIVE, is_active=True).order_by("pk").first()
        )
        if executive is None:
            raise CommandError("Needs an executive in the database (seed_demo makes them).")
        visible = Customer.objects.visible_to(executive).count()
        self.stdout.write(f"{visible:,} customers visible to {executive.username}; {options['runs']} runs each")
        self._csv(executive, options["runs"])
        if not options["no_xlsx"]:
            self._xlsx(executive, options["runs"])

    def _csv(self, user, runs):
        timings, queries, size = [], set(), 0
        for _ in range(runs):
            request = RequestFactory().get("/export/customers.csv")
            request.user = user
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = export_csv(request)
                size = sum(len(chunk) for chunk in response.streaming_content)
                timings.append(time.perf_counter() - started)
            queries.add(len(captured))
        self.stdout.write(
            f"CSV:  median {statistics.median(timings):.2f} s, min {min(timings):.2f} s, max {max(timings):.2f} s, "
            f"{size / 1e6:.1f} MB, queries per export {sorted(queries)}"
        )

    def _xlsx(self, user, runs):
        timings, rows, size = [], 0, 0
        for _ in range(runs):
            with transaction.atomic():
                job = export_jobs.export_ask(user=user, params=QueryDict(""), language="en")
                started = time.perf_counter()
                export_jobs.export_run(job.pk)
                timings.append(time.perf_counter() - started)
                job = ExportJob.objects.get(pk=job.pk)
                if job.status != ExportJob.Status.DONE:
                    raise CommandError(f"the XLSX job failed: {job.refusal or job.error}")
                path = export_jobs.file_of(job)
                rows, size = job.rows_written, path.stat().st_size
                path.unlink()
                transaction.set_rollback(True)
        self.stdout.write(
            f"XLSX job: median {statistics.median(timings):.2f} s, min {min(timings):.2f} s, "
            f"max {max(timings):.2f} s, {rows:,} rows, {size / 1e6:.1f} MB"
        )
