"""Customers and everything the supplier knows about their business with us — and the features built on them.

The customer core (imports neither `relationships` nor `complaints`):
`models/` (one module per domain: customers, sales, strategy, risk, portfolio), `permissions`
(the one door: roles, visibility, who may change what), `services/` (writes: alerts and
overrides, strategy, competitor intelligence), `forms`, `intel_forms`, `people`, `fields`, `locking`,
`role_groups`.

Features, which read the core, `relationships` and `complaints`:
`risk/` (the churn-risk method and its fast plumbing), `workspace/` (My accounts, Today, search,
the customer page's read models, exports), `portfolio/` (the executive dashboard, its nightly
summaries, export and digest), `demo/` (demo data).

Entry points: `views/`, `admin/`, `urls`, `tasks`, `nightly` (the nightly job), `management/`.
See docs/architecture.md.
"""
