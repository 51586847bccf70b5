"""Benchmark the plays at size: the nightly opening and My plays over about a million plays.

    manage.py bench_plays --per-customer 10     # add plays to the benchmark book, then time
    manage.py bench_plays --skip-seed           # time the plays already in the database

Runs on a PostgreSQL database of its own that already holds a book (seed_demo --customers 100000,
see README "Benchmark"). Generating writes plays and steps set-based (INSERT … SELECT over the
customers and generate_series, without history rows): per customer ``--per-customer`` plays of
distinct playbooks, the first one open (every third customer a second one), the rest done or
cancelled over the past years; two steps each, for the owner and the backup owner. Then it times
the night's opening (``plays_open_night``) twice for one night — the first run opens the night's
plays, the rerun finds them open — and My plays (open and closed) as the account manager with the
most customers and as an executive: ``--requests`` requests each through the test client, p50 and
p95 and the queries of one request.
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from accounts.models import Customer, RiskSnapshot
from accounts.permissions import ROLE_EXECUTIVE, holds_role_q
from accounts.risk.engine import risk_recompute
from accounts.risk.tiering import tiering_run
from accounts.services.alerts import alerts_raise, risk_alert_candidates
from keyaccounts.clock import business_today
from plays.models import Play, Playbook, PlayStep
from plays.opening import plays_open_night
from plays.triggers import install_default_playbooks

PLAYS_SQL = """
INSERT INTO plays_play (customer_id, playbook_id, trigger, title, title_zh, countermeasure, priority, owner_id,
    status, opened_on, due_on, reason_code, score_at_open, band_at_open, closed_on, outcome, created_at, updated_at)
SELECT c.id, pb.id, pb.trigger, pb.name, pb.name_zh, pb.countermeasure, pb.priority, c.owner_id,
    CASE WHEN k = 1 OR (k = 2 AND c.id %% 3 = 0) THEN (CASE WHEN c.id %% 2 = 0 THEN 'open' ELSE 'in_progress' END)
         WHEN (c.id + k) %% 5 = 0 THEN 'cancelled' ELSE 'done' END,
    o.opened_on, o.opened_on + 14 + (c.id %% 20)::int, '', 20 + (c.id %% 50)::int,
    CASE WHEN c.id %% 3 = 0 THEN 'red' ELSE 'amber' END,
    CASE WHEN k = 1 OR (k = 2 AND c.id %% 3 = 0) THEN NULL ELSE o.opened_on + 10 + (c.id %% 15)::int END,
    CASE WHEN k = 1 OR (k = 2 AND c.id %% 3 = 0) THEN '' ELSE 'Benchmark outcome' END, now(), now()
FROM accounts_customer c
CROSS JOIN generate_series(1, %(per)s) AS k
JOIN (SELECT id, trigger, name, name_zh, countermeasure, priority, row_number() OVER (ORDER BY trigger) - 1 AS n
      FROM plays_playbook) pb ON pb.n = (c.id + k) %% %(playbooks)s
CROSS JOIN LATERAL (SELECT CASE WHEN k = 1 OR (k = 2 AND c.id %% 3 = 0) THEN %(today)s::date - (c.id %% 30)::int
                           ELSE %(today)s::date - 40 * k - (c.id %% 35)::int END AS opened_on) o
WHERE NOT EXISTS (SELECT 1 FROM plays_play p WHERE p.customer_id = c.id)
"""
STEPS_SQL = """
INSERT INTO plays_playstep (play_id, position, title, title_zh, role, assignee_id, due_on, done_on, done_by_id)
SELECT p.id, s, CASE s WHEN 1 THEN 'Call the main contact' ELSE 'Visit the customer' END,
    CASE s WHEN 1 THEN '致电主要联系人' ELSE '拜访客户' END, CASE s WHEN 1 THEN 'owner' ELSE 'backup' END,
    CASE s WHEN 1 THEN p.owner_id ELSE COALESCE(c.backup_owner_id, p.owner_id) END, p.opened_on + 5 * s,
    CASE WHEN p.closed_on IS NOT NULL THEN p.closed_on WHEN s = 1 AND p.id %% 2 = 0 THEN p.opened_on END,
    CASE WHEN p.closed_on IS NOT NULL OR (s = 1 AND p.id %% 2 = 0) THEN p.owner_id END
