"""Reads: what a user may see, shaped for pages. Writes live in services."""

from django.db.models import OuterRef, Q, QuerySet, Subquery

from .models import Customer, RiskSnapshot


def customer_list(*, user, search: str = "") -> QuerySet[Customer]:
    """The user's visible customers with their latest risk band and score, in one query."""
    latest = RiskSnapshot.objects.filter(customer=OuterRef("pk")).order_by("-as_of")
    customers = (
        Customer.objects.visible_to(user)
        .select_related("owner", "backup_owner")
        .annotate(
            latest_band=Subquery(latest.values("band")[:1]),
            latest_score=Subquery(latest.values("score")[:1]),
        )
    )
    if search:
        customers = customers.filter(Q(name__icontains=search) | Q(code__iexact=search))
    return customers.order_by("-revenue_12m", "name")
