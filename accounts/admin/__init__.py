"""Django admin for customers and everything recorded about their business with us.

One module per domain, mirroring `accounts.models`: `customers`, `sales`, `strategy`, `risk`,
`portfolio`, `exports`, `account_data` (level changes, churn records, handovers; read-only);
`base` holds what they share — staff who are not admins see and choose
only their own customers' objects (through `accounts.permissions.restrict`), and computed records
are read-only. Importing this package registers every admin."""

from . import account_data, customers, exports, portfolio, risk, sales, strategy  # noqa: F401  (registers the admins)
