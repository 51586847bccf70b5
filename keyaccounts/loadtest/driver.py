"""The Django side of bin/load-test: ``python -m keyaccounts.loadtest.driver <step> ...``.

- ``prepare``: demo data once (seed_demo when the database has no customers, or with --flush),
  checks that each account manager the test signs in as owns customers, clears their failed-login
  records, and scores yesterday if it was not, so the night run under load is one night's work.
- ``worker-ready``: waits for a Celery worker to answer on the queue.
- ``nightly``: after a delay, sends the nightly task to the worker, waits for it and writes its
  runs (RiskRun rows of the task) as JSON.
- ``report``: locust's stats, the confirmed writes against those stored (found by their
  markers), the night run and the load average; exit status 1 if anything failed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

MARKER = r"load-{run}-[a-z0-9]+-[iet]\d+"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keyaccounts.settings")
    import django

    django.setup()


# prepare -----------------------------------------------------------------------------------------


def prepare(args) -> int:
    from axes.models import AccessAttempt
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db.models import Count, Q

    from accounts.demo.users import manager_count
    from accounts.models import Customer, RiskRun
    from accounts.nightly import nightly_jobs
    from keyaccounts.clock import business_today

    managers = [name for name in args.managers.split(",") if name]
    if args.flush or not Customer.objects.exists():
        print(f"Seeding demo data: {args.customers} customers, {max(len(managers), 8)}+ account managers…")
        started = time.monotonic()
        call_command(
            "seed_demo",
            customers=args.customers,
            managers=max(len(managers), manager_count(args.customers)),
            seed=args.seed,
            flush=args.flush,
            verbosity=0,
        )
        print(f"  seeded in {time.monotonic() - started:.0f} s")
    owned = dict(
        get_user_model()
        .objects.filter(username__in=managers)
        .annotate(n=Count("owned_customers", filter=Q(owned_customers__status="active")))
        .values_list("username", "n")
    )
    missing = [name for name in managers if not owned.get(name)]
    if missing:
        print(
            f"These account managers do not exist or own no active customer here: {', '.join(missing)}.\n"
            "The load test signs in as each of them. Use an empty database (it is seeded), or --flush to "
            "replace this database's business data with demo data.",
            file=sys.stderr,
        )
        return 2
    AccessAttempt.objects.filter(username__in=managers).delete()
    counts = sorted(owned.values())
    print(
        f"{Customer.objects.count():,} customers; the {len(managers)} account managers signing in own "
        f"{counts[0]}–{counts[-1]} active customers each."
    )
    yesterday = business_today() - timedelta(days=1)
    nightly = RiskRun.objects.filter(job=RiskRun.Job.NIGHTLY, outcome=RiskRun.Outcome.SUCCEEDED)
    if not nightly.filter(as_of=yesterday).exists():
        # Otherwise the night under load would also catch up the missed nights before it.
        started = time.monotonic()
        result = nightly_jobs(as_of=yesterday)
        print(f"Scored yesterday ({yesterday}) first, in {time.monotonic() - started:.0f} s: {result.message}")
        if result.outcome != RiskRun.Outcome.SUCCEEDED:
            return 1
    return 0


# worker-ready, nightly -------------------------------------------------------------------------


def worker_ready(args) -> int:
    from keyaccounts.celery import app

    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if app.control.ping(timeout=1.0):
            return 0
        time.sleep(0.5)
    print(f"No Celery worker answered within {args.timeout} s.", file=sys.stderr)
    return 1


def nightly(args) -> int:
    from accounts.models import RiskRun
    from accounts.tasks import nightly_risk

    time.sleep(args.delay)
    sent_at = time.time()
    result = nightly_risk.delay()
    outcome = {"task_id": result.id, "sent_at": sent_at}
    try:
        outcome["result"] = result.get(timeout=args.timeout, propagate=False)
        outcome["state"] = result.state
    except Exception as exc:  # a timeout: the report says so
        outcome["state"] = f"not finished: {type(exc).__name__}"
    outcome["done_at"] = time.time()
    runs = RiskRun.objects.filter(task_id=result.id, job=RiskRun.Job.NIGHTLY).order_by("started_at")
    outcome["runs"] = [
        {
            "as_of": run.as_of.isoformat(),
            "outcome": run.outcome,
            "customers_scored": run.customers_scored,
            "started_at": run.started_at.timestamp(),
            "finished_at": run.finished_at.timestamp() if run.finished_at else None,
            "message": run.message,
        }
        for run in runs
    ]
    Path(args.out).write_text(json.dumps(outcome, default=str, indent=1))
    return 0


# report --------------------------------------------------------------------------------------------


def stored_writes(run: str) -> dict[str, list[str]]:
    """The markers of this run's writes as stored: one entry per row (a repeat is a duplicate)."""
    from complaints.models import Ticket
    from relationships.models import Interaction

    prefix = f"load-{run}-"
    edit = re.compile(r"edit:(" + MARKER.format(run=re.escape(run)) + ")")
    interactions = Interaction.objects.filter(subject__startswith=prefix)
    return {
        "interactions": list(interactions.values_list("subject", flat=True)),
        "interaction_edits": [m for notes in interactions.values_list("notes", flat=True) for m in edit.findall(notes)],
        "tickets": list(Ticket.objects.filter(subject__startswith=prefix).values_list("subject", flat=True)),
    }


