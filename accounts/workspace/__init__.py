"""The account manager's workspace: the read models of the pages people work from every day.

- `common`: the latest scored day, cleaned search text, cadences with due dates, overdue tickets.
- `filters`: My accounts' filter bar, sort table, drill-down filters and paging.
- `my_accounts`: the rows of My accounts (and of its exports), read for the rows shown only.
- `today`: Today's groups of things to do (alerts, SLA, cadences, decision makers, overrides, needs).
- `search`: global search over the customers and contacts a user may see.
- `customer`: the customer page (360): risk panel, timeline, supply, pricing, criteria, strategy.
- `intel`: the customer page's competitor intelligence, newest first, in one query.
- `account_data`: the customer page's account-data section (level changes, churn records, recent
  changes from the customer's history).
- `exports`: CSV and XLSX of exactly the filtered rows a user may see.

Every read starts from ``Customer.objects.visible_to(user)`` (`accounts.permissions`). Query counts
do not grow with the data: lists join the snapshot of the latest scored day instead of looking up
each customer's own latest snapshot, and per-row figures are read for the rows shown only.
This package reads the customer core, relationships and complaints; nothing below it imports it.
"""
