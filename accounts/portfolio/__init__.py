"""The executive view of the whole portfolio: precomputed each night, read in a fixed number of queries.

- `cells`: the cells (tier × region × industry × manager) the nightly summaries are built from,
  their running totals, largest movers and roll-up to each grain.
- `summaries`: the nightly refresh of one date's summaries (`portfolio_summaries_refresh`).
- `dashboard`: the dashboard's read model (filter form, totals, breakdowns, heat shades).
- `reads`: `portfolio_dashboard`, which reads only summaries and Pareto snapshots.
- `export`: the dashboard's tables as XLSX.
- `intel`: competitor activity this month (intelligence entries per competitor and kind), read live.
- `digest`: the weekly e-mail digest to executives (`digest_send_weekly`).

Reads the customer core, the risk snapshots and complaints; the workspace's drill-down filters
(`accounts.workspace.filters`) give the dashboard's links their meaning.
"""