def compare_writes(confirmed: dict[str, list[str]], stored: dict[str, list[str]]) -> dict[str, dict]:
    """Per kind: confirmed, stored, lost (confirmed, not stored), duplicated, stored unconfirmed."""
    compared = {}
    for kind in ("interactions", "interaction_edits", "tickets"):
        told, kept = set(confirmed.get(kind, [])), Counter(stored.get(kind, []))
        compared[kind] = {
            "confirmed": len(told),
            "stored": len(kept),
            "lost": sorted(told - set(kept)),
            "duplicated": sorted(m for m, n in kept.items() if n > 1),
            # Sent as the test stopped: stored, the answer not awaited. Not an error.
            "unconfirmed": sorted(set(kept) - told),
        }
    return compared


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile: the smallest value with at least p% of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else float("nan")


def log_errors(path: Path, pattern: str) -> list[str]:
    if not path.exists():
        return []
    return [line.rstrip() for line in path.read_text(errors="replace").splitlines() if re.search(pattern, line)]


def _timing_line(label: str, width: int, times: list[float], failed: int) -> str:
    figures = " ".join(f"{percentile(times, p):>6.0f}" for p in (50, 95, 99)) + f" {max(times, default=0):>6.0f}"
    return f"  {label:<{width}} {len(times):>8} {failed:>5} {figures}"


