"""Churn-risk scoring (RISK.md) and the 2/8 tiering, as pure services.

- ``defaults``: the default weights and every grid and threshold.
- ``signals``: the set-based queries that gather raw signals for all customers as of a date.
- ``factors``: the seven factors and the trip-wires, as pure functions.
- ``engine``: model versions, bands and hysteresis, ``risk_recompute``.
- ``reasons``: reason codes, countermeasures, next actions and their rendering.
- ``tiering``: ``tiering_run``, the key-account tier and the Pareto snapshot.
"""
