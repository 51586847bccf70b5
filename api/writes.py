"""The API's writes: interactions, tickets, orders and delivery lines, each an idempotent batch
upsert by its external key (see `api.batch`).

| kind | key | who may write | created through |
|---|---|---|---|
| interaction | ``external_id`` | account managers (their customers), admins | bulk, with history |
| ticket | ``external_id`` | account managers (their customers), service desk, admins | ``ticket_open`` (*) |
| order | ``number`` | admins (the ERP's integration user is one) | bulk, with history |
| delivery line | order ``number`` + ``line_no`` | admins | bulk, with history |

(*) ``complaints.services.ticket_open``, as the UI: SLA targets, routing, recurrence, events.

A reference to a customer the user may not write to reads as an unknown code, as the UI's 404.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext
from rest_framework import serializers

from accounts.models import Customer, DeliveryLine, Order, Product
from accounts.permissions import CHANGE, VIEW, restrict
from complaints.models import Severity, Ticket
from complaints.services import ticket_open
from keyaccounts.clock import date_in_range, project_zone
from relationships.cadence_due import refresh_cadence_due
from relationships.contact_meetings import refresh_contact_meetings
from relationships.models import Interaction, InteractionKind

from .batch import CREATED, UPDATED, BatchWriter, Errors, Item
from .fields import DayField, out_of_range_message

MAX_TEXT = 20_000


def unknown_customer() -> str:
    return gettext("No customer with this code that you may write to.")


def _customers(writer: BatchWriter, items: list[Item], errors: Errors, *, action: str) -> dict:
    """Each item's ``customer`` code → ``customer_id``; the customers by id. One query."""
    codes = {item.values["customer"] for item in items}
    found = {c.code: c for c in restrict(Customer.objects.filter(code__in=codes), writer.user, action=action)}
    by_id = {}
    for item in items:
        customer = found.get(item.values.pop("customer"))
        if customer is None:
            errors.add(item.index, "customer", unknown_customer())
            continue
        item.values["customer_id"] = customer.pk
        by_id[customer.pk] = customer
    return by_id


# Interactions ----------------------------------------------------------------------------------


class InteractionWrite(serializers.Serializer):
    external_id = serializers.CharField(max_length=64)
    customer = serializers.CharField(max_length=20, help_text="the customer's code")
    occurred_on = DayField()
    kind = serializers.ChoiceField(choices=InteractionKind.choices)
    subject = serializers.CharField(max_length=200)
    notes = serializers.CharField(max_length=MAX_TEXT, allow_blank=True, required=False, default="")


class InteractionWriter(BatchWriter):
    model = Interaction
    serializer_class = InteractionWrite
    fields = ("customer_id", "occurred_on", "kind", "subject", "notes")
    fixed = ("customer_id",)

    def resolve(self, items, errors):
        customers = _customers(self, items, errors, action=CHANGE)
        for item in items:
            customer = customers.get(item.values.get("customer_id"))
            if customer and item.values["occurred_on"] < customer.customer_since:
                errors.add(
                    item.index,
                    "occurred_on",
                    gettext("The customer has been one since %(day)s; the interaction cannot be earlier.")
                    % {"day": customer.customer_since.isoformat()},
                )

    def stored(self, keys):
        return {i.external_id: i for i in Interaction.objects.filter(external_id__in=keys)}

    def changeable(self, records):
        customers = restrict(Customer.objects.filter(pk__in={r.customer_id for r in records}), self.user, action=CHANGE)
        allowed = set(customers.values_list("pk", flat=True))
        return {r.pk for r in records if r.customer_id in allowed}

    def new_record(self, item):
        record = super().new_record(item)
        record.external_id, record.logged_by = item.key, self.user
        return record

    def _write(self, items):
        super()._write(items)
        # Bulk writes send no signals: the cadences' due dates and the contacts' last meetings are
        # refreshed once for the batch.
        touched = {item.record.customer_id for item in items if item.outcome in (CREATED, UPDATED)}
        if touched:
            refresh_cadence_due(touched)
            refresh_contact_meetings(customer_ids=touched)


# Tickets ---------------------------------------------------------------------------------------


