"""Writes: purchase criteria, account plans, product needs and incentives (the customer page's
editors). Keyword-only and transactional; a change made on a stale copy is refused.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from keyaccounts.clock import business_today
from keyaccounts.editing import StaleEdit, lock_unchanged

from ..models import (
    AccountPlan,
    Competitor,
    Customer,
    Incentive,
    Product,
    ProductNeed,
    PurchaseCriterion,
)


@transaction.atomic
def criterion_assess(
    *,
    customer: Customer,
    criterion: str,
    importance: int,
    we_meet: bool,
    competitor_meets: bool,
    assessed_on: date,
    competitor: Competitor | None = None,
    notes: str = "",
) -> PurchaseCriterion:
    """Record a dated assessment of one of the customer's purchase criteria.

    Assessments are history: a re-assessment adds a row, and the latest one on or before a date is
    the one the risk score reads for that date.
    """
    criterion = " ".join((criterion or "").split())
    if not criterion:
        raise ValidationError(_("A criterion needs a name."))
    if competitor_meets and competitor is None:
        raise ValidationError(_("Say which competitor meets the criterion."))
    if assessed_on > business_today():
        raise ValidationError(_("An assessment cannot be dated in the future."))
    return PurchaseCriterion.objects.create(
        customer=customer,
        criterion=criterion,
        importance=importance,
        we_meet=we_meet,
        competitor_meets=competitor_meets,
        competitor=competitor if competitor_meets else None,
        assessed_on=assessed_on,
        notes=(notes or "").strip(),
    )


def account_plan_in_force(*, customer: Customer, today: date | None = None) -> AccountPlan | None:
    """The latest review on or before today, as the risk score reads it."""
    return (
        AccountPlan.objects.filter(customer=customer, reviewed_on__lte=today or business_today())
        .order_by("-reviewed_on", "-pk")
        .first()
    )


@transaction.atomic
def account_plan_save(
    *,
    customer: Customer,
    plan: AccountPlan | None,
    version: str,
    customer_strategy: str,
    our_actions: str,
    reviewed_on: date,
    next_review_on: date | None = None,
) -> AccountPlan:
    """Write the account plan the form was opened on (``plan``, None when there was none).

    Plans are dated by their review: the same review date corrects the plan in place, a later one
    records a new review and keeps the earlier plan, so the score can be replayed for past dates.
    Raises StaleEdit when the plan changed, or another plan came into force, since the form opened.
    """
    today = business_today()
    if reviewed_on > today:
        raise ValidationError(_("A review cannot be dated in the future."))
    if next_review_on is not None and next_review_on <= reviewed_on:
        raise ValidationError(_("The next review must come after the last one."))
    # Serialise writers of this customer's plan, so two first plans cannot both be created.
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    in_force = account_plan_in_force(customer=customer, today=today)
    if (in_force.pk if in_force else None) != (plan.pk if plan else None):
        raise StaleEdit
    values = {
        "customer_strategy": customer_strategy.strip(),
        "our_actions": our_actions.strip(),
        "reviewed_on": reviewed_on,
        "next_review_on": next_review_on,
    }
    if plan is None:
        return AccountPlan.objects.create(customer=customer, **values)
    current = lock_unchanged(plan, version)
    if reviewed_on < current.reviewed_on:
        raise ValidationError(_("A review cannot be dated before the last one."))
    if reviewed_on > current.reviewed_on:
        return AccountPlan.objects.create(customer=customer, **values)
    for name, value in values.items():
        setattr(current, name, value)
    current.save()
    return current


def _check_need_dates(*, status: str, identified_on: date, met_on: date | None) -> None:
    if status == ProductNeed.Status.MET:
        if met_on is None:
            raise ValidationError(_("A met need has the date it was met."))
        if met_on < identified_on or met_on > business_today():
            raise ValidationError(_("A need is met on or after it was identified, and not in the future."))
    elif met_on is not None:
        raise ValidationError(_("An open need has no date it was met."))


@transaction.atomic
def product_need_add(
    *,
    customer: Customer,
    description: str,
    status: str,
    identified_on: date,
    product: Product | None = None,
    met_on: date | None = None,
) -> ProductNeed:
    """Record a product the customer needs and whether we supply it."""
    if identified_on > business_today():
        raise ValidationError(_("A need cannot be identified in the future."))
    _check_need_dates(status=status, identified_on=identified_on, met_on=met_on)
    return ProductNeed.objects.create(
        customer=customer,
        description=" ".join(description.split()),
        product=product,
        status=status,
        identified_on=identified_on,
        met_on=met_on,
    )


@transaction.atomic
def product_need_set_status(
    *, need: ProductNeed, version: str, status: str, met_on: date | None = None, product: Product | None = None
) -> ProductNeed:
    """Move a need to met, planned or unmet (and name our product); StaleEdit if it changed meanwhile."""
    current = lock_unchanged(need, version)
    _check_need_dates(status=status, identified_on=current.identified_on, met_on=met_on)
    current.status, current.met_on, current.product = status, met_on, product
    current.save()
    return current


def _check_incentive(*, value, starts_on: date, ends_on: date) -> None:
    if value <= 0:
        raise ValidationError(_("An incentive is worth more than nothing."))
    if ends_on < starts_on:
        raise ValidationError(_("An incentive cannot end before it starts."))


@transaction.atomic
def incentive_add(
    *, customer: Customer, kind: str, value, starts_on: date, ends_on: date, description: str = ""
) -> Incentive:
    """Start (or plan) a discount, rebate, co-promotion or sales contest for the customer."""
    _check_incentive(value=value, starts_on=starts_on, ends_on=ends_on)
    return Incentive.objects.create(
        customer=customer,
        kind=kind,
        description=(description or "").strip(),
        value=value,
        starts_on=starts_on,
        ends_on=ends_on,
    )


@transaction.atomic
def incentive_update(
    *, incentive: Incentive, version: str, kind: str, value, starts_on: date, ends_on: date, description: str = ""
) -> Incentive:
    """Change an incentive's terms; StaleEdit if someone else changed it since the form opened."""
    _check_incentive(value=value, starts_on=starts_on, ends_on=ends_on)
    current = lock_unchanged(incentive, version)
    current.kind, current.value, current.description = kind, value, (description or "").strip()
    current.starts_on, current.ends_on = starts_on, ends_on
    current.save()
    return current


@transaction.atomic
def incentive_end(*, incentive: Incentive, version: str, today: date | None = None) -> Incentive:
    """End a running incentive today, before its planned end; StaleEdit if it changed meanwhile."""
    today = today or business_today()
    current = lock_unchanged(incentive, version)
    if not current.starts_on <= today < current.ends_on:
        raise ValidationError(_("Only a running incentive can be ended early."))
    current.ends_on = today
    current._change_reason = "ended early"
    current.save()
    return current
