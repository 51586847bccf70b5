"""Benchmark the import on generated files of realistic size: customers, then order lines.

    manage.py bench_import --customers 20000 --lines 1000000 [--xlsx]

Writes the files to a temporary directory, then times, for each: the check (the preview, rolled
back), the import, and importing the same file again (all unchanged). Prints rows per second and
the process's peak memory. It writes customers C9xxxxxx and orders BENCH-…: run it on a database
of its own (it refuses a database that already holds other customers unless --force).
"""

from __future__ import annotations

import csv
import random
import resource
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from accounts.models import Customer
from exchange.engine import run

INDUSTRIES = ("manufacturing", "automotive", "electronics", "chemicals", "food")
REGIONS = ("east", "north", "south", "central", "southwest")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Command(BaseCommand):
    help = "Time the import of generated customers and order lines (rows/s, peak memory)."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=20000)
        parser.add_argument("--lines", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--force", action="store_true")

    def handle(self, *args, customers, lines, seed, force, **options):
        if Customer.objects.exclude(code__startswith="C9").exists() and not force:
            raise CommandError("This database holds other customers; run on a database of its own (or --force).")
        users = get_user_model().objects
        admin = users.filter(is_superuser=True).first() or users.create_superuser("bench-admin", "", None)
        owners = [users.get_or_create(username=f"bench{i:02d}")[0].username for i in range(20)]
        random.seed(seed)
        folder = Path(tempfile.mkdtemp(prefix="bench-import-"))
        customers_file = folder / "customers.csv"
        with open(customers_file, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["code", "name", "industry", "region", "owner", "customer_since"])
            for i in range(customers):
                writer.writerow(
                    [
                        f"C9{i:06d}",
                        f"客户 {i}",
                        random.choice(INDUSTRIES),
                        random.choice(REGIONS),
                        random.choice(owners),
                        "2018-01-01",
                    ]
                )
        orders_file = folder / "orders.csv"
        start_day = date(2024, 1, 1)
        with open(orders_file, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                [
                    "order_number",
                    "customer_code",
                    "ordered_on",
                    "amount",
                    "line_no",
                    "sku",
                    "quantity_ordered",
                    "quantity_delivered",
                    "promised_on",
                    "delivered_on",
                ]
            )
            written, order = 0, 0
            while written < lines:
                order += 1
                customer = f"C9{random.randrange(customers):06d}"
                ordered = start_day + timedelta(days=random.randrange(700))
                amount = f"{random.randrange(1000, 500000)}.00"
                for line_no in range(1, random.randint(1, 5) + 1):
                    if written >= lines:
                        break
                    promised = ordered + timedelta(days=random.randrange(5, 40))
                    delivered = promised + timedelta(days=random.randrange(-5, 6))
                    quantity = random.randrange(1, 1000)
                    writer.writerow(
                        [
                            f"BENCH-{order:08d}",
                            customer,
                            ordered.isoformat(),
                            amount,
                            line_no,
                            f"SKU-{random.randrange(300):04d}",
                            quantity,
                            quantity,
                            promised.isoformat(),
                            delivered.isoformat(),
                        ]
                    )
                    written += 1
        self.stdout.write(
            f"files: {customers} customers ({customers_file.stat().st_size / 1e6:.1f} MB), {lines} order lines in "
            f"{order} orders ({orders_file.stat().st_size / 1e6:.1f} MB); database {connection.vendor}"
        )
        for kind, path, rows in (("customers", customers_file, customers), ("orders", orders_file, lines)):
            for label, apply in (("check", False), ("import", True), ("re-import", True)):
                began = time.perf_counter()
                outcome = run(kind, path, admin, apply=apply, reason="bench_import")
                seconds = time.perf_counter() - began
                if not outcome.ok:
                    raise CommandError(f"{kind} {label}: {outcome.errors[:5]}")
                counts = "; ".join(
                    f"{name} +{c['created']} ~{c['updated']} ={c['unchanged']}" for name, c in outcome.counts.items()
                )
                speed = rows / seconds
                self.stdout.write(
                    f"{kind:9} {label:9} {seconds:7.1f} s  {speed:9.0f} rows/s  peak {peak_mb():6.0f} MB  {counts}"
                )
