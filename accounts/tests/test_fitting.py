from types import SimpleNamespace

import numpy as np
import pytest
from django.core.exceptions import ValidationError

from accounts.risk.fitting import fit_logistic_l2, fit_signal_model, weights_from_coefficients


def test_logistic_fit_recovers_the_direction_of_a_known_model():
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 1, size=(4000, 2))
    true = 1 / (1 + np.exp(-(-3 + 5 * x[:, 0] + 0 * x[:, 1])))
    y = (rng.uniform(size=4000) < true).astype(float)
    coefficients, intercept, _ = fit_logistic_l2(x, y, l2=0.1)
    assert 4 < coefficients[0] < 6
    assert abs(coefficients[1]) < 0.6
    assert -3.6 < intercept < -2.4


def test_stronger_penalty_shrinks_coefficients():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, size=(500, 1))
    y = (x[:, 0] > 0.5).astype(float)
    weak, _, _ = fit_logistic_l2(x, y, l2=0.01)
    strong, _, _ = fit_logistic_l2(x, y, l2=100)
    assert abs(strong[0]) < abs(weak[0])


def test_weights_sum_to_100_and_drop_factors_that_lower_risk():
    weights = weights_from_coefficients({"a": 3.0, "b": 1.0, "c": -2.0})
    assert weights == {"a": 75, "b": 25, "c": 0}
    assert sum(weights_from_coefficients({"a": 1.0, "b": 1.0, "c": 1.0}).values()) == 100


def test_no_positive_coefficient_is_refused():
    with pytest.raises(ValidationError, match="nothing to propose"):
        weights_from_coefficients({"a": -1.0, "b": 0.0})


def _sample(trend, price, label):
    return SimpleNamespace(
        signal_risks={("purchase_trend", "order_lapse"): trend, ("price", "price_vs_market"): price},
        factor_risks={"purchase_trend": trend, "price": price},
        tripwires=[],
        label=label,
    )


def test_the_signal_fit_imputes_missing_signals_and_needs_both_labels():
    samples = [_sample(90, None, 1), _sample(10, 50, 0)] * 50
    signals = {"purchase_trend": ["order_lapse"], "price": ["price_vs_market"]}
    proposal = fit_signal_model(samples, signals=signals, current_signal_weights={})
    assert proposal.weights["purchase_trend"] > proposal.weights["price"]
    assert sum(proposal.weights.values()) == 100
    with pytest.raises(ValidationError, match="both churned and retained"):
        fit_signal_model([_sample(90, None, 1)] * 100, signals=signals, current_signal_weights={})
