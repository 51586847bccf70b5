"""Signals of the customer core's writes, for the apps above it to act on.

The core imports no app above it (docs/architecture.md), so what follows a handover or a churn in
another app — a handover play per customer, a win-back play — listens here instead. Both are sent
inside the write's transaction: a receiver that fails rolls the write back.

- `customers_handed_over`: a handover was applied; ``handover`` and ``customer_ids`` (sorted).
- `churn_recorded`: a customer was recorded as churned; ``customer``, ``reason``, ``by``.
"""

from django.dispatch import Signal

customers_handed_over = Signal()
churn_recorded = Signal()
