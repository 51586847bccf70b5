"""Replay the risk score at past month ends, out of time, and measure it against what really happened."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts.models import RiskModelVersion
from accounts.risk.engine import active_model_version
from accounts.risk.evaluation import STABILITY_DAYS, evaluate

from ._dates import parse_day


class Command(BaseCommand):
    help = (
        "Backtest the churn-risk score out of time: ROC AUC with its interval, top-k precision, lift, "
        "calibration, early warning and stability, beside the recency, RFM and purchase-factor baselines."
    )

    def add_arguments(self, parser):
        parser.add_argument("--start", required=True, help="first month to replay, YYYY-MM-DD")
        parser.add_argument("--end", required=True, help="last month to replay, YYYY-MM-DD")
        parser.add_argument("--horizon", type=int, default=180, help="days after each date to look for churn")
        parser.add_argument(
            "--test-from", help="first date of the test period, YYYY-MM-DD (default: the middle of the period)"
        )
        parser.add_argument(
            "--model-version", type=int, help="model version number to replay (default: the active one)"
        )
        parser.add_argument(
            "--stability-days",
            type=int,
            default=STABILITY_DAYS,
            help="nights replayed one after another for the weekly band changes (0: skip)",
        )

    def handle(self, *args, **options):
        start = parse_day(options["start"], name="--start")
        end = parse_day(options["end"], name="--end")
        if end < start:
            raise CommandError("--end must not be before --start.")
        if not 30 <= options["horizon"] <= 730:
            raise CommandError("--horizon must be between 30 and 730 days.")
        if not 0 <= options["stability_days"] <= 120:
            raise CommandError("--stability-days must be between 0 and 120.")
        test_from = parse_day(options["test_from"], name="--test-from") if options["test_from"] else None
        try:
            version = self._version(options["model_version"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        bar = tqdm(desc="Replaying", unit="date", file=self.stderr._out)

        def progress(done, total):
            bar.total = total
            bar.update(done - bar.n)

        try:
            report = evaluate(
                version,
                start=start,
                end=end,
                horizon_days=options["horizon"],
                test_from=test_from,
                stability_days=options["stability_days"],
                progress=progress,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        finally:
            bar.close()
        print_report(self, report)

    def _version(self, number):
        if number is None:
            return active_model_version()
        version = RiskModelVersion.objects.filter(version=number).first()
        if version is None:
            raise CommandError(f"There is no risk model version {number}.")
        return version


def pct(value):
    return "n/a" if value is None else f"{value:.1%}"


def num(value, fmt=".3f"):
    return "n/a" if value is None else format(value, fmt)


def print_report(command, r: dict) -> None:
    """The report as text, the score beside each baseline, each target with its verdict."""
    w = command.stdout.write
    style = command.style

    def verdict(ok):
        return style.SUCCESS("meets target") if ok else style.WARNING("below target")

    dates = r["dates"]
    w(
        f"Backtest of risk model v{r['version']}: test dates {dates[0]} → {dates[-1]} ({len(dates)} month ends), "
        f"fitted on {len(r['fit_dates'])} earlier month ends, horizon {r['horizon_days']} days"
    )
    components = ", ".join(f"{name.replace('_', ' ')} {count}" for name, count in r["components"].items())
    w(
        f"  samples (customer × date): {r['samples']}, lost: {r['positives']} ({components}), "
        f"base rate {pct(r['base_rate'])}"
    )
    w(f"  {'predictor':<40}{'ROC AUC':>8}  {'95% interval':<15}{'top-k prec.':>11}{'lift':>7}   AUC by component")
    for p in r["predictors"]:
        interval = f"[{num(p['auc_low'])}–{num(p['auc_high'])}]" if p["auc_low"] is not None else "n/a"
        by_component = " ".join(f"{k.split('_')[-1]} {num(v)}" for k, v in p["auc_by_component"].items())
        w(
            f"  {p['label']:<40}{num(p['auc']):>8}  {interval:<15}{pct(p['top_k_precision']):>11}"
            f"{num(p['lift'], '.2f'):>6}×   {by_component}"
        )
    score = r["predictors"][0]
    targets = r["targets"]
    w(
        f"  score ROC AUC {num(score['auc'])}: "
        f"{verdict(score['auc'] is not None and score['auc'] >= targets['auc'])} ≥ {targets['auc']}"
    )
    w(
        f"  score lift at top-k (k={r['top_k']}) {num(score['lift'], '.2f')}×: "
        f"{verdict(score['lift'] is not None and score['lift'] >= targets['lift'])} ≥ {targets['lift']}×"
    )
    early = r["early_warning"]
    w(
        f"  churned revenue flagged amber/red 90+ days ahead {pct(early['share'])} ({early['customers']} customers): "
        f"{verdict((early['share'] or 0) >= targets['early_warning'])} ≥ {targets['early_warning']:.0%}"
    )
    change = r["weekly_band_change"]
    stable = change is not None and change < targets["weekly_band_change"]
    w(
        f"  weekly band-change rate (nightly replay with hysteresis) {pct(change)}: "
        f"{verdict(stable)} < {targets['weekly_band_change']:.0%}"
    )
    w("  calibration (lost share per computed band):")
    for row in r["calibration"]:
        w(f"    {row['band']:<6} {row['samples']:>7} samples, {row['lost']:>6} lost, {pct(row['rate'])}")
    w("  factors: own AUC where they have data, coverage, mean risk lost vs retained")
    for f in r["factors"]:
        w(
            f"    {f['name']:<16} AUC {num(f['auc'])}  coverage {pct(f['coverage'])}  "
            f"{num(f['mean_lost'], '.1f')} vs {num(f['mean_retained'], '.1f')}"
        )
    for note in r["notes"]:
        w(style.WARNING(f"  Note: {note}"))
