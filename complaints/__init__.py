"""Complaints and service tickets: intake (hotline, quick complaint), the service desk's workflow
and SLA clocks, escalation and notifications, on-site service, closure and complaint analytics.

`models`, `selectors` (the queue, SLA figures), `services` (every ticket move, keyword-only and
transactional), `escalation` (the SLA ladder), `notifications` (the notification centre and its
e-mails), `analytics` (the page's figures) and `monthly` (the monthly figures it sums, stored and
refreshed; `signals` refreshes them after ticket writes), `forms`, `views/`, `admin`, `urls`,
`tasks`. Reads the customer core and `relationships`; the features (`accounts.risk`,
`accounts.workspace`, `accounts.portfolio`) read it. See docs/architecture.md.
"""
