"""The in-page editors of the relationship section of the customer page, one module per record:
`contacts` (add, edit, mark as left), `interactions` (log, edit) and `cadences` (add, edit, end).
`section` holds what they share: the section they re-render and the answers of
`keyaccounts.editing` bound to it."""
