"""Pages of the complaints app, one module per area: `intake` (the quick complaint of the customer
page and the hotline), `desk` (the service desk's queue and its bulk assignment), `tickets` (the
ticket page and its actions), `analytics` (complaint analytics) and `notifications` (the
notification centre). The in-page editors among them answer through `keyaccounts.editing`."""
