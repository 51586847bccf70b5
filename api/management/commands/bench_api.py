"""Measure the API's customer list: p50/p95/max time and queries per request, for an account
manager and an executive, against the current database.

    manage.py bench_api [--requests 100] [--page-size 100] [--manager am01] [--executive exec]

Read-only: the requests go through DRF's test client (the whole middleware stack and the view),
signed in with ``force_authenticate`` — no token or session row is written — inside a transaction
rolled back at the end, so the database is left exactly as it was. The manager is, unless
named, the account manager who owns the most customers.
"""

import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import Customer
from accounts.permissions import ROLE_ACCOUNT_MANAGER, ROLE_EXECUTIVE


class Command(BaseCommand):
    help = "Time the API's customer list for an account manager and an executive (read-only)."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=100)
        parser.add_argument("--page-size", type=int, default=100)
        parser.add_argument("--manager", help="username of the account manager (default: the biggest book)")
        parser.add_argument("--executive", help="username of the executive (default: the first one)")

    def handle(self, *args, **options):
        users = get_user_model().objects
        if options["manager"]:
            manager = users.filter(username=options["manager"]).first()
        else:
            manager = (
                users.filter(groups__name=ROLE_ACCOUNT_MANAGER, is_active=True)
                .annotate(book=Count("owned_customers"))
                .order_by("-book")
                .first()
            )
        executive = (
            users.filter(username=options["executive"]).first()
            if options["executive"]
            else users.filter(groups__name=ROLE_EXECUTIVE, is_active=True).order_by("pk").first()
        )
        if manager is None or executive is None:
            raise CommandError("Needs an account manager and an executive in the database (seed_demo makes them).")
        self.stdout.write(f"{Customer.objects.count():,} customers; {options['requests']} requests each\n")
        with override_settings(ALLOWED_HOSTS=["testserver"]), transaction.atomic():
            for user in (manager, executive):
                self._bench(user, options["requests"], options["page_size"])
            transaction.set_rollback(True)  # nothing is written; should anything be, it goes away

    def _bench(self, user, count, page_size):
        client = APIClient()
        client.force_authenticate(user=user)
        url = f"/api/v1/customers/?page_size={page_size}"
        first = client.get(url)  # warm-up
        if first.status_code != 200:
            raise CommandError(f"{url} answered {first.status_code} for {user.username}")
        timings, queries = [], set()
        for _ in range(count):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
            queries.add(len(captured))
        timings.sort()
        p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
        visible = Customer.objects.visible_to(user).count()
        self.stdout.write(
            f"{user.username:>10} ({visible:,} customers visible, {len(first.json()['results'])} rows a page): "
            f"p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, max {timings[-1]:.1f} ms, "
            f"queries per request {sorted(queries)}"
        )
