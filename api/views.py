"""The API's endpoints: read-only lists and details of each resource, and batch writes.

Every queryset goes through the permission door (`accounts.permissions.restrict` or a model's
``visible_to``), so the API shows each user exactly what the UI shows them: a record of a customer
they may not see answers 404, as in the UI. Writes are allowed to the same people the UI lets
write (`may_write` of each view); executives read only.
"""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response

from accounts.models import Alert, Customer, DeliveryLine, Order, RiskSnapshot
from accounts.permissions import is_admin, may_change_customer_data, may_open_tickets, restrict, sees_all_alerts
from accounts.workspace.common import latest_scored_on
from accounts.workspace.filters import account_list
from complaints.models import Ticket
from relationships.models import Contact, Interaction

from . import filters, writes
from . import serializers as out
from .batch import MAX_BATCH, BatchRefused

# Ids in paths: at most 18 digits, so no id overflows a 64-bit column (longer ones are a 404).
ID_PATTERN = "[0-9]{1,18}"


class MayWrite(BasePermission):
    """Reads for every signed-in user (the querysets narrow them); writes as the view's ``may_write``."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS or view.action != "create":
            return True  # reads, and methods the route does not take (405)
        may_write = getattr(view, "may_write", None)
        return bool(may_write and may_write(request.user))


class ReadViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = ID_PATTERN


BATCH_RESULT = inline_serializer(
    "BatchResult",
    fields={
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "unchanged": serializers.IntegerField(),
        "results": inline_serializer(
            "BatchItemResult",
            fields={
                "index": serializers.IntegerField(),
                "id": serializers.IntegerField(),
                "key": serializers.CharField(),
                "outcome": serializers.ChoiceField(choices=["created", "updated", "unchanged"]),
            },
            many=True,
        ),
    },
)
BATCH_ERRORS = OpenApiResponse(
    description="The batch is refused and nothing is written: ``errors`` by item index, then by field "
    "(or ``non_field_errors`` for a body that is not an object or a list of 1 to 1,000 objects)."
)


class BatchWriteViewSet(ReadViewSet):
    """A list that also takes POSTs of one object or a list of up to 1,000, upserted by key."""

    permission_classes = [IsAuthenticated, MayWrite]
    writer_class: type[writes.BatchWriter]

    def create(self, request, *args, **kwargs):
        try:
            result = self.writer_class(request.user).run(request.data)
        except BatchRefused as refused:
            return Response(refused.detail, status=status.HTTP_400_BAD_REQUEST)
        return Response(result, status=status.HTTP_200_OK)


def batch_schema(writer_class, what: str):
    return extend_schema(
        summary=f"Create or update {what} by key (idempotent)",
        description=f"One object, or a list of up to {MAX_BATCH}, all written or none. The answer counts "
        "the created, updated and unchanged items; posting the same batch again changes nothing.",
        request=writer_class.serializer_class(many=True),
        responses={200: BATCH_RESULT, 400: BATCH_ERRORS},
    )


class CustomerViewSet(ReadViewSet):
    """Customers the user sees, with the band shown in the UI (a manual band wins) and the latest
    snapshot's score: the My accounts read model, one query per page."""

    queryset = Customer.objects.none()  # for the schema; get_queryset narrows per user
    serializer_class = out.CustomerSerializer
    filterset_class = filters.CustomerFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        self.scored_on = latest_scored_on()
        return (
            account_list(user=self.request.user, scored_on=self.scored_on).select_related("backup_owner").order_by("id")
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "scored_on": getattr(self, "scored_on", None)}


class ContactViewSet(ReadViewSet):
    queryset = Contact.objects.none()  # for the schema; get_queryset narrows per user
    serializer_class = out.ContactSerializer
    filterset_class = filters.ContactFilter

    def get_queryset(self):
        return Contact.objects.visible_to(self.request.user).select_related("customer", "internal_owner")


class InteractionViewSet(BatchWriteViewSet):
    queryset = Interaction.objects.none()  # for the schema; get_queryset narrows per user
    serializer_class = out.InteractionSerializer
    filterset_class = filters.InteractionFilter
    writer_class = writes.InteractionWriter
    may_write = staticmethod(may_change_customer_data)

    def get_queryset(self):
        return (
            Interaction.objects.visible_to(self.request.user)
            .select_related("customer", "logged_by")
            .prefetch_related("contacts", "our_people")
        )

    @batch_schema(writes.InteractionWriter, "interactions")
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)


class RiskSnapshotViewSet(ReadViewSet):
    """Daily risk snapshots with every factor's risk and weight, the trip-wires and the reasons."""

    queryset = RiskSnapshot.objects.none()  # for the schema; get_queryset narrows per user
    serializer_class = out.RiskSnapshotSerializer
    filterset_class = filters.RiskSnapshotFilter

    def get_queryset(self):
        return restrict(RiskSnapshot.objects.select_related("customer", "model_version"), self.request.user)


class AlertViewSet(ReadViewSet):
    """Alerts as on the Today page: addressed to the user (executives and admins: every visible one)."""

    queryset = Alert.objects.none()  # for the schema; get_queryset narrows per user
    serializer_class = out.AlertSerializer
    filterset_class = filters.AlertFilter

    def get_queryset(self):
        user = self.request.user
        alerts = Alert.objects.visible_to(user).select_related("customer", "closed_by")
        return alerts if sees_all_alerts(user) else alerts.filter(recipients=user)


class TicketViewSet(BatchWriteViewSet):
    queryset = Ticket.objects.none()  # for the schema; get_queryset narrows per user
    serializer_class = out.TicketSerializer
    filterset_class = filters.TicketFilter
    writer_class = writes.TicketWriter
    may_write = staticmethod(may_open_tickets)

    def get_queryset(self):
        return Ticket.objects.visible_to(self.request.user).select_related("customer", "assigned_to")

    @batch_schema(writes.TicketWriter, "tickets")
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)


class OrderViewSet(BatchWriteViewSet):
    queryset = Order.objects.none()  # for the schema; get_queryset narrows per user
    serializer_class = out.OrderSerializer
    filterset_class = filters.OrderFilter
    writer_class = writes.OrderWriter
    may_write = staticmethod(is_admin)

    def get_queryset(self):
        lines = DeliveryLine.objects.select_related("product").order_by("line_no")
        orders = Order.objects.select_related("customer").prefetch_related(Prefetch("lines", queryset=lines))
        return restrict(orders, self.request.user)

    @batch_schema(writes.OrderWriter, "orders")
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)


class DeliveryViewSet(BatchWriteViewSet):
    queryset = DeliveryLine.objects.none()  # for the schema; get_queryset narrows per user
    serializer_class = out.DeliveryLineSerializer
    filterset_class = filters.DeliveryFilter
    writer_class = writes.DeliveryWriter
    may_write = staticmethod(is_admin)

    def get_queryset(self):
        lines = DeliveryLine.objects.select_related("order", "product")
        return restrict(lines, self.request.user, via="order__customer")

    @batch_schema(writes.DeliveryWriter, "delivery lines")
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)
