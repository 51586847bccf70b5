"""Replay the risk score at past month ends and measure it against what really happened."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts.risk.backtest import band_change_rate, run_backtest
from accounts.risk.engine import active_model_version, risk_score
from keyaccounts.clock import business_today

from ._dates import parse_day

TARGETS = {"auc": 0.75, "lift": 3.0, "flagged": 0.60, "weekly_change": 0.05}


def score_rows(day, version):
    for s in risk_score(as_of=day, model_version=version):
        yield s.customer_id, s.score, s.computed_band, s.factors, s.revenue_12m


class Command(BaseCommand):
    help = "Backtest the churn-risk score: ROC AUC, top-k precision, lift, early warning, stability."

    def add_arguments(self, parser):
        parser.add_argument("--start", required=True, help="first month to replay, YYYY-MM-DD")
        parser.add_argument("--end", required=True, help="last month to replay, YYYY-MM-DD")
        parser.add_argument("--horizon", type=int, default=180, help="days after each date to look for churn")

    def handle(self, *args, **options):
        start = parse_day(options["start"], name="--start")
        end = parse_day(options["end"], name="--end")
        if end < start:
            raise CommandError("--end must not be before --start.")
        if not 30 <= options["horizon"] <= 730:
            raise CommandError("--horizon must be between 30 and 730 days.")
        try:
            version = active_model_version()
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        bar = tqdm(desc="Replaying", unit="month", file=self.stderr._out)

        def progress(done, total):
            bar.total = total
            bar.update(done - bar.n)

        try:
            report, _ = run_backtest(
                start=start,
                end=end,
                horizon_days=options["horizon"],
                score_as_of=lambda day: score_rows(day, version),
                data_end=business_today(),
                progress=progress,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        finally:
            bar.close()
        weeks = [end - timedelta(days=7 * i) for i in range(8, -1, -1)]
        report.weekly_band_change_rate = band_change_rate(
            [{row[0]: row[2] for row in score_rows(day, version)} for day in weeks]
        )
        self._print(report, version)

    def _print(self, r, version):
        def pct(value):
            return "n/a" if value is None else f"{value:.1%}"

        def num(value, fmt=".3f"):
            return "n/a" if value is None else format(value, fmt)

        def verdict(ok):
            return self.style.SUCCESS("meets target") if ok else self.style.WARNING("below target")

        w = self.stdout.write
        w(
            f"Backtest of risk model v{version.version}: {r.start} → {r.end}, {len(r.dates)} monthly replays, "
            f"horizon {r.horizon_days} days"
        )
        w(f"  samples (customer × date): {r.samples}, lost: {r.positives}, base rate {pct(r.base_rate)}")
        w(
            f"  ROC AUC                 {num(r.auc)}   (purchase trend alone: {num(r.baseline_auc)})   "
            f"{verdict(r.auc is not None and r.auc >= TARGETS['auc'])} ≥ {TARGETS['auc']}"
        )
        w(
            f"  top-k precision (k={r.top_k}) {pct(r.top_k_precision)}   "
            f"(purchase trend alone: {pct(r.baseline_top_k_precision)})"
        )
        w(
            f"  lift over base rate     {num(r.lift, '.2f')}×   "
            f"{verdict(r.lift is not None and r.lift >= TARGETS['lift'])} ≥ {TARGETS['lift']}×"
        )
        w(
            f"  churned revenue flagged amber/red 90+ days ahead {pct(r.churned_revenue_flagged_90d)}   "
            f"{verdict((r.churned_revenue_flagged_90d or 0) >= TARGETS['flagged'])} ≥ {TARGETS['flagged']:.0%}"
        )
        w(
            f"  weekly band-change rate (last 8 weeks) {pct(r.weekly_band_change_rate)}   "
            f"{verdict(r.weekly_band_change_rate is not None and r.weekly_band_change_rate < TARGETS['weekly_change'])}"
            f" < {TARGETS['weekly_change']:.0%}"
        )
        w("  mean contribution (points) per factor: lost vs retained")
        for name, (lost, kept) in sorted(r.factor_means.items(), key=lambda kv: -(kv[1][0] - kv[1][1])):
            w(f"    {name:<16} {lost:6.1f}  vs {kept:6.1f}")
        if r.auc is not None and r.baseline_auc is not None and r.auc <= r.baseline_auc:
            w(self.style.WARNING("  Finding: the full score does not beat the purchase-trend factor alone."))
        for note in r.notes:
            w(self.style.WARNING(f"  Note: {note}"))
