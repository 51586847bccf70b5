"""Price: our price against the market average and against competitors' quotes."""

from datetime import date
from operator import itemgetter

from ..parameters import PriceParameters
from ..reasons import make_reason
from ..signals import CustomerData, intel_evidence
from .mix import MISSING, FactorResult, SignalMix, iso


def score(d: CustomerData, as_of: date, p: PriceParameters, min_signal_risk: float) -> FactorResult:
    rows = d.benchmarks
    if not rows:
        return MISSING
    mix = SignalMix(p.signal_weights, min_signal_risk)
    evidence = intel_evidence(d)
    ratios = [(float(row.our_price / row.market_average_price), row) for row in rows]
    mean_ratio = sum([r for r, _ in ratios]) / len(ratios)
    worst_ratio, worst = max(ratios, key=itemgetter(0))
    mix.add(
        "price_vs_market",
        round(mean_ratio, 3),
        p.price_ratio_grid.risk(mean_ratio),
        lambda: make_reason(
            "price_above_market",
            pct=round((mean_ratio - 1) * 100),
            products=len(ratios),
            worst_product=worst.product_name,
            worst_pct=round((worst_ratio - 1) * 100),
            **evidence,
        ),
    )
    quotes = [(float(row.our_price / row.competitor_quote), row) for row in rows if row.competitor_quote]
    if quotes:
        quote_ratio, quoted = max(quotes, key=itemgetter(0))
        mix.add(
            "competitor_quotes",
            round(quote_ratio, 3),
            p.competitor_quote_grid.risk(quote_ratio),
            lambda: make_reason(
                "competitor_undercut",
                competitor=quoted.competitor_name,
                product=quoted.product_name,
                pct=round((1 - 1 / quote_ratio) * 100),
                observed_on=iso(quoted.observed_on),
                **evidence,
            ),
        )
    else:
        mix.add("competitor_quotes", None, None)
    return mix.result()