class TicketWrite(serializers.Serializer):
    external_id = serializers.CharField(max_length=64)
    customer = serializers.CharField(max_length=20, help_text="the customer's code")
    kind = serializers.ChoiceField(choices=Ticket.Kind.choices)
    category = serializers.ChoiceField(choices=Ticket.Category.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    channel = serializers.ChoiceField(choices=Ticket.Channel.choices)
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=MAX_TEXT, allow_blank=True, required=False, default="")
    opened_at = serializers.DateTimeField(
        required=False, help_text="when it was opened (default: now); kept once stored"
    )

    def validate_subject(self, value):
        # As ticket_open stores it, so a re-post compares equal.
        value = " ".join(value.split())
        if not value:
            raise serializers.ValidationError(gettext("Give the ticket a subject."))
        return value

    def validate_opened_at(self, value):
        if not date_in_range(value.astimezone(project_zone()).date()):
            raise serializers.ValidationError(out_of_range_message())
        return value


class TicketWriter(BatchWriter):
    model = Ticket
    serializer_class = TicketWrite
    fields = ("customer_id", "kind", "category", "severity", "channel", "subject", "description")
    fixed = ("customer_id", "kind", "category", "severity", "channel")

    def resolve(self, items, errors):
        self.customers = _customers(self, items, errors, action=VIEW)

    def stored(self, keys):
        return {t.external_id: t for t in Ticket.objects.filter(external_id__in=keys)}

    def changeable(self, records):
        tickets = Ticket.objects.filter(pk__in=[r.pk for r in records])
        return set(restrict(tickets, self.user, action=CHANGE).values_list("pk", flat=True))

    def create(self, items):
        # Through the service the ticket page uses: SLA targets, routing, recurrence, its events
        # and notifications. A fixed number of queries per new ticket.
        for item in items:
            values = item.values
            item.record = ticket_open(
                customer=self.customers[values["customer_id"]],
                by=self.user,
                subject=values["subject"],
                kind=values["kind"],
                category=values["category"],
                severity=values["severity"],
                channel=values["channel"],
                description=values["description"],
                opened_at=values.get("opened_at"),
                external_id=item.key,
            )


# Orders and delivery lines -------------------------------------------------------------------


class OrderWrite(serializers.Serializer):
    number = serializers.CharField(max_length=30)
    customer = serializers.CharField(max_length=20, help_text="the customer's code")
    ordered_on = DayField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)


class OrderWriter(BatchWriter):
    model = Order
    serializer_class = OrderWrite
    fields = ("customer_id", "ordered_on", "amount")
    key_field = "number"

    def resolve(self, items, errors):
        _customers(self, items, errors, action=CHANGE)

    def stored(self, keys):
        return {o.number: o for o in Order.objects.filter(number__in=keys)}

    def changeable(self, records):
        return {r.pk for r in records}  # admins only reach here (the view's permission)

    def new_record(self, item):
        record = super().new_record(item)
        record.number = item.key
        return record


class DeliveryWrite(serializers.Serializer):
    order = serializers.CharField(max_length=30, help_text="the order's number")
    line_no = serializers.IntegerField(min_value=1, max_value=32767)
    product = serializers.CharField(max_length=40, help_text="the product's SKU")
    quantity_ordered = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    quantity_delivered = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, default=0
    )
    promised_on = DayField()
    delivered_on = DayField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        if attrs["quantity_delivered"] and attrs.get("delivered_on") is None:
            raise serializers.ValidationError(
                {"delivered_on": [gettext("A delivered quantity needs a delivery date.")]}
            )
        return attrs


class DeliveryWriter(BatchWriter):
    model = DeliveryLine
    serializer_class = DeliveryWrite
    fields = (
        "order_id",
        "line_no",
        "product_id",
        "quantity_ordered",
        "quantity_delivered",
        "promised_on",
        "delivered_on",
    )
    key_field = "line_no"

    def resolve(self, items, errors):
        numbers = {item.values["order"] for item in items}
        orders = dict(Order.objects.filter(number__in=numbers).values_list("number", "pk"))
        skus = {item.values["product"] for item in items}
        products = dict(Product.objects.filter(sku__in=skus).values_list("sku", "pk"))
        self.numbers = {pk: number for number, pk in orders.items()}
        for item in items:
            order_id = orders.get(item.values.pop("order"))
            product_id = products.get(item.values.pop("product"))
            if order_id is None:
                errors.add(item.index, "order", gettext("No order with this number."))
            if product_id is None:
                errors.add(item.index, "product", gettext("No product with this SKU."))
            item.values.update(order_id=order_id, product_id=product_id)

    def key_of(self, values):
        return (values["order_id"], values["line_no"])

    def stored(self, keys):
        order_ids = {order_id for order_id, _line in keys}
        lines = DeliveryLine.objects.filter(order_id__in=order_ids)
        return {(line.order_id, line.line_no): line for line in lines}

    def changeable(self, records):
        return {r.pk for r in records}  # admins only reach here (the view's permission)

    def key_text(self, key):
        return f"{self.numbers[key[0]]}/{key[1]}"
