"""The default risk model: factor weights and every grid, window and threshold the scorer uses.

A version of the model (RiskModelVersion) stores its own weights and parameters, as JSON of this
very shape; parameters it leaves out fall back to these (``parameters`` checks and merges them and
freezes the result for a run). Everything a reader of docs/risk-method.md could want to tune lives
here, so an admin changes numbers in the database, never code.

Grids are lists of ``[value, risk]`` points; the risk of a value between two points is read off
the straight line between them, and values beyond the ends take the end point's risk. Each factor
combines its signals as a weighted mean (``signal_weights``) over the signals that have data; a
signal without data is left out rather than counted as zero risk.

Windows count days back from the as-of date, inclusive of it: a 90-day window on 2026-06-30 is
2026-04-02 to 2026-06-30. "A year earlier" is 365 days earlier.

bands
    ``amber`` / ``red``: score thresholds (green below amber). ``min_completeness``: below this
    share of the total weight having data the account is grey. ``hysteresis_margin``: a band
    changes at once when the score is this far past the threshold, otherwise only on the second
    run past it. ``hysteresis_max_gap_days``: the previous snapshot only counts for hysteresis if
    it is at most this many days old (so monthly replays are not held back by a month-old score).
tripwires
    ``criterion_min_importance``: a criterion only a competitor meets, at or above this
    importance, makes the account red. ``decision_maker_grace_days``: days after the last decision
    maker left before "no replacement" makes the account at least amber. ``revenue_drop_share``:
    revenue over ``purchase_trend.window_days`` down by more than this share on a year earlier
    makes the account red, provided the year-earlier window held at least
    ``revenue_min_orders_year_ago`` orders (with one or two lumpy orders a 50% swing is noise:
    on the demo data the wire otherwise fired for one customer in seven). ``bands``: the band each
    trip-wire forces at least — "red", "amber" or "none" (the trip-wire is shown and explained
    but forces nothing); ``fit_risk_weights`` proposes them from how often the accounts each one
    fired on were really lost.
reasons
    ``min_factor_risk``: a factor explains itself only at or above this risk;
    ``min_signal_risk``: likewise for each of its signals; ``max_items``: how many names a reason
    lists as evidence.
purchase_trend
    ``revenue_ratio_grid``: revenue in the window ÷ the same window a year earlier, read only when
    that earlier window held at least ``min_orders_year_ago`` orders and lies wholly after the
    customer's first order (a window before the customer's data begins is no data, not zero).
    ``account_size_grid``: the customer's revenue over the last 365 days ÷ the book's typical
    (median) yearly revenue among the customers who ordered in that time; small accounts leave
    more often. ``order_lapse_grid``: the probability (0-1) that the customer places no order in the next
    ``lapse_horizon_days``, from the purchase model (``accounts/risk/purchase_model.py``) fitted on
    the book's order histories as of the date. ``purchase_model``: ``recent_gaps`` (the gaps
    between order days a customer's mean gap is taken over), ``prior_gaps`` (how many gaps' worth
    the book's typical gap weighs in it), and the values used when the book has too few histories
    to fit them: ``default_gap_days`` (typical gap), ``regularity`` (gamma shape of the gaps) and
    ``dropout`` (chance of stopping after an order).
relationship
    ``key_departments`` and ``department_coverage_grid`` (departments with an active contact);
    ``contact_count_grid`` (active contacts; one is a single thread); ``key_person_lookback_days``
    with ``key_person_left_risk`` / ``key_person_replaced_risk`` (a decision maker or champion who
    left, without / with an active one of the same role now); ``trust_grid`` (average trust 1-5);
    ``last_interaction_grid`` / ``last_executive_interaction_grid`` (days; never = 100);
    ``overdue_cadence_grid`` (number of agreed schedules overdue); ``our_people_grid`` (our people
    on the account: owner, backup owner and account team).
criteria
    ``situation_risk``: risk of each situation, averaged weighted by importance. "gap" is a
    criterion nobody meets.
quality
    ``severity_weights`` and ``open_complaints_grid`` (severity-weighted open complaints);
    ``past_sla_grid`` (open complaints past a response or resolution target);
    ``resolution_ratio_grid`` (median resolution time ÷ target over ``lookback_days``);
    ``escalation_hours_grid`` (median hours until a quality complaint reached production or the
    technical department); ``satisfaction_grid`` (average 1-5 over ``satisfaction_lookback_days``).
    The factor has data when the customer has a ticket open or resolved within
    ``activity_lookback_days`` or ordered within that period (no complaints on live business is
    good news, not missing data).
supply
    ``otif_grid``: on-time-in-full share of delivery lines promised in ``otif_window_days``.
    ``peak_miss_grid``: share of lines promised in the customer's peak months over
    ``peak_lookback_days`` that missed.
price
    ``price_ratio_grid``: our price ÷ the market average, averaged over products, using each
    product's latest benchmark no older than ``max_age_days``. ``competitor_quote_grid``: our price
    ÷ the lowest competitor quote on the same benchmarks.
strategy
    ``relationship_level_risk`` per level (1 price, 2 service network, 3 strategic);
    ``plan_age_grid`` (days since the account plan was last reviewed; no plan = ``no_plan_risk``);
    ``open_needs_grid`` (product needs identified and not met); ``incentive_count_grid`` (incentive
    programmes running on the date).
tiering
    ``key_share``: the share of active customers (by count, rounded up) that are key accounts.
    ``months_below_to_leave``: consecutive monthly runs below the cut-off before a key account
    leaves the tier. ``revenue_window_days``: the trailing revenue window. ``curve_points``: points
    on the stored Pareto curve.
"""

