"""Pages of the accounts app, one module per area: `customers` (the customer 360 page, its
timeline and the manual risk band), `workspace` (my accounts — the home page —, today, search,
closing alerts), `exports` (the customer list as CSV, and as XLSX written by a background job),
`dashboard` (the executive risk dashboard and its export), `quality` (the model quality pages:
backtest runs, their results, two side by side) and `strategy` (the purchase-criteria and
strategy sections and their in-page editors, on `keyaccounts.editing`), `account_data` (the
account-data section — level, peak months, backup and team, churn and win-back — and its editors,
for the owner and admins) and `handover` (a leaving salesperson's book handed to successors)."""
