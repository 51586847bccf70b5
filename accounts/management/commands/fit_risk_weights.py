"""Fit the risk model's weights on earlier dates, judge them on later ones, and save them as a new,
inactive model version (docs/risk-method.md, "Fitting")."""

import copy

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Max

from accounts.models import RiskModelVersion
from accounts.risk.backtest import collect_samples
from accounts.risk.defaults import FACTORS
from accounts.risk.engine import active_model_version, risk_score
from accounts.risk.evaluation import evaluate, split_dates
from accounts.risk.fitting import fit_signal_model
from accounts.risk.parameters import validate_model
from keyaccounts.clock import business_today

from ._dates import parse_day
from .backtest_risk import num, pct


class Command(BaseCommand):
    help = (
        "Fit factor and signal weights, band thresholds and trip-wire bands on earlier dates, measure them on "
        "later dates beside the current version, and save them as a new, inactive model version."
    )

    def add_arguments(self, parser):
        parser.add_argument("--start", required=True, help="first month to replay, YYYY-MM-DD")
        parser.add_argument("--end", required=True, help="last month to replay, YYYY-MM-DD")
        parser.add_argument("--horizon", type=int, default=180, help="days after each date to look for churn")
        parser.add_argument(
            "--test-from", help="first date of the test period, YYYY-MM-DD (default: the middle of the period)"
        )
        parser.add_argument("--l2", type=float, default=1.0, help="regularisation strength")
        parser.add_argument("--red-share", type=float, default=0.05, help="share of accounts the red band should hold")
        parser.add_argument(
            "--amber-share", type=float, default=0.20, help="share of accounts amber or red should hold"
        )
        parser.add_argument(
            "--stability-days", type=int, default=0, help="nights replayed for the weekly band changes (0: skip)"
        )
        parser.add_argument("--dry-run", action="store_true", help="print the proposal, save nothing")

    def handle(self, *args, **options):
        start, end = parse_day(options["start"], name="--start"), parse_day(options["end"], name="--end")
        if end < start:
            raise CommandError("--end must not be before --start.")
        if not 30 <= options["horizon"] <= 730:
            raise CommandError("--horizon must be between 30 and 730 days.")
        if options["l2"] < 0:
            raise CommandError("--l2 must not be negative.")
        if not 0 < options["red_share"] < options["amber_share"] < 1:
            raise CommandError("The shares must satisfy 0 < --red-share < --amber-share < 1.")
        test_from = parse_day(options["test_from"], name="--test-from") if options["test_from"] else None
        horizon = options["horizon"]
        try:
            current = active_model_version()
            merged = validate_model(weights=current.weights, parameters=current.parameters)
            split = split_dates(
                start=start, end=end, horizon_days=horizon, test_from=test_from, data_end=business_today()
            )
            if not split.fit:
                raise CommandError(
                    "No replay date ends its horizon before the test period: start earlier or move --test-from later."
                )
            samples = collect_samples(
                dates=split.fit,
                horizon_days=horizon,
                score_as_of=lambda day: risk_score(as_of=day, model_version=current),
            )
            signals = {
                factor: sorted({signal for s in samples for (f, signal) in s.signal_risks if f == factor})
                for factor in FACTORS
            }
            current_signal_weights = {
                factor: merged[factor].get("signal_weights", {}) for factor in FACTORS if len(signals[factor]) > 1
            }
            proposal = fit_signal_model(
                samples,
                signals=signals,
                current_signal_weights=current_signal_weights,
                l2=options["l2"],
                red_share=options["red_share"],
                amber_share=options["amber_share"],
            )
            parameters = copy.deepcopy(merged)
            for factor, weights in proposal.signal_weights.items():
                parameters[factor]["signal_weights"] = {
                    **{name: 0 for name in parameters[factor]["signal_weights"]},
                    **weights,
                }
            parameters["bands"].update(proposal.bands)
            parameters["tripwires"]["bands"].update(proposal.tripwire_bands)
            validate_model(weights=proposal.weights, parameters=parameters)
            number = (RiskModelVersion.objects.aggregate(m=Max("version"))["m"] or 0) + 1
            proposed = RiskModelVersion(
                version=number, is_active=False, weights=proposal.weights, parameters=parameters
            )
            self._print_fit(proposal, current, merged)
            reports = [
                evaluate(
                    version,
                    start=start,
                    end=end,
                    horizon_days=horizon,
                    test_from=split.test[0],
                    stability_days=options["stability_days"],
                )
                for version in (current, proposed)
            ]
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        summary = self._print_comparison(reports, split)
        if options["dry_run"]:
            return
        with transaction.atomic():
            proposed.version = (RiskModelVersion.objects.aggregate(m=Max("version"))["m"] or 0) + 1
            proposed.notes = (
                f"Fitted by fit_risk_weights (l2={options['l2']}, red share {options['red_share']}, amber share "
                f"{options['amber_share']}) on {len(split.fit)} month ends {split.fit[0]}..{split.fit[-1]}, "
                f"{proposal.samples} samples ({proposal.positives} lost), horizon {horizon} days. "
                f"Out of time on {split.test[0]}..{split.test[-1]}: {summary}. Activate it in admin to use it."
            )
            proposed.save()
        self.stdout.write(self.style.SUCCESS(f"Saved as inactive model version v{proposed.version}."))

    def _print_fit(self, proposal, current, merged):
        w = self.stdout.write
        w(f"Fitted on {proposal.samples} samples ({proposal.positives} lost) of the fitting dates.")
        w(f"{'factor / signal':<40}{'coefficient':>12}{'current':>9}{'proposed':>10}")
        for factor in FACTORS:
            w(f"{factor:<40}{'':>12}{current.weights.get(factor, 0):>9}{proposal.weights.get(factor, 0):>10}")
            inner = proposal.signal_weights.get(factor, {})
            for (f, signal), coefficient in proposal.coefficients.items():
                if f == factor:
                    now = merged[factor].get("signal_weights", {}).get(signal, "")
                    w(f"  {signal:<38}{coefficient:>12.3f}{now:>9}{inner.get(signal, ''):>10}")
        bands = merged["bands"]
        w(f"Bands: amber {bands['amber']} → {proposal.bands['amber']}, red {bands['red']} → {proposal.bands['red']}")
        for code, (fired, rate) in proposal.tripwire_rates.items():
            w(
                f"Trip-wire {code}: fired on {fired} samples, {rate:.1%} lost → forces "
                f"{proposal.tripwire_bands[code]} (was {merged['tripwires']['bands'].get(code)})"
            )

    def _print_comparison(self, reports, split) -> str:
        w = self.stdout.write
        w(f"Out of time, on the test dates {split.test[0]} → {split.test[-1]}:")
        w(f"  {'':<22}{'current':>26}{'proposed':>26}")
        rows = []
        for report in reports:
            score = report["predictors"][0]
            rows.append(
                {
                    "ROC AUC [95%]": f"{num(score['auc'])} [{num(score['auc_low'])}–{num(score['auc_high'])}]",
                    "top-k precision": pct(score["top_k_precision"]),
                    "lift": f"{num(score['lift'], '.2f')}×",
                    "early warning": pct(report["early_warning"]["share"]),
                    "weekly band change": pct(report["weekly_band_change"]),
                }
            )
        for key in rows[0]:
            w(f"  {key:<22}{rows[0][key]:>26}{rows[1][key]:>26}")
        for p in reports[0]["predictors"][1:]:
            w(f"  baseline {p['label']}: AUC {num(p['auc'])}")
        current_auc, proposed_auc = (r["predictors"][0]["auc"] for r in reports)
        return f"AUC {num(proposed_auc)} vs {num(current_auc)} for the active version"
