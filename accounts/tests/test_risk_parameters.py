"""The model's parameters as a run reads them: frozen, complete, typed as stored, grids sorted."""

import copy
import dataclasses

import pytest

from accounts.risk.defaults import DEFAULT_PARAMETERS, DEFAULT_WEIGHTS, FACTORS
from accounts.risk.parameters import Grid, RiskModelError, RiskParameters


def test_every_default_parameter_has_a_field_and_every_field_a_default():
    sections = {f.name: f.type for f in dataclasses.fields(RiskParameters)}
    sections.pop("weights"), sections.pop("total_weight")
    assert set(sections) == set(DEFAULT_PARAMETERS)
    for name, section in sections.items():
        assert [f.name for f in dataclasses.fields(section)] == list(DEFAULT_PARAMETERS[name]), name


def test_the_parameters_cannot_be_changed_during_a_run():
    parameters = RiskParameters.of(weights=DEFAULT_WEIGHTS, parameters=None)

    with pytest.raises(dataclasses.FrozenInstanceError):
        parameters.bands.amber = 10
    with pytest.raises(TypeError):
        parameters.quality.signal_weights["satisfaction"] = 100
    with pytest.raises(TypeError):
        parameters.weights["price"] = 0


def test_numbers_keep_the_type_the_json_gave_them():
    parameters = RiskParameters.of(weights=DEFAULT_WEIGHTS, parameters={"relationship": {"key_person_left_risk": 90.0}})

    # A risk read straight from the parameters lands in a snapshot's JSON, where 100 and 100.0 differ.
    assert type(parameters.relationship.key_person_replaced_risk) is int
    assert type(parameters.relationship.key_person_left_risk) is float
    assert parameters.purchase_trend.window_days == 90 and type(parameters.purchase_trend.window_days) is int
    assert parameters.relationship.key_departments == tuple(DEFAULT_PARAMETERS["relationship"]["key_departments"])


def test_grids_are_sorted_once_and_read_between_their_points():
    stored = {"price": {"price_ratio_grid": [[3, 100], [1, 0], [2, 50]]}}
    grid = RiskParameters.of(weights=DEFAULT_WEIGHTS, parameters=stored).price.price_ratio_grid

    assert grid == Grid(xs=(1.0, 2.0, 3.0), ys=(0.0, 50.0, 100.0))
    assert (grid.risk(0.5), grid.risk(1.5), grid.risk(2.5), grid.risk(4)) == (0.0, 25.0, 75.0, 100.0)
    assert stored == {"price": {"price_ratio_grid": [[3, 100], [1, 0], [2, 50]]}}


def test_weights_cover_every_factor_in_order_and_the_stored_json_is_left_as_it_was():
    weights = {"strategy": 3, "price": 1}
    stored_parameters = copy.deepcopy(DEFAULT_PARAMETERS)
    parameters = RiskParameters.of(weights=weights, parameters=stored_parameters)

    assert list(parameters.weights) == list(FACTORS)
    assert dict(parameters.weights) == {factor: weights.get(factor, 0) for factor in FACTORS}
    assert parameters.total_weight == 4
    assert weights == {"strategy": 3, "price": 1} and stored_parameters == DEFAULT_PARAMETERS


def test_building_refuses_what_validation_refuses():
    with pytest.raises(RiskModelError, match="Band thresholds"):
        RiskParameters.of(weights=DEFAULT_WEIGHTS, parameters={"bands": {"amber": 70}})


def test_a_model_error_is_a_validation_error_whose_text_is_the_message():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        RiskParameters.of(weights={"gossip": 1}, parameters=None)
    assert str(caught.value).startswith("Unknown factor(s) in the weights: gossip.")
