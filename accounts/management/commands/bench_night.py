"""Time the whole night through real Celery worker processes, against a floor read the same way.

    manage.py bench_night                      # 1 and then 2 worker processes, the latest night
    manage.py bench_night --processes 1,2,4 --nights 3

Needs PostgreSQL (DATABASE_URL) with a seeded book (``bench_risk --customers 100000`` or
``seed_demo``) and Redis (REDIS_URL). For each number of worker processes it starts that many
``celery worker -c 1`` processes on a queue of its own, sends the nightly task for the latest night
scored (its rows are removed first, so every measured night is a first run, as in production, with
the night before it for hysteresis and trends), and reports the night's time end to end (sent
to result), its steps, the worker tree's peak memory (resident and proportional), and a floor:
the plain GROUP BY scans of the tables the scorer reads, shared out over as many connections as
the night had processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import deque
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections

from accounts.models import Alert, PortfolioSummary, RiskRun, RiskSnapshot

from .bench_risk import FLOOR_QUERIES

# The worker tree's memory is sampled this often; its PSS every PSS_EVERY samples (once a second).
SAMPLE_SECONDS = 0.1
PSS_EVERY = 10


class Command(BaseCommand):
    help = "Time the nightly task through 1, 2, … real Celery worker processes (PostgreSQL, Redis)."

    def add_arguments(self, parser):
        parser.add_argument("--processes", default="1,2", help="comma-separated worker process counts")
        parser.add_argument("--nights", type=int, default=1, help="nights measured per process count")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
            raise CommandError("Set DATABASE_URL=postgres://... and REDIS_URL=redis://...")
        counts = [int(n) for n in options["processes"].split(",")]
        latest = RiskSnapshot.objects.order_by("-as_of").values_list("as_of", flat=True).first()
        if latest is None:
            raise CommandError("Score a night first (recompute_risk or bench_risk).")
        night = latest
        rows = []
        for count in counts:
            for _ in range(options["nights"]):
                self._forget(night)
                rows.append(self._night(night, count))
        self.stdout.write("")
        header = f"{'processes':>9} {'night':>8} {'floor':>7} {'ratio':>6} {'peak RSS':>9} {'peak PSS':>9}"
        self.stdout.write(f"{header}  steps (s)")
        for r in rows:
            steps = ", ".join(f"{name} {seconds:.1f}" for name, seconds in r["steps"].items())
            self.stdout.write(
                f"{r['processes']:>9} {r['night']:>7.1f}s {r['floor']:>6.1f}s {r['night'] / r['floor']:>5.1f}× "
                f"{r['peak_mb']:>6.0f} MB {r['peak_pss_mb']:>6.0f} MB  {steps}"
            )
        self.stdout.write(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    def _forget(self, night: date) -> None:
        """Remove what the night wrote, so that it is measured as a first run."""
        RiskSnapshot.objects.filter(as_of__gte=night).delete()
        Alert.objects.filter(as_of__gte=night).delete()
        PortfolioSummary.objects.filter(as_of__gte=night).delete()
        RiskRun.objects.filter(as_of__gte=night).delete()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE accounts_risksnapshot")

    def _night(self, night: date, processes: int) -> dict:
        import psutil
        import redis

        from accounts import tasks
        from keyaccounts.celery import app

        queue = f"bench-night-{os.getpid()}"
        app.conf.update(task_default_queue=queue, task_always_eager=False)
        env = {**os.environ, "CELERY_QUEUE": queue}
        command = [sys.executable, "-m", "celery", "-A", "keyaccounts", "worker", "-Q", queue, "-c", "1"]
        command += ["--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--prefetch-multiplier", "1"]
        workers = [
            subprocess.Popen([*command, "-n", f"w{n}-{queue}@localhost"], env=env, cwd=settings.BASE_DIR)
            for n in range(processes)
        ]
        peak = [0, 0]  # resident set sizes summed, proportional set sizes summed
        stop = threading.Event()

        def sample() -> None:
            # RSS counts the pages a forked pool process still shares with its worker once in
            # each; PSS splits each shared page among the processes that share it, so its sum is
            # the memory the tree takes from the machine. Reading PSS walks every page of a
            # process (about 10 ms per GB, in the kernel, on the machine being measured), so it
            # is read every PSS_EVERY samples; RSS, which costs nothing, every sample.
            samples = 0
            while not stop.is_set():
                rss = pss = 0
                with_pss = samples % PSS_EVERY == 0
                for worker in workers:
                    try:
                        tree = [psutil.Process(worker.pid), *psutil.Process(worker.pid).children(recursive=True)]
                        for process in tree:
                            memory = process.memory_full_info() if with_pss else process.memory_info()
                            rss += memory.rss
                            pss += getattr(memory, "pss", memory.rss)
                    except psutil.Error:
                        pass
                peak[0] = max(peak[0], rss)
                if with_pss:
                    peak[1] = max(peak[1], pss)
                samples += 1
                time.sleep(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        try:
            time.sleep(5)  # the workers start and connect
            sampler.start()
            started = time.perf_counter()
            result = tasks.nightly_risk.delay(night.isoformat()).get(timeout=1800)
            elapsed = time.perf_counter() - started
        finally:
            stop.set()
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=60)
            redis.Redis.from_url(os.environ["REDIS_URL"]).delete(queue)
        if result["outcome"] != "succeeded":
            raise CommandError(f"The night did not succeed: {result}")
        floor = self._floor(night, processes)
        self.stderr.write(
            f"{processes} process(es): night {elapsed:.1f} s ({result['customers_scored']} customers), "
            f"floor {floor:.1f} s, peak RSS {peak[0] / 2**20:.0f} MB, PSS {peak[1] / 2**20:.0f} MB, "
            f"steps {result['steps']}"
        )
        return {
            "processes": processes,
            "night": elapsed,
            "floor": floor,
            "peak_mb": peak[0] / 2**20,
            "peak_pss_mb": peak[1] / 2**20,
            "steps": result["steps"],
        }

    def _floor(self, night: date, processes: int) -> float:
        """The floor scans, shared out over ``processes`` connections at once (threads here, one
        connection each), as the night's chunks share the reading among its processes."""
        pending = deque(FLOOR_QUERIES.values())

        def work() -> None:
            try:
                with connection.cursor() as cursor:
                    while True:
                        try:
                            sql = pending.popleft()
                        except IndexError:
                            return
                        cursor.execute(sql, {"d": night})
                        cursor.fetchall()
            finally:
                connections.close_all()

        started = time.perf_counter()
        threads = [threading.Thread(target=work) for _ in range(processes)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - started
