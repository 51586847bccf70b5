"""What the API's read endpoints answer: one serializer per resource, flat and read-only.

People are named by username; customers by id and code; orders by number. Every related object a
serializer names is loaded by its view's queryset (select_related / prefetch_related / annotations),
so a page costs the same few queries whatever its length.
"""

from rest_framework import serializers

from accounts.models import Alert, Customer, DeliveryLine, Order, RiskSnapshot
from accounts.workspace.alert_text import render_alert
from complaints.models import Ticket
from relationships.models import Contact, Interaction


class CustomerSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    backup_owner = serializers.CharField(source="backup_owner.username", read_only=True, allow_null=True)
    band = serializers.CharField(source="display_band", read_only=True, allow_null=True)
    computed_band = serializers.CharField(source="snapshot_band", read_only=True, allow_null=True)
    score = serializers.FloatField(source="snapshot_score", read_only=True, allow_null=True)
    score_change_7d = serializers.FloatField(source="score_change", read_only=True, allow_null=True)
    scored_on = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id",
            "code",
            "name",
            "industry",
            "region",
            "tier",
            "status",
            "relationship_level",
            "owner",
            "backup_owner",
            "customer_since",
            "churned_on",
            "churn_reason",
            "revenue_12m",
            "band",
            "computed_band",
            "score",
            "score_change_7d",
            "scored_on",
            "updated_at",
        ]
        read_only_fields = fields

    def get_scored_on(self, customer) -> str | None:
        scored_on = self.context.get("scored_on")
        if scored_on is None or customer.snapshot_band is None:
            return None
        return scored_on.isoformat()


class ContactSerializer(serializers.ModelSerializer):
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    internal_owner = serializers.CharField(source="internal_owner.username", read_only=True, allow_null=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "external_id",
            "customer",
            "customer_code",
            "name",
            "title",
            "department",
            "buying_role",
            "influence",
            "trust",
            "internal_owner",
            "email",
            "phone",
            "joined_on",
            "left_on",
        ]
        read_only_fields = fields


class InteractionSerializer(serializers.ModelSerializer):
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    logged_by = serializers.CharField(source="logged_by.username", read_only=True, allow_null=True)
    contacts = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    our_people = serializers.SlugRelatedField(many=True, read_only=True, slug_field="username")

    class Meta:
        model = Interaction
        fields = [
            "id",
            "external_id",
            "customer",
            "customer_code",
            "occurred_on",
            "kind",
            "subject",
            "notes",
            "contacts",
            "our_people",
            "logged_by",
        ]
        read_only_fields = fields


class RiskSnapshotSerializer(serializers.ModelSerializer):
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    model_version = serializers.IntegerField(source="model_version.version", read_only=True)
    factors = serializers.JSONField(read_only=True)
    tripwires = serializers.JSONField(read_only=True)
    reasons = serializers.JSONField(read_only=True)

    class Meta:
        model = RiskSnapshot
        fields = [
            "id",
            "customer",
            "customer_code",
            "as_of",
            "model_version",
            "score",
            "computed_band",
            "band",
            "completeness",
            "factors",
            "tripwires",
            "reasons",
            "score_change_7d",
            "score_change_30d",
            "tier",
            "revenue_12m",
        ]
        read_only_fields = fields


class AlertSerializer(serializers.ModelSerializer):
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    details = serializers.JSONField(read_only=True)
    text = serializers.SerializerMethodField()
    closed_by = serializers.CharField(source="closed_by.username", read_only=True, allow_null=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "customer",
            "customer_code",
            "kind",
            "as_of",
            "details",
            "text",
            "opened_at",
            "closed_at",
            "closed_by",
            "close_note",
        ]
        read_only_fields = fields

    def get_text(self, alert) -> str:
        """The alert's message in the request's language."""
        return render_alert(alert.kind, alert.details)


class TicketSerializer(serializers.ModelSerializer):
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    assigned_to = serializers.CharField(source="assigned_to.username", read_only=True, allow_null=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "external_id",
            "customer",
            "customer_code",
            "contact",
            "kind",
            "category",
            "severity",
            "channel",
            "subject",
            "description",
            "status",
            "department",
            "assigned_to",
            "opened_at",
            "response_due_at",
            "resolution_due_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "escalation_level",
            "satisfaction",
            "recurrence_of",
        ]
        read_only_fields = fields


class DeliveryLineSerializer(serializers.ModelSerializer):
    order = serializers.CharField(source="order.number", read_only=True)
    product = serializers.CharField(source="product.sku", read_only=True)

    class Meta:
        model = DeliveryLine
        fields = [
            "id",
            "order",
            "line_no",
            "product",
            "quantity_ordered",
            "quantity_delivered",
            "promised_on",
            "delivered_on",
        ]
        read_only_fields = fields


class OrderLineSerializer(DeliveryLineSerializer):
    class Meta(DeliveryLineSerializer.Meta):
        fields = [f for f in DeliveryLineSerializer.Meta.fields if f != "order"]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = ["id", "number", "customer", "customer_code", "ordered_on", "amount", "lines"]
        read_only_fields = fields
