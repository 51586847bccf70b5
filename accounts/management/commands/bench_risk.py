"""Benchmark the nightly recompute against the floor: plain GROUP BY scans of the same tables.

    manage.py bench_risk --customers 100000            # seed, then time
    manage.py bench_risk --scaling 10000,50000,100000  # how the time grows with the data

Seeding flushes the business data first: run it on a database of its own.
"""

import time
from datetime import timedelta

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from accounts.models import Customer, RiskSnapshot
from accounts.nightly import risk_nightly
from accounts.portfolio.summaries import portfolio_summaries_refresh
from accounts.risk.engine import risk_recompute
from keyaccounts.clock import business_today

# The scans the scorer cannot do without: every table it reads, with its date filters, grouped
# by customer. %(d)s is the as-of date; windows match the longest the scorer looks back.
FLOOR_QUERIES = {
    "orders (2 years)": """
        SELECT customer_id, COUNT(*), SUM(amount), MAX(ordered_on) FROM accounts_order
        WHERE ordered_on > %(d)s::date - 730 AND ordered_on <= %(d)s GROUP BY customer_id""",
    "delivery lines (1 year)": """
        SELECT o.customer_id, COUNT(*), SUM(CASE WHEN l.delivered_on <= l.promised_on
               AND l.quantity_delivered >= l.quantity_ordered THEN 1 ELSE 0 END)
        FROM accounts_deliveryline l JOIN accounts_order o ON o.id = l.order_id
        WHERE l.promised_on > %(d)s::date - 365 AND l.promised_on <= %(d)s GROUP BY o.customer_id""",
    "contacts": """
        SELECT customer_id, department, COUNT(*), AVG(trust) FROM relationships_contact
        WHERE joined_on <= %(d)s AND (left_on IS NULL OR left_on > %(d)s) GROUP BY customer_id, department""",
    "interactions": """
        SELECT customer_id, kind, MAX(occurred_on) FROM relationships_interaction
        WHERE occurred_on <= %(d)s GROUP BY customer_id, kind""",
    "tickets (1 year)": """
        SELECT customer_id, severity, COUNT(*), AVG(satisfaction) FROM complaints_ticket
        WHERE opened_at <= %(d)s::date + 1 AND opened_at > %(d)s::date - 365 GROUP BY customer_id, severity""",
    "criteria": """
        SELECT customer_id, COUNT(*), MAX(assessed_on) FROM accounts_purchasecriterion
        WHERE assessed_on <= %(d)s GROUP BY customer_id""",
    "price benchmarks": """
        SELECT customer_id, AVG(our_price / market_average_price) FROM accounts_pricebenchmark
        WHERE observed_on <= %(d)s GROUP BY customer_id""",
    "plans, needs, incentives, cadences": """
        SELECT customer_id, MAX(reviewed_on) FROM accounts_accountplan WHERE reviewed_on <= %(d)s GROUP BY customer_id
        UNION ALL SELECT customer_id, MAX(identified_on) FROM accounts_productneed WHERE identified_on <= %(d)s
            GROUP BY customer_id
        UNION ALL SELECT customer_id, MAX(starts_on) FROM accounts_incentive WHERE starts_on <= %(d)s
            GROUP BY customer_id
        UNION ALL SELECT customer_id, MAX(starts_on) FROM relationships_cadence WHERE starts_on <= %(d)s
            GROUP BY customer_id""",
    "snapshots (30 days)": """
        SELECT customer_id, MAX(as_of) FROM accounts_risksnapshot
        WHERE as_of >= %(d)s::date - 30 AND as_of < %(d)s GROUP BY customer_id""",
}


class Command(BaseCommand):
    help = "Time the nightly risk recompute against plain GROUP BY scans (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=100_000)
        parser.add_argument("--scaling", help="comma-separated customer counts to seed and time in turn")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--skip-seed", action="store_true", help="time the data already in the database")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
        sizes = [int(n) for n in options["scaling"].split(",")] if options["scaling"] else [options["customers"]]
        if any(n < 10 for n in sizes):
            raise CommandError("Use at least 10 customers.")
        results = []
        for size in sizes:
            if not options["skip_seed"]:
                started = time.perf_counter()
                call_command("seed_demo", customers=size, seed=options["seed"], flush=True, stdout=self.stderr)
                self.stderr.write(f"seeded {size} customers in {time.perf_counter() - started:.1f} s")
            results.append(self._measure())
        self.stdout.write("")
        self.stdout.write(
            f"{'customers':>10} {'orders':>10} {'recompute':>10} {'nightly':>9} {'floor':>7} "
            f"{'ratio':>6} {'µs/customer':>12}"
        )
        for r in results:
            self.stdout.write(
                f"{r['customers']:>10} {r['orders']:>10} {r['recompute']:>9.2f}s {r['nightly']:>8.2f}s "
                f"{r['floor']:>6.2f}s {r['recompute'] / r['floor']:>5.2f}× "
                f"{1e6 * r['recompute'] / max(r['customers'], 1):>11.0f}"
            )
        if len(results) > 1:
            first, last = results[0], results[-1]
            self.stdout.write(
                f"time ×{last['recompute'] / first['recompute']:.2f} for customers "
                f"×{last['customers'] / first['customers']:.2f}"
            )

    def _measure(self) -> dict:
        as_of = business_today() - timedelta(days=1)
        # Each timed run scores a date of its own, as every night does in production: the day
        # before yesterday warms up (and gives the runs a previous night for hysteresis, trend
        # and alerts), yesterday is the timed recompute, today the timed nightly job.
        RiskSnapshot.objects.filter(as_of__gte=as_of - timedelta(days=1)).delete()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
            cursor.execute("SELECT COUNT(*) FROM accounts_order")
            orders = cursor.fetchone()[0]
        customers = Customer.objects.active().count()
        risk_recompute(as_of=as_of - timedelta(days=1))
        started = time.perf_counter()
        result = risk_recompute(as_of=as_of)
        recompute = time.perf_counter() - started
        started = time.perf_counter()
        risk_nightly(as_of=as_of + timedelta(days=1))
        nightly = time.perf_counter() - started
        # The dashboard's summaries, the night's step after the risk job (accounts.nightly.nightly_jobs).
        started = time.perf_counter()
        portfolio_summaries_refresh(as_of=as_of + timedelta(days=1))
        summaries = time.perf_counter() - started
        floor = 0.0
        with connection.cursor() as cursor:
            for name, sql in FLOOR_QUERIES.items():
                started = time.perf_counter()
                cursor.execute(sql, {"d": as_of})
                cursor.fetchall()
                elapsed = time.perf_counter() - started
                floor += elapsed
                self.stderr.write(f"  floor: {name:<36} {elapsed:6.2f} s")
        self.stderr.write(
            f"  recompute {recompute:.2f} s for {result.customers_scored} customers, "
            f"nightly (tiering + scoring + alerts) {nightly:.2f} s, "
            f"then the dashboard's summaries {summaries:.2f} s, floor {floor:.2f} s"
        )
        return {"customers": customers, "orders": orders, "recompute": recompute, "nightly": nightly, "floor": floor}
