"""Filters of the API's lists (django-filter), with inputs bounded so none reaches the database
as something it would refuse: dates within the clock's range, ids within a 64-bit integer.

A bad value is a 400 naming the parameter (DRF's filter backend raises the form's errors).
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from accounts.models import (
    Alert,
    AlertKind,
    Customer,
    CustomerStatus,
    DeliveryLine,
    Industry,
    Order,
    Region,
    RiskBand,
    RiskSnapshot,
    Tier,
)
from complaints.models import Severity, Ticket
from keyaccounts.clock import date_in_range, day_start
from relationships.models import Contact, Department, Interaction, InteractionKind

from .fields import out_of_range_message

MAX_ID = 2**63 - 1


class DayFormField(forms.DateField):
    def validate(self, value):
        super().validate(value)
        if value is not None and not date_in_range(value):
            raise ValidationError(out_of_range_message(), code="out_of_range")


class DayFilter(django_filters.DateFilter):
    field_class = DayFormField


class IdFormField(forms.IntegerField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class IdFilter(django_filters.NumberFilter):
    field_class = IdFormField


def _since(field: str):
    """A filter method: records whose ``field`` (a datetime) is on or after the day's start."""

    def method(queryset, name, value):
        return queryset.filter(**{f"{field}__gte": day_start(value)})

    return method


BAND_CHOICES = [*RiskBand.choices, ("none", "none")]


class CustomerFilter(django_filters.FilterSet):
    code = django_filters.CharFilter(field_name="code")
    tier = django_filters.ChoiceFilter(choices=Tier.choices)
    status = django_filters.ChoiceFilter(choices=CustomerStatus.choices)
    industry = django_filters.ChoiceFilter(choices=Industry.choices)
    region = django_filters.ChoiceFilter(choices=Region.choices)
    owner = django_filters.CharFilter(field_name="owner__username")
    band = django_filters.ChoiceFilter(choices=BAND_CHOICES, method="filter_band", label="band shown (or none)")
    updated_since = DayFilter(method=_since("updated_at"), label="changed on or after this day")

    class Meta:
        model = Customer
        fields = ["code", "tier", "status", "industry", "region", "owner", "band", "updated_since"]

    def filter_band(self, queryset, name, value):
        if value == "none":
            return queryset.filter(display_band__isnull=True)
        return queryset.filter(display_band=value)


class CustomerScopedFilter(django_filters.FilterSet):
    """Filters every record that hangs off a customer shares."""

    customer = IdFilter(field_name="customer_id")
    customer_code = django_filters.CharFilter(field_name="customer__code")


class ContactFilter(CustomerScopedFilter):
    external_id = django_filters.CharFilter()
    department = django_filters.ChoiceFilter(choices=Department.choices)
    active = django_filters.BooleanFilter(field_name="left_on", lookup_expr="isnull", label="still at the customer")

    class Meta:
        model = Contact
        fields = ["customer", "customer_code", "external_id", "department", "active"]


class InteractionFilter(CustomerScopedFilter):
    external_id = django_filters.CharFilter()
    kind = django_filters.ChoiceFilter(choices=InteractionKind.choices)
    occurred_after = DayFilter(field_name="occurred_on", lookup_expr="gte")
    occurred_before = DayFilter(field_name="occurred_on", lookup_expr="lte")

    class Meta:
        model = Interaction
        fields = ["customer", "customer_code", "external_id", "kind", "occurred_after", "occurred_before"]


class RiskSnapshotFilter(CustomerScopedFilter):
    as_of = DayFilter()
    as_of_after = DayFilter(field_name="as_of", lookup_expr="gte")
    as_of_before = DayFilter(field_name="as_of", lookup_expr="lte")
    band = django_filters.ChoiceFilter(choices=RiskBand.choices)

    class Meta:
        model = RiskSnapshot
        fields = ["customer", "customer_code", "as_of", "as_of_after", "as_of_before", "band"]


class AlertFilter(CustomerScopedFilter):
    kind = django_filters.ChoiceFilter(choices=AlertKind.choices)
    open = django_filters.BooleanFilter(field_name="closed_at", lookup_expr="isnull", label="not closed yet")
    as_of_after = DayFilter(field_name="as_of", lookup_expr="gte")

    class Meta:
        model = Alert
        fields = ["customer", "customer_code", "kind", "open", "as_of_after"]


class TicketFilter(CustomerScopedFilter):
    external_id = django_filters.CharFilter()
    status = django_filters.ChoiceFilter(choices=Ticket.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Ticket.Kind.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    open = django_filters.BooleanFilter(method="filter_open", label="still being worked")
    opened_since = DayFilter(method=_since("opened_at"), label="opened on or after this day")

    class Meta:
        model = Ticket
        fields = ["customer", "customer_code", "external_id", "status", "kind", "severity", "open", "opened_since"]

    def filter_open(self, queryset, name, value):
        still = Q(status__in=Ticket.OPEN_STATUSES)
        return queryset.filter(still if value else ~still)


class OrderFilter(CustomerScopedFilter):
    number = django_filters.CharFilter()
    ordered_after = DayFilter(field_name="ordered_on", lookup_expr="gte")
    ordered_before = DayFilter(field_name="ordered_on", lookup_expr="lte")

    class Meta:
        model = Order
        fields = ["customer", "customer_code", "number", "ordered_after", "ordered_before"]


class DeliveryFilter(django_filters.FilterSet):
    order = django_filters.CharFilter(field_name="order__number", label="the order's number")
    customer_code = django_filters.CharFilter(field_name="order__customer__code")
    promised_after = DayFilter(field_name="promised_on", lookup_expr="gte")
    promised_before = DayFilter(field_name="promised_on", lookup_expr="lte")

    class Meta:
        model = DeliveryLine
        fields = ["order", "customer_code", "promised_after", "promised_before"]
