"""What every factor shares: its result, and the weighted mix of its signals into a risk and reasons."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(slots=True)
class FactorResult:
    """A factor's risk (None when it has no data), its signals and the reasons it proposes.

    ``reasons`` pairs each reason with the points of the factor's risk (0-100) it accounts for.
    """

    risk: float | None
    signals: dict = field(default_factory=dict)
    reasons: list[tuple[float, dict]] = field(default_factory=list)


# What a factor none of whose signals has data returns.
MISSING = FactorResult(risk=None)


class SignalMix:
    """Collects a factor's signals and turns them into a weighted mean and ranked reasons.

    The weighted mean is summed as the signals are added, in the order they are added; a signal
    without data, or without a weight in ``signal_weights``, is shown but neither scored nor
    explained. A reason is only built (by calling ``reason``) for a scored signal at or above
    ``min_signal_risk``, once the factor's risk is known.
    """

    __slots__ = ("weights", "min_signal_risk", "signals", "_total", "_weighted_sum", "_reasons")

    def __init__(self, weights: Mapping[str, float], min_signal_risk: float):
        self.weights = weights
        self.min_signal_risk = min_signal_risk
        self.signals: dict[str, list] = {}
        self._total = 0
        self._weighted_sum = 0
        # (weight, risk, reason builder) of the signals that may explain the factor.
        self._reasons: list[tuple[float, float, Callable[[], dict | None]]] = []

    def add(self, name: str, value, risk: float | None, reason: Callable[[], dict | None] | None = None) -> None:
        # [value, risk]: a snapshot keeps every signal of every customer, so the form stays compact.
        if risk is None:
            self.signals[name] = [value, None]
            return
        # round() with digits converts to decimal and back; a whole risk (most often a grid's end)
        # is its own rounding.
        self.signals[name] = [value, risk if type(risk) is float and risk.is_integer() else round(risk, 1)]
        weight = self.weights.get(name, 0)
        if weight > 0:
            self._total += weight
            self._weighted_sum += weight * risk
            if reason is not None and risk >= self.min_signal_risk:
                self._reasons.append((weight, risk, reason))

    def result(self) -> FactorResult:
        total = self._total
        if not total:
            return FactorResult(None, self.signals, [])
        reasons = []
        for weight, risk, build in self._reasons:
            reason = build()
            if reason is not None:
                reasons.append((weight * risk / total, reason))
        return FactorResult(self._weighted_sum / total, self.signals, reasons)


def iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def in_hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600
