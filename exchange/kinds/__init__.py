"""One handler per kind of import: how a row becomes records, and what is checked across rows.

A handler stages rows into one or more `Stage` tables (`exchange.staging`) and, once every row is
read, checks what needs the whole file (repeated keys, records that belong to someone else's
customer), counts, and applies in order (orders before their lines).
"""

from .base import Handler
from .customers import ChurnHandler, CustomersHandler
from .people import ContactsHandler, CriteriaHandler, InteractionsHandler
from .sales import OrdersHandler, PriceBenchmarksHandler
from .tickets import TicketsHandler

HANDLERS: dict[str, type[Handler]] = {
    "customers": CustomersHandler,
    "contacts": ContactsHandler,
    "interactions": InteractionsHandler,
    "orders": OrdersHandler,
    "price_benchmarks": PriceBenchmarksHandler,
    "criteria": CriteriaHandler,
    "tickets": TicketsHandler,
    "churn": ChurnHandler,
}
