"""Proposing a risk model from history: an L2-regularised logistic regression on signal risks
(docs/risk-method.md, "Fitting").

The coefficients of the signals (risks scaled to 0-1) become signal and factor weights that sum
to 100; a signal the history says does not raise risk gets weight 0. Band thresholds and trip-wire
bands follow from the fitting samples. The result is a proposal: a new, inactive model version an
admin reviews and activates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext as _

from .parameters import RiskError


def fit_logistic_l2(
    x: np.ndarray, y: np.ndarray, *, l2: float = 1.0, max_iter: int = 50, tol: float = 1e-8
) -> tuple[np.ndarray, float, int]:
    """Newton-Raphson on the penalised log-likelihood; the intercept is not penalised."""
    n, d = x.shape
    design = np.hstack([np.ones((n, 1)), x])
    beta = np.zeros(d + 1)
    penalty = np.eye(d + 1) * l2
    penalty[0, 0] = 0.0
    iteration = 0
    while iteration < max_iter:
        iteration += 1
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        gradient = design.T @ (y - p) - penalty @ beta
        hessian = (design * (p * (1 - p))[:, None]).T @ design + penalty
        step = np.linalg.solve(hessian, gradient)
        beta += step
        if np.max(np.abs(step)) < tol:
            break
    return beta[1:], float(beta[0]), iteration


def weights_from_coefficients(coefficients: dict[str, float], total: int = 100) -> dict[str, int]:
    """Positive coefficients become integer weights summing to `total` (largest remainder)."""
    positive = {name: max(value, 0.0) for name, value in coefficients.items()}
    mass = sum(positive.values())
    if mass <= 0:
        raise RiskError(_("No factor raises risk in this history: there is nothing to propose."), code="no_risk")
    raw = {name: total * value / mass for name, value in positive.items()}
    weights = {name: int(value) for name, value in raw.items()}
    short = total - sum(weights.values())
    for name in sorted(raw, key=lambda n: raw[n] - weights[n], reverse=True)[:short]:
        weights[name] += 1
    return weights


@dataclass
class Proposal:
    """A model fitted on history: factor weights, each factor's signal weights, band thresholds
    and the band each trip-wire forces, with the evidence behind them."""

    weights: dict[str, int]
    signal_weights: dict[str, dict[str, int]]
    bands: dict[str, float]
    tripwire_bands: dict[str, str]
    coefficients: dict[tuple[str, str], float]
    tripwire_rates: dict[str, tuple[int, float]]
    samples: int
    positives: int


def fit_signal_model(
    samples,
    *,
    signals: dict[str, list[str]],
    current_signal_weights: dict[str, dict[str, float]],
    l2: float = 1.0,
    red_share: float = 0.05,
    amber_share: float = 0.20,
) -> Proposal:
    """Fit the score's weights on the fitting samples (``backtest.Sample``) as one additive model.

    1. An L2 logistic regression of the label on every signal's risk (0-1), a missing signal
       imputed with its mean; signals whose coefficient comes out negative are dropped and the fit
       repeated, so that every weight is 0 or more (a risk that does not raise churn is not a risk).
    2. A factor's signal weights are its signals' coefficients, scaled to 100; its weight is the
       sum of their coefficients, the factor weights scaled to 100. With every signal present the
       score is then exactly the fitted linear predictor, rescaled — the ranking the fit found.
    3. Thresholds: on the fitting samples rescored with the new weights, red starts at the score
       of the riskiest ``red_share`` and amber at that of the riskiest ``amber_share``.
    4. Each trip-wire forces red where the accounts it fired on were lost at least as often as the
       red band's, amber where at least as often as the amber band's, and nothing otherwise.
    """
    labels = [s.label for s in samples]
    if not samples or len(set(labels)) < 2:
        raise RiskError(_("The history needs both churned and retained accounts to fit weights."), code="one_class")
    columns = [(factor, signal) for factor, names in signals.items() for signal in names]
    x = np.array(
        [[np.nan if s.signal_risks.get(c) is None else s.signal_risks[c] / 100 for c in columns] for s in samples]
    ).reshape(len(samples), len(columns))
    present = (~np.isnan(x)).sum(axis=0)
    means = np.where(present > 0, np.nansum(x, axis=0) / np.maximum(present, 1), 0.0)
    x = np.where(np.isnan(x), means, x)
    y = np.array(labels, dtype=float)
    keep = [i for i in range(len(columns)) if np.ptp(x[:, i]) > 0]
    coefficients = np.zeros(len(columns))
    for _round in range(len(columns) + 1):
        if not keep:
            break
        fitted, _intercept, _iterations = fit_logistic_l2(x[:, keep], y, l2=l2)
        coefficients[:] = 0.0
        coefficients[keep] = fitted
        negative = [i for i, c in zip(keep, fitted, strict=True) if c <= 0]
        if not negative:
            break
        keep = [i for i in keep if i not in negative]
    by_column = dict(zip(columns, (float(c) for c in coefficients), strict=True))
    factor_mass = {f: sum(by_column[(f, s)] for s in names) for f, names in signals.items()}
    weights = weights_from_coefficients(factor_mass)
    signal_weights = {}
    for factor, names in signals.items():
        if len(names) < 2:
            continue
        mass = {name: by_column[(factor, name)] for name in names}
        signal_weights[factor] = (
            weights_from_coefficients(mass) if sum(mass.values()) > 0 else dict(current_signal_weights[factor])
        )
    scores = np.array([rescore(s, weights, signal_weights) for s in samples])
    red = float(np.quantile(scores, 1 - red_share))
    amber = float(np.quantile(scores, 1 - amber_share))
    red, amber = round(red, 1), round(min(amber, red - 0.1), 1)
    red_rate = _rate(y, scores >= red)
    amber_rate = _rate(y, (scores >= amber) & (scores < red))
    tripwire_rates, tripwire_bands = {}, {}
    for code in sorted({t for s in samples for t in s.tripwires}):
        fired = np.array([code in s.tripwires for s in samples])
        rate = _rate(y, fired)
        tripwire_rates[code] = (int(fired.sum()), rate)
        tripwire_bands[code] = "red" if rate >= red_rate else "amber" if rate >= amber_rate else "none"
    return Proposal(
        weights=weights,
        signal_weights=signal_weights,
        bands={"amber": max(amber, 0.1), "red": max(red, 0.2)},
        tripwire_bands=tripwire_bands,
        coefficients=by_column,
        tripwire_rates=tripwire_rates,
        samples=len(samples),
        positives=int(y.sum()),
    )


def rescore(sample, weights: dict[str, float], signal_weights: dict[str, dict[str, float]]) -> float:
    """A sample's score under other weights, combined as the scorer does: each factor the weighted
    mean of its signals with data, the score the weighted mean of the factors with data."""
    total = weighted = 0.0
    for factor, weight in weights.items():
        if not weight:
            continue
        inner = signal_weights.get(factor)
        if inner is None:
            risk = sample.factor_risks.get(factor)
        else:
            present = [
                (w, sample.signal_risks.get((factor, name)))
                for name, w in inner.items()
                if w and sample.signal_risks.get((factor, name)) is not None
            ]
            mass = sum(w for w, _r in present)
            risk = sum(w * r for w, r in present) / mass if mass else None
        if risk is not None:
            total += weight
            weighted += weight * risk
    return weighted / total if total else 0.0


def _rate(y: np.ndarray, mask: np.ndarray) -> float:
    return float(y[mask].mean()) if mask.any() else 0.0
