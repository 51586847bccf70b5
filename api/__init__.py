"""The REST API under /api/v1/ for other systems: token-authenticated reads of customers,
contacts, interactions, risk, alerts, tickets and orders, and idempotent writes (by external id)
of interactions, tickets, orders and deliveries — with exactly the visibility rules of the UI.

Built on Django REST framework; the OpenAPI schema and its browsable docs come from
drf-spectacular (served locally). See docs/architecture.md.
"""
