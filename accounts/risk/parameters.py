"""The risk model's parameters: checked, merged over the defaults, and frozen for a run.

A model version (``RiskModelVersion``) stores its weights and parameters as JSON, which the admin
edits; ``defaults`` holds the default of every number and says what each one means
(docs/risk-method.md, "Model versions"). ``validate_model`` checks a version's JSON and merges it
over the defaults; ``RiskParameters.of`` turns the merged result into frozen dataclasses, one per
factor or concern, once per run: the scorer reads attributes, never keys, and every grid is sorted
once, here.

Numbers keep the type the JSON gave them (an ``int`` stays an ``int``): a risk or a window read
from here can end up in a snapshot's JSON, where ``100`` and ``100.0`` are different text.
"""

import copy
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, fields
from numbers import Real
from types import MappingProxyType

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from relationships.models import Department

from .defaults import DEFAULT_PARAMETERS, FACTORS

# What a trip-wire may force (``tripwires.bands``): at least red, at least amber, or nothing.
TRIPWIRE_BANDS = ("red", "amber", "none")


class RiskError(ValidationError):
    """A risk service refusing what it was asked; ``str()`` is the message itself, as the admin
    and the record of a failed run show it."""

    def __str__(self) -> str:
        return " ".join(self.messages)


class RiskModelError(RiskError):
    """The risk model version cannot be used: bad weights or parameters, or none is active."""


# Validation of the stored JSON --------------------------------------------------------------


def validate_model(*, weights: dict, parameters: dict | None) -> dict:
    """Check a version's weights and parameters; return the parameters merged over the defaults.

    Raises RiskModelError naming the first problem: unknown factors or parameters, weights that are
    not non-negative numbers summing to more than zero, grids that are not ``[value, risk 0-100]``
    pairs, or thresholds out of order.
    """
    if not isinstance(weights, dict) or not weights:
        raise RiskModelError(_("The weights must map factor names to numbers."))
    unknown = sorted(set(weights) - set(FACTORS))
    if unknown:
        raise RiskModelError(
            _("Unknown factor(s) in the weights: %(names)s. Known factors: %(known)s.")
            % {"names": ", ".join(unknown), "known": ", ".join(FACTORS)}
        )
    for name, value in weights.items():
        if not _is_number(value) or value < 0:
            raise RiskModelError(_("The weight of %(factor)s must be a number of 0 or more.") % {"factor": name})
    if not sum(weights.values()) > 0:
        raise RiskModelError(_("The factor weights must add up to more than zero."))

    merged = _merge_parameters(DEFAULT_PARAMETERS, parameters or {}, "parameters")
    bands = merged["bands"]
    if not 0 < bands["amber"] < bands["red"] <= 100:
        raise RiskModelError(_("Band thresholds must satisfy 0 < amber < red ≤ 100."))
    if not 0 <= bands["min_completeness"] <= 1:
        raise RiskModelError(_("The minimum data completeness must be between 0 and 1."))
    if not 0 < merged["tripwires"]["revenue_drop_share"] < 1:
        raise RiskModelError(_("The revenue drop of the trip-wire must be a share between 0 and 1."))
    if not 1 <= merged["tripwires"]["criterion_min_importance"] <= 5:
        raise RiskModelError(_("The criterion importance of the trip-wire must be between 1 and 5."))
    departments = merged["relationship"]["key_departments"]
    if not departments or set(departments) - set(Department.values):
        raise RiskModelError(
            _("Key departments must be a non-empty list of: %(known)s.") % {"known": ", ".join(Department.values)}
        )
    for factor in FACTORS:
        signal_weights = merged[factor].get("signal_weights")
        if signal_weights is not None and not sum(signal_weights.values()) > 0:
            raise RiskModelError(
                _("The signal weights of %(factor)s must add up to more than zero.") % {"factor": factor}
            )
    model = merged["purchase_trend"]["purchase_model"]
    if not (
        model["recent_gaps"] >= 1
        and model["default_gap_days"] >= 1
        and model["regularity"] > 0
        and 0 < model["dropout"] < 1
    ):
        raise RiskModelError(
            _(
                "The purchase model needs at least one recent gap, a default gap of a day or more, a regularity "
                "above 0 and a drop-out chance between 0 and 1."
            )
        )
    if not merged["purchase_trend"]["lapse_horizon_days"] >= 1:
        raise RiskModelError(_("The purchase model's horizon must be at least one day."))
    tiering = merged["tiering"]
    if not 0 < tiering["key_share"] <= 1:
        raise RiskModelError(_("The key-account share must be above 0 and at most 1."))
    if tiering["months_below_to_leave"] < 1 or tiering["curve_points"] < 2:
        raise RiskModelError(_("Tiering needs at least one month below the cut-off and two curve points."))
    return merged


