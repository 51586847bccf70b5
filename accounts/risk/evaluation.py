"""The evaluation of a model version on history, for the model quality pages (placeholder).

``evaluate(version, start=..., end=..., horizon_days=..., progress=...)`` replays ``version`` at
past dates and returns a JSON-able dict of its metrics against baselines (the contract is in
docs/risk-method.md, "Model quality page"). The real evaluation replaces this placeholder.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date


def evaluate(
    version,
    *,
    start: date,
    end: date,
    horizon_days: int,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    raise NotImplementedError("The evaluation of a model version is not available yet.")
