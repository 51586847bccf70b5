"""Churn-risk scoring and the 2/8 tiering (docs/risk-method.md), as pure services.

The method, in the order a score is made:

- ``signals``: what is read about each customer as of a date (``CustomerData``) and who is
  scored (``customers_active_on``).
- ``factors``: the seven factors, one module each, from a customer's signals to risks and
  reasons; ``factors.mix`` is the weighted mean of a factor's signals.
- ``bands``: the band for a score, hysteresis, and the trip-wires that override it.
- ``reasons``: reason codes, their countermeasures and next actions, their ranking on a
  snapshot; ``reason_text`` holds the sentence each code renders as.
- ``parameters``: a model version's weights and parameters, checked (``validate_model``) and
  frozen into dataclasses (``RiskParameters``) once per run; ``defaults`` holds the default of
  every number and what it means.
- ``tiering``: ``tiering_run``, the key-account tier and the Pareto snapshot.
- ``engine``: a run from model version to snapshots: ``risk_recompute``, ``risk_score``,
  ``active_model_version``.
- ``backtest`` and ``fitting``: replaying the score on history and proposing weights from it.
- ``evaluation``: a model version evaluated on history against baselines (``evaluate``), for the
  model quality pages; ``quality_runs`` runs it for a page (queue, progress, interruption) and
  ``quality_report`` reads its result for the pages.

How it is read, scored and written fast, apart from the method:

- ``loaders`` and ``order_loaders``: the set-based queries that fill every customer's signals in
  a fixed number of queries.
- ``plumbing``: one database snapshot shared by several connections, the garbage-collector
  pause, scoring in batches and the COPY writer of snapshots.
- ``chunks``: a large book's scoring shared out, chunk by chunk, to the worker processes free
  that night (``ScoringChunk`` rows in PostgreSQL carry the input and the result).
- ``storage``: where snapshots are kept: monthly partitions on PostgreSQL, made before each
  write, and the retention that keeps Mondays only in months older than 90 days.
"""
