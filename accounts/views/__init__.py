"""Pages of the accounts app, one module per area: the customer 360 page, the manager's
workspace (my accounts, today, search, exports) and the strategy editors."""
