"""Proposing risk weights from history: an L2-regularised logistic regression on factor risks
(docs/risk-method.md, "Fitting").

The coefficients of the factors (risks scaled to 0-1) are turned into weights that sum to 100;
a factor the history says does not raise risk gets weight 0. The result is a proposal: a new,
inactive model version an admin reviews and activates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext as _

from .parameters import RiskError


@dataclass
class Fit:
    factors: list[str]
    coefficients: dict[str, float]
    intercept: float
    weights: dict[str, int]
    samples: int
    positives: int
    iterations: int


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


def fit_weights(rows: list[dict[str, float | None]], labels: list[int], *, factors: list[str], l2: float = 1.0) -> Fit:
    """Fit on factor risks (0-100, None where the factor had no data: imputed with its mean)."""
    if not rows or len(set(labels)) < 2:
        raise RiskError(_("The history needs both churned and retained accounts to fit weights."), code="one_class")
    x = np.array([[np.nan if r.get(f) is None else float(r[f]) / 100 for f in factors] for r in rows])
    means = np.nan_to_num(np.nanmean(x, axis=0), nan=0.0)
    x = np.where(np.isnan(x), means, x)
    y = np.array(labels, dtype=float)
    coefficients, intercept, iterations = fit_logistic_l2(x, y, l2=l2)
    by_name = dict(zip(factors, (float(c) for c in coefficients), strict=True))
    return Fit(factors, by_name, intercept, weights_from_coefficients(by_name), len(rows), int(y.sum()), iterations)