def report(args) -> int:
    out = Path(args.out)
    problems = []
    results_file = out / "results.json"
    if not results_file.exists():
        print(f"\nNo results from locust ({results_file}); see {out / 'locust.log'}.")
        return 1
    results = json.loads(results_file.read_text())
    times, failures = results["times"], results["failures"]
    failed = {key: sum(errors.values()) for key, errors in failures.items()}
    signing_in = [key for key in times if key.endswith(" login")]
    working = [key for key in sorted(times, key=lambda k: (k.split(" ", 1)[1], k)) if key not in signing_in]

    print(
        f"\nLoad test {args.run}: {args.users} account managers for {args.duration} s, {args.workers} gunicorn workers"
    )
    width = max([len(key) for key in times] + [len("all but sign-in")])
    print(f"\n  {'request':<{width}} {'count':>8} {'fail':>5} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>6} ms")
    for key in [*working, *signing_in]:
        print(_timing_line(key, width, times[key], failed.get(key, 0)))
    work = [t for key in working for t in times[key]]
    every = [t for values in times.values() for t in values]
    print(_timing_line("all but sign-in", width, work, sum(failed.get(k, 0) for k in working)))
    print(_timing_line("all", width, every, sum(failed.values())))
    span = results["span"]
    seconds = span[1] - span[0] if span else 0
    requests, failed_total = len(every), sum(failed.values())
    rate = requests / seconds if seconds else 0
    print(
        f"\n  {requests:,} requests in {seconds:.0f} s, {failed_total} failed, {rate:.1f} req/s; without the "
        f"sign-in: p50 {percentile(work, 50):.0f} ms, p95 {percentile(work, 95):.0f} ms, "
        f"p99 {percentile(work, 99):.0f} ms"
    )
    if not requests:
        problems.append("no request was made")
    if failed_total:
        problems.append(f"{failed_total} requests failed")
        for key, errors in failures.items():
            for error, count in errors.items():
                print(f"    {key}: {error} ×{count}")
    if results["server_errors"]:
        problems.append(f"{sum(results['server_errors'].values())} answers 500 or above: {results['server_errors']}")
    server_errors = log_errors(out / "gunicorn.log", r"Internal Server Error|\[CRITICAL\]|WORKER TIMEOUT|Traceback")
    worker_errors = log_errors(out / "worker.log", r"ERROR/|CRITICAL/|Traceback")
    for name, lines in (("web server log", server_errors), ("worker log", worker_errors)):
        if lines:
            problems.append(f"{len(lines)} error lines in the {name}")
            print(f"  {name}: " + "\n    ".join(lines[:10]))

    signed_in = results.get("signed_in", [])
    print(f"  {len(signed_in)} of {args.users} account managers signed in, one login each")
    if len(set(signed_in)) != args.users:
        problems.append(f"{len(set(signed_in))} of {args.users} account managers signed in")

    compared = compare_writes(results["confirmed"], stored_writes(args.run))
    print("\n  writes              confirmed   stored   lost   duplicated   stored, unconfirmed")
    for kind, c in compared.items():
        print(
            f"  {kind:<19} {c['confirmed']:>9} {c['stored']:>8} {len(c['lost']):>6} {len(c['duplicated']):>12} "
            f"{len(c['unconfirmed']):>21}"
        )
        if c["lost"]:
            problems.append(f"{len(c['lost'])} confirmed {kind} lost, e.g. {c['lost'][:3]}")
        if c["duplicated"]:
            problems.append(f"{len(c['duplicated'])} {kind} stored twice, e.g. {c['duplicated'][:3]}")
    if not sum(c["confirmed"] for c in compared.values()):
        problems.append("no write was confirmed")
    per_user = Counter(m.split("-")[2] for markers in results["confirmed"].values() for m in markers)
    if per_user:
        writers = [per_user.get(name, 0) for name in signed_in] or [0]
        print(f"  confirmed writes per account manager: {min(writers)}–{max(writers)} ({len(per_user)} wrote)")

    problems += _report_nightly(out / "nightly.json", args)
    _forget_queue(args.queue)
    load = os.getloadavg()
    print(f"\n  load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
    if problems:
        print("\nFAILED: " + "; ".join(problems))
        return 1
    print("\nPASSED: no failed request, no server error, no lost write, the nightly run succeeded.")
    return 0


def _forget_queue(queue: str) -> None:
    """Remove the run's queue bindings from Redis (the queue itself is gone once empty)."""
    if not queue:
        return
    from keyaccounts.celery import app

    with app.connection_for_write() as connection:
        client = connection.default_channel.client
        client.delete(f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


def _report_nightly(path: Path, args) -> list[str]:
    if not path.exists():
        return ["the nightly run was not triggered or not waited for"]
    night = json.loads(path.read_text())
    runs = night.get("runs", [])
    print(f"\n  nightly task {night['task_id']}: {night.get('state')}")
    for run in runs:
        finished = run["finished_at"]
        took = f"{finished - run['started_at']:.1f} s" if finished else "not finished"
        start = datetime.fromtimestamp(run["started_at"], tz=UTC).strftime("%H:%M:%S UTC")
        print(
            f"    {run['as_of']}: {run['outcome']}, {run['customers_scored']:,} customers scored, started {start}, "
            f"took {took}; {run['message']}"
        )
        if args.load_end and finished:
            during = run["started_at"] >= args.load_start and finished <= args.load_end
            print(
                "    ran while the users worked"
                if during
                else f"    finished {finished - args.load_end:+.0f} s after the users stopped"
            )
    print(f"    task sent to done: {night['done_at'] - night['sent_at']:.1f} s")
    if not runs or runs[-1]["outcome"] != "succeeded":
        return [f"the nightly run did not succeed ({runs[-1]['outcome'] if runs else night.get('state')})"]
    failed = [r["as_of"] for r in runs if r["outcome"] != "succeeded"]
    return [f"nightly runs of {failed} did not succeed"] if failed else []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m keyaccounts.loadtest.driver", description=__doc__.split("\n")[0])
    steps = parser.add_subparsers(dest="step", required=True)
    p = steps.add_parser("prepare")
    p.add_argument("--customers", type=int, default=3000)
    p.add_argument("--managers", required=True, help="comma-separated usernames the users sign in as")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--flush", action="store_true")
    p = steps.add_parser("worker-ready")
    p.add_argument("--timeout", type=float, default=60)
    p = steps.add_parser("nightly")
    p.add_argument("--delay", type=float, default=15)
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument("--out", required=True)
    p = steps.add_parser("report")
    p.add_argument("--out", required=True, help="the folder with results.json, nightly.json and the logs")
    p.add_argument("--run", required=True)
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--duration", type=int, default=120)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--load-start", type=float, default=0)
    p.add_argument("--load-end", type=float, default=0)
    p.add_argument("--queue", default="", help="the run's Celery queue, whose bindings are then removed")
    args = parser.parse_args(argv)
    _setup()
    step = {"prepare": prepare, "worker-ready": worker_ready, "nightly": nightly, "report": report}[args.step]
    return step(args)


if __name__ == "__main__":
    sys.exit(main())
