"""Propose new risk weights from history: an L2 logistic regression on the factor risks."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Max

from accounts.models import RiskModelVersion
from accounts.risk.backtest import roc_auc, run_backtest
from accounts.risk.defaults import FACTORS
from accounts.risk.engine import active_model_version, risk_score
from accounts.risk.fitting import fit_weights
from keyaccounts.clock import business_today

from ._dates import parse_day


class Command(BaseCommand):
    help = "Fit factor weights on replayed history and save them as a new, inactive model version."

    def add_arguments(self, parser):
        parser.add_argument("--start", required=True)
        parser.add_argument("--end", required=True)
        parser.add_argument("--horizon", type=int, default=180)
        parser.add_argument("--l2", type=float, default=1.0, help="regularisation strength")
        parser.add_argument("--dry-run", action="store_true", help="print the proposal, save nothing")

    def handle(self, *args, **options):
        start, end = parse_day(options["start"], name="--start"), parse_day(options["end"], name="--end")
        if end < start:
            raise CommandError("--end must not be before --start.")
        if options["l2"] < 0:
            raise CommandError("--l2 must not be negative.")
        try:
            current = active_model_version()

            def rows(day):
                for s in risk_score(as_of=day, model_version=current):
                    yield s.customer_id, s.score, s.computed_band, s.factors, s.revenue_12m

            report, samples = run_backtest(
                start=start, end=end, horizon_days=options["horizon"], score_as_of=rows, data_end=business_today()
            )
            fit = fit_weights(
                [s.factor_risks for s in samples], [s.label for s in samples], factors=list(FACTORS), l2=options["l2"]
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        proposed_scores = []
        for s in samples:
            present = {f: r for f, r in s.factor_risks.items() if r is not None and fit.weights.get(f)}
            weight = sum(fit.weights[f] for f in present)
            proposed_scores.append(sum(fit.weights[f] * r for f, r in present.items()) / weight if weight else 0.0)
        proposed_auc = roc_auc(proposed_scores, [s.label for s in samples])
        self.stdout.write(f"Fitted on {fit.samples} samples ({fit.positives} lost), {fit.iterations} iterations.")
        self.stdout.write(f"{'factor':<16}{'coefficient':>12}{'current':>9}{'proposed':>10}")
        for name in FACTORS:
            self.stdout.write(
                f"{name:<16}{fit.coefficients[name]:>12.3f}{current.weights.get(name, 0):>9}{fit.weights[name]:>10}"
            )
        self.stdout.write(f"In-sample ROC AUC: current {report.auc or 0:.3f}, proposed {proposed_auc or 0:.3f}")
        if options["dry_run"]:
            return
        with transaction.atomic():
            number = (RiskModelVersion.objects.aggregate(m=Max("version"))["m"] or 0) + 1
            version = RiskModelVersion.objects.create(
                version=number,
                is_active=False,
                weights=fit.weights,
                parameters=current.parameters,
                notes=(
                    f"Proposed by an L2 logistic fit (l2={options['l2']}) on {start}..{end}, horizon "
                    f"{options['horizon']} days: {fit.samples} samples. In-sample AUC {proposed_auc or 0:.3f} "
                    f"vs {report.auc or 0:.3f} for v{current.version}. Activate it in admin to use it."
                ),
            )
        self.stdout.write(self.style.SUCCESS(f"Saved as inactive model version v{version.version}."))