from relationships.models import KEY_DEPARTMENTS

FACTORS: tuple[str, ...] = (
    "purchase_trend",
    "relationship",
    "criteria",
    "quality",
    "supply",
    "price",
    "strategy",
)

DEFAULT_WEIGHTS: dict[str, float] = {
    "purchase_trend": 23,
    "relationship": 22,
    "criteria": 5,
    "quality": 16,
    "supply": 5,
    "price": 16,
    "strategy": 13,
}

DEFAULT_PARAMETERS: dict = {
    "bands": {
        "amber": 23,
        "red": 38,
        "min_completeness": 0.6,
        "hysteresis_margin": 5,
        "hysteresis_max_gap_days": 2,
    },
    "tripwires": {
        "criterion_min_importance": 4,
        "decision_maker_grace_days": 30,
        "revenue_drop_share": 0.5,
        "revenue_min_orders_year_ago": 3,
        "bands": {
            "criterion_alarm": "none",
            "revenue_collapse": "none",
            "decision_maker_gone": "amber",
            "critical_complaint_past_sla": "red",
        },
    },
    "reasons": {
        "min_factor_risk": 10,
        "min_signal_risk": 25,
        "max_items": 3,
    },
    "purchase_trend": {
        "window_days": 90,
        "signal_weights": {"revenue_trend": 5, "order_lapse": 55, "account_size": 40},
        "revenue_ratio_grid": [[0.25, 100], [0.5, 75], [0.75, 45], [0.9, 20], [1.0, 0]],
        "min_orders_year_ago": 2,
        "lapse_horizon_days": 180,
        "order_lapse_grid": [[0, 0], [0.05, 30], [0.2, 60], [0.5, 85], [1, 100]],
        "account_size_grid": [[0, 100], [0.25, 70], [0.5, 50], [1, 30], [2, 15], [4, 0]],
        "purchase_model": {
            "recent_gaps": 12,
            "prior_gaps": 1,
            "default_gap_days": 90,
            "regularity": 1.0,
            "dropout": 0.05,
        },
    },
    "relationship": {
        "signal_weights": {
            "department_coverage": 4,
            "contact_count": 2,
            "key_person_left": 40,
            "trust": 40,
            "last_interaction": 5,
            "last_executive_interaction": 2,
            "overdue_cadences": 5,
            "our_people": 2,
        },
        "key_departments": [str(d) for d in KEY_DEPARTMENTS],
        "department_coverage_grid": [[0, 100], [1, 80], [2, 55], [3, 30], [4, 0]],
        "contact_count_grid": [[0, 100], [1, 100], [2, 40], [3, 0]],
        "key_person_lookback_days": 180,
        "key_person_left_risk": 100,
        "key_person_replaced_risk": 40,
        "trust_grid": [[1, 100], [2, 80], [3, 50], [4, 20], [5, 0]],
        "last_interaction_grid": [[30, 0], [60, 30], [90, 60], [180, 100]],
        "last_executive_interaction_grid": [[90, 0], [180, 50], [365, 100]],
        "overdue_cadence_grid": [[0, 0], [1, 60], [2, 100]],
        "our_people_grid": [[1, 100], [2, 30], [3, 0]],
    },
    "criteria": {
        "situation_risk": {"safe": 0, "caution": 50, "alarm": 100, "gap": 50},
    },
    "quality": {
        "signal_weights": {
            "open_complaints": 45,
            "past_sla": 14,
            "resolution_time": 3,
            "quality_escalation": 35,
            "satisfaction": 3,
        },
        "severity_weights": {"low": 1, "medium": 2, "high": 4, "critical": 8},
        "open_complaints_grid": [[0, 0], [4, 40], [8, 70], [16, 100]],
        "past_sla_grid": [[0, 0], [1, 50], [2, 75], [3, 100]],
        "resolution_ratio_grid": [[1, 0], [1.5, 50], [2, 80], [3, 100]],
        "escalation_hours_grid": [[24, 0], [48, 40], [72, 70], [120, 100]],
        "satisfaction_grid": [[1, 100], [2, 80], [3, 50], [4, 20], [5, 0]],
        "lookback_days": 180,
        "satisfaction_lookback_days": 365,
        "activity_lookback_days": 365,
    },
    "supply": {
        "signal_weights": {"otif": 70, "peak_season": 30},
        "otif_window_days": 90,
        "otif_grid": [[0.8, 100], [0.9, 60], [0.95, 25], [0.98, 0]],
        "peak_lookback_days": 365,
        "peak_miss_grid": [[0, 0], [0.05, 30], [0.1, 60], [0.2, 100]],
    },
    "price": {
        "signal_weights": {"price_vs_market": 66, "competitor_quotes": 34},
        "max_age_days": 365,
        "price_ratio_grid": [[1.0, 0], [1.05, 25], [1.1, 50], [1.2, 80], [1.3, 100]],
        "competitor_quote_grid": [[1.0, 0], [1.1, 50], [1.25, 100]],
    },
    "strategy": {
        "signal_weights": {"relationship_level": 5, "account_plan": 10, "open_needs": 80, "incentives": 5},
        "relationship_level_risk": {"1": 100, "2": 50, "3": 0},
        "plan_age_grid": [[365, 0], [545, 60], [730, 100]],
        "no_plan_risk": 100,
        "open_needs_grid": [[0, 0], [1, 40], [2, 70], [3, 100]],
        "incentive_count_grid": [[0, 60], [1, 20], [2, 0]],
    },
    "tiering": {
        "key_share": 0.2,
        "months_below_to_leave": 2,
        "revenue_window_days": 365,
        "curve_points": 50,
    },
}