def _is_number(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _merge_parameters(defaults: dict, given, path: str) -> dict:
    if not isinstance(given, dict):
        raise RiskModelError(_("%(path)s must be a mapping.") % {"path": path})
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise RiskModelError(
            _("Unknown setting(s) in %(path)s: %(names)s.") % {"path": path, "names": ", ".join(unknown)}
        )
    merged = copy.deepcopy(defaults)
    for key, value in given.items():
        where = f"{path}.{key}"
        default = defaults[key]
        if isinstance(default, dict):
            merged[key] = _merge_parameters(default, value, where)
        elif key.endswith("_grid"):
            merged[key] = _check_grid(value, where)
        elif isinstance(default, str):
            if value not in TRIPWIRE_BANDS:
                raise RiskModelError(
                    _("%(path)s must be one of: %(choices)s.") % {"path": where, "choices": ", ".join(TRIPWIRE_BANDS)}
                )
            merged[key] = value
        elif isinstance(default, list):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise RiskModelError(_("%(path)s must be a list of names.") % {"path": where})
            merged[key] = list(value)
        else:
            if not _is_number(value) or value < 0:
                raise RiskModelError(_("%(path)s must be a number of 0 or more.") % {"path": where})
            if key.endswith("_risk") and value > 100:
                raise RiskModelError(_("%(path)s is a risk and must be between 0 and 100.") % {"path": where})
            merged[key] = value
    for key, value in merged.items():
        # Risk tables (per situation, per level) hold risks too.
        if key in ("situation_risk", "relationship_level_risk") and not all(
            _is_number(v) and 0 <= v <= 100 for v in value.values()
        ):
            raise RiskModelError(_("%(path)s.%(key)s must hold risks between 0 and 100.") % {"path": path, "key": key})
    return merged


def _check_grid(value, path: str) -> list:
    if (
        not isinstance(value, list)
        or len(value) < 2
        or not all(
            isinstance(point, list | tuple) and len(point) == 2 and all(map(_is_number, point)) for point in value
        )
    ):
        raise RiskModelError(_("%(path)s must be a list of at least two [value, risk] pairs.") % {"path": path})
    if not all(0 <= point[1] <= 100 for point in value):
        raise RiskModelError(_("%(path)s: every risk must be between 0 and 100.") % {"path": path})
    return [list(point) for point in value]


# The frozen form a run reads ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Grid:
    """A grid of ``[value, risk]`` points, sorted by value once and then read any number of times."""

    xs: tuple[float, ...]
    ys: tuple[float, ...]

    @classmethod
    def of(cls, points: list) -> "Grid":
        pts = sorted((float(x), float(y)) for x, y in points)
        return cls(tuple(x for x, _y in pts), tuple(y for _x, y in pts))

    def risk(self, value: float) -> float:
        """The risk of a value: linear between points, flat beyond the ends.

        Between the ends, the segment is the first whose ends enclose the value (found by bisection).
        """
        xs, ys = self.xs, self.ys
        if value <= xs[0]:
            return ys[0]
        if value >= xs[-1]:
            return ys[-1]
        # xs[i - 1] < value <= xs[i]: every earlier segment ends below the value.
        i = bisect_left(xs, value)
        x0, y0 = xs[i - 1], ys[i - 1]
        return y0 + (ys[i] - y0) * (value - x0) / (xs[i] - x0)


# Each section below mirrors one key of DEFAULT_PARAMETERS, field for field; ``defaults`` says
# what each number means.


@dataclass(frozen=True, slots=True)
class BandParameters:
    amber: float
    red: float
    min_completeness: float
    hysteresis_margin: float
    hysteresis_max_gap_days: int


@dataclass(frozen=True, slots=True)
class TripwireParameters:
    criterion_min_importance: int
    decision_maker_grace_days: int
    revenue_drop_share: float
    revenue_min_orders_year_ago: int
    bands: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class ReasonParameters:
    min_factor_risk: float
    min_signal_risk: float
    max_items: int


@dataclass(frozen=True, slots=True)
class PurchaseTrendParameters:
    window_days: int
    signal_weights: Mapping[str, float]
    revenue_ratio_grid: Grid
    min_orders_year_ago: int
    lapse_horizon_days: int
    order_lapse_grid: Grid
    account_size_grid: Grid
    purchase_model: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class RelationshipParameters:
    signal_weights: Mapping[str, float]
    key_departments: tuple[str, ...]
    department_coverage_grid: Grid
    contact_count_grid: Grid
    key_person_lookback_days: int
    key_person_left_risk: float
    key_person_replaced_risk: float
    trust_grid: Grid
    last_interaction_grid: Grid
    last_executive_interaction_grid: Grid
    overdue_cadence_grid: Grid
    our_people_grid: Grid


@dataclass(frozen=True, slots=True)
class CriteriaParameters:
    situation_risk: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class QualityParameters:
    signal_weights: Mapping[str, float]
    severity_weights: Mapping[str, float]
    open_complaints_grid: Grid
    past_sla_grid: Grid
    resolution_ratio_grid: Grid
    escalation_hours_grid: Grid
    satisfaction_grid: Grid
    lookback_days: int
    satisfaction_lookback_days: int
    activity_lookback_days: int


@dataclass(frozen=True, slots=True)
class SupplyParameters:
    signal_weights: Mapping[str, float]
    otif_window_days: int
    otif_grid: Grid
    peak_lookback_days: int
    peak_miss_grid: Grid


@dataclass(frozen=True, slots=True)
class PriceParameters:
    signal_weights: Mapping[str, float]
    max_age_days: int
    price_ratio_grid: Grid
    competitor_quote_grid: Grid


@dataclass(frozen=True, slots=True)
class StrategyParameters:
    signal_weights: Mapping[str, float]
    relationship_level_risk: Mapping[str, float]
    plan_age_grid: Grid
    no_plan_risk: float
    open_needs_grid: Grid
    incentive_count_grid: Grid


@dataclass(frozen=True, slots=True)
class TieringParameters:
    key_share: float
    months_below_to_leave: int
    revenue_window_days: int
    curve_points: int


@dataclass(frozen=True, slots=True)
class RiskParameters:
    """Everything one run of the model reads: factor weights (every factor, 0 if the version leaves
    it out, in the order of ``FACTORS``) and each section of the parameters."""

    weights: Mapping[str, float]
    total_weight: float
    bands: BandParameters
    tripwires: TripwireParameters
    reasons: ReasonParameters
    purchase_trend: PurchaseTrendParameters
    relationship: RelationshipParameters
    criteria: CriteriaParameters
    quality: QualityParameters
    supply: SupplyParameters
    price: PriceParameters
    strategy: StrategyParameters
    tiering: TieringParameters

    @classmethod
    def of(cls, *, weights: dict, parameters: dict | None) -> "RiskParameters":
        """Check a version's weights and parameters (``validate_model``) and freeze them."""
        merged = validate_model(weights=weights, parameters=parameters)
        factor_weights = {factor: weights.get(factor, 0) for factor in FACTORS}
        sections = {
            f.name: _section(f.type, merged[f.name]) for f in fields(cls) if f.name not in ("weights", "total_weight")
        }
        return cls(weights=MappingProxyType(factor_weights), total_weight=sum(factor_weights.values()), **sections)

    @classmethod
    def of_version(cls, version) -> "RiskParameters":
        return cls.of(weights=version.weights, parameters=version.parameters)


def _section(section_class: type, values: dict):
    return section_class(**{key: _frozen(key, value) for key, value in values.items()})


def _frozen(key: str, value):
    if key.endswith("_grid"):
        return Grid.of(value)
    if isinstance(value, dict):
        return MappingProxyType(dict(value))
    if isinstance(value, list):
        return tuple(value)
    return value
