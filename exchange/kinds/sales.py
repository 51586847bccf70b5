"""Orders with their delivery lines (one row per line, the order's columns repeated), and price
benchmarks with competitor quotes."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from accounts.models import DeliveryLine, Order, PriceBenchmark

from .. import cells
from ..context import Row
from ..staging import Target
from .base import Handler

LINE_COLUMNS = (
    "line_no",
    "sku",
    "product_name",
    "quantity_ordered",
    "quantity_delivered",
    "promised_on",
    "delivered_on",
)
LINE_FIELDS = {
    "line_no": "line_no",
    "sku": "product_id",
    "quantity_ordered": "quantity_ordered",
    "quantity_delivered": "quantity_delivered",
    "promised_on": "promised_on",
    "delivered_on": "delivered_on",
}


def _filled(raw) -> bool:
    """Whether a cell holds anything; what it holds is checked where the cell is read, as a row error."""
    return raw is not None and str(raw).strip() != ""


def _money(raw, digits=14):
    return cells.decimal(raw, max_digits=digits, places=2, minimum=Decimal(0))


class OrdersHandler(Handler):
    labels = ("orders", "delivery_lines")

    def targets(self):
        # Order number → (hashes of its columns as written and as read, first row): every line
        # repeats them alike.
        self.orders: dict[str, tuple] = {}
        self.with_lines = self.ctx.has("line_no")
        targets = {
            "orders": Target(Order, key=("number",), fields=("number", "customer_id", "ordered_on", "amount")),
        }
        if self.with_lines:
            targets["delivery_lines"] = Target(
                DeliveryLine,
                key=("order_id", "line_no"),
                fields=self.field_names(LINE_FIELDS),
                extras=(("order_number", "varchar(30)"),),
            )
        else:
            self.labels = ("orders",)
        return targets

    def row(self, row: Row) -> None:
        number = row("order_number", cells.bounded_text, 30, required=True)
        raw = row.raw
        written = hash((raw.get("customer_code"), raw.get("ordered_on"), raw.get("amount")))
        seen = self.orders.get(number)
        if seen is not None and seen[0] == written:
            # Another line of an order already read, its columns written alike: only the line is new.
            self.line(row, number, order=None)
            return
        customer = row("customer_code", self.ctx.customer, required=True)
        order = {
            "number": number,
            "customer_id": customer[0] if customer else None,
            "ordered_on": row("ordered_on", cells.day, required=True),
            "amount": row("amount", _money, required=True),
        }
        if not row.ok:
            self.line(row, number, order=None, checked_only=True)
            return
        signature = hash((order["customer_id"], order["ordered_on"], order["amount"]))
        if seen is None:
            self.orders[number] = (written, signature, row.number)
            self.stages["orders"].add(row.number, order)
        elif seen[1] != signature:
            row.fail(
                "order_number",
                _("the order's customer, date or amount differ from row %(first)d") % {"first": seen[2]},
            )
        self.line(row, number, order=order)

    def line(self, row: Row, number: str, *, order, checked_only: bool = False) -> None:
        """The row's delivery line, if it has one (an order-only row leaves the line columns empty)."""
        if not self.with_lines:
            return
        if not _filled(row.raw.get("line_no")):
            for key in LINE_COLUMNS[1:]:
                if _filled(row.raw.get(key)):
                    row.fail("line_no", _("is required when the row has line columns"))
                    break
            return
        line = {
            "order_id": None,
            "line_no": row("line_no", cells.whole, low=1, high=32767, required=True),
            "product_id": row("sku", self.ctx.product_id, row.raw.get("product_name"), create=True, required=True),
            "quantity_ordered": row(
                "quantity_ordered",
                cells.decimal,
                max_digits=12,
                places=2,
                minimum=Decimal(0),
                above=True,
                required=True,
            ),
            "quantity_delivered": row("quantity_delivered", cells.decimal, max_digits=12, places=2, minimum=Decimal(0))
            or Decimal(0),
            "promised_on": row("promised_on", cells.day, required=True),
            "delivered_on": row("delivered_on", cells.day),
        }
        if line["quantity_delivered"] and not line["delivered_on"]:
            row.fail("delivered_on", _("a delivered quantity needs the delivery date"))
        if row.ok and not checked_only:
            self.stages["delivery_lines"].add(row.number, line, (number,))

    def duplicate_key(self, label, stage):
        if label == "delivery_lines":
            return ["order_number", "line_no"], "line_no"
        return super().duplicate_key(label, stage)

    def _link_lines(self) -> None:
        self.stages["delivery_lines"].execute(
            "UPDATE {stage} SET order_id = o.id FROM accounts_order AS o WHERE o.number = {stage}.order_number"
        )

    def check(self) -> None:
        if self.with_lines:
            self.check_duplicates("delivery_lines", self.stages["delivery_lines"])
            if self.ctx.failed:
                return
            self._link_lines()
        # Orders repeat per line by design: they were staged once each, so no repeats to find.
        for stage in self.stages.values():
            stage.resolve()

    def apply(self, *, user_id, reason):
        self.stages["orders"].apply(user_id=user_id, reason=reason)
        if self.with_lines:
            self._link_lines()
            self.stages["delivery_lines"].apply(user_id=user_id, reason=reason)


class PriceBenchmarksHandler(Handler):
    labels = ("price_benchmarks",)
    FIELDS = {
        "customer_code": "customer_id",
        "sku": "product_id",
        "observed_on": "observed_on",
        "our_price": "our_price",
        "market_average_price": "market_average_price",
        "competitor": "competitor_id",
        "competitor_quote": "competitor_quote",
    }

    def targets(self):
        return {
            "price_benchmarks": Target(
                PriceBenchmark, key=("customer_id", "product_id", "observed_on"), fields=self.field_names(self.FIELDS)
            )
        }

    def row(self, row: Row) -> None:
        customer = row("customer_code", self.ctx.customer, required=True)
        price = {"max_digits": 12, "places": 2, "minimum": Decimal(0), "above": True}
        values = {
            "customer_id": customer[0] if customer else None,
            "product_id": row("sku", self.ctx.product_id, create=False, required=True),
            "observed_on": row("observed_on", cells.day, required=True),
            "our_price": row("our_price", cells.decimal, **price, required=True),
            "market_average_price": row("market_average_price", cells.decimal, **price, required=True),
            "competitor_id": row("competitor", self.ctx.competitor_id),
            "competitor_quote": row("competitor_quote", cells.decimal, **price),
        }
        if values["competitor_quote"] is not None and not values["competitor_id"]:
            row.fail("competitor", _("a competitor's quote needs the competitor's name"))
        if row.ok:
            self.stages["price_benchmarks"].add(row.number, values)

    def duplicate_key(self, label, stage):
        return [stage.field_of[k].column for k in ("customer_id", "product_id", "observed_on")], "observed_on"
