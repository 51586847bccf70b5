"""The relationship network inside each customer: contacts across departments (with buying role,
influence and trust), interactions with who took part on both sides, and agreed cadences.

`models`, `selectors` (the relationship map, eligible people), `services` (writes),
`cadence_due` (each cadence's stored due date and its refresh), `signals` (the refresh on saves),
`forms`, `views/`, `admin`, `urls`. Reads the customer core only; `complaints` and the features
(`accounts.risk`, `accounts.workspace`, `accounts.portfolio`) read it. See docs/architecture.md.
"""
