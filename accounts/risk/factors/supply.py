"""Supply: on-time-in-full delivery, overall and in the customer's peak season."""

from datetime import date

from ..parameters import SupplyParameters
from ..reasons import make_reason
from ..signals import CustomerData
from .mix import MISSING, FactorResult, SignalMix


def score(d: CustomerData, as_of: date, p: SupplyParameters, min_signal_risk: float) -> FactorResult:
    deliveries = d.deliveries
    if not deliveries:
        return MISSING
    mix = SignalMix(p.signal_weights, min_signal_risk)
    lines = deliveries.lines_recent
    hits = deliveries.hits_recent
    if lines:
        otif = hits / lines
        mix.add(
            "otif",
            round(otif, 3),
            p.otif_grid.risk(otif),
            lambda: make_reason(
                "low_otif",
                otif_pct=round(otif * 100),
                lines=lines,
                misses=lines - hits,
                window_days=p.otif_window_days,
            ),
        )
    else:
        mix.add("otif", None, None)

    peak_lines, peak_hits = deliveries.peak_lines, deliveries.peak_hits
    if peak_lines:
        miss_rate = (peak_lines - peak_hits) / peak_lines
        mix.add(
            "peak_season",
            round(miss_rate, 3),
            p.peak_miss_grid.risk(miss_rate),
            lambda: make_reason(
                "peak_season_misses", misses=peak_lines - peak_hits, lines=peak_lines, months=sorted(d.peak_months)
            ),
        )
    else:
        mix.add("peak_season", None, None)
    return mix.result()