FROM plays_play p JOIN accounts_customer c ON c.id = p.customer_id CROSS JOIN generate_series(1, 2) AS s
WHERE p.id > %(after)s
"""


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class _Counter(list):
    """An execute wrapper that records each statement run through it."""

    def __call__(self, execute, sql, params, many, context):
        self.append(sql)
        return execute(sql, params, many, context)


class Command(BaseCommand):
    help = "Time the nightly opening of plays and My plays over about a million plays (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--per-customer", type=int, default=10)
        parser.add_argument("--requests", type=int, default=50)
        parser.add_argument("--skip-seed", action="store_true", help="time the plays already in the database")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
        if not Customer.objects.exists():
            raise CommandError("No customers: seed the book first (seed_demo --customers 100000).")
        today = business_today()
        if not options["skip_seed"]:
            self._seed(today, options["per_customer"])
        self._night(today)
        self._pages(options["requests"])

    def _seed(self, today, per: int) -> None:
        install_default_playbooks()
        started = time.perf_counter()
        after = Play.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        with connection.cursor() as cursor:
            cursor.execute(PLAYS_SQL, {"per": per, "playbooks": Playbook.objects.count(), "today": today})
            cursor.execute(STEPS_SQL, {"after": after})
        with connection.cursor() as cursor:  # autocommit: VACUUM runs outside a transaction
            cursor.execute("VACUUM ANALYZE plays_play")
            cursor.execute("VACUUM ANALYZE plays_playstep")
        self.stderr.write(
            f"generated: {Play.objects.count():,} plays, {PlayStep.objects.count():,} steps "
            f"in {time.perf_counter() - started:.1f} s"
        )

    def _night(self, today) -> None:
        as_of = today
        if not RiskSnapshot.objects.filter(as_of=as_of).exists():
            # The night's signs: the snapshots and alerts the opening reads (not timed).
            started = time.perf_counter()
            risk_recompute(as_of=as_of - timedelta(days=1))
            tiering_run(as_of=as_of)
            risk_recompute(as_of=as_of)
            alerts_raise(as_of=as_of, candidates=risk_alert_candidates(as_of=as_of))
            self.stderr.write(f"scored two nights and raised the alerts in {time.perf_counter() - started:.1f} s")
        for label in ("first run", "rerun"):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                opened = plays_open_night(as_of=as_of)
                elapsed = time.perf_counter() - started
            self.stdout.write(
                f"plays_open_night {label}: {elapsed * 1000:,.0f} ms, {len(queries)} queries, {opened:,} plays opened"
            )

    def _pages(self, requests: int) -> None:
        users = get_user_model().objects
        manager_id = (
            Customer.objects.values("owner_id")
            .annotate(n=Count("id"))
            .order_by("-n")
            .values_list("owner_id", flat=True)
        )[0]
        people = [
            ("account manager", users.get(pk=manager_id)),
            ("executive", users.filter(holds_role_q(ROLE_EXECUTIVE)).first()),
        ]
        # As in Django's tests: the requests keep this connection open between them.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        with override_settings(ALLOWED_HOSTS=["*"], DEBUG=False):
            for role, user in people:
                if user is None:
                    continue
                client = Client()
                client.force_login(user)
                mine = Play.objects.filter(owner=user).count()
                for status in ("open", "closed"):
                    url = f"/plays/?status={status}"
                    client.get(url)  # warm
                    queries = _Counter()
                    with connection.execute_wrapper(queries):
                        response = client.get(url)
                    if response.status_code != 200:
                        raise CommandError(f"{url} as {user}: {response.status_code}")
                    times = []
                    for _ in range(requests):
                        started = time.perf_counter()
                        client.get(url)
                        times.append((time.perf_counter() - started) * 1000)
                    self.stdout.write(
                        f"My plays {status:<6} as {role} ({user.username}, owns {mine:,} plays): "
                        f"p50 {statistics.median(times):.0f} ms, p95 {_percentile(times, 0.95):.0f} ms, "
                        f"{len(queries)} queries"
                    )
