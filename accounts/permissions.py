"""The one door for permissions: who may see and who may change what, and every role check.

Roles are Django groups created by a migration (`account_managers`, `executives`,
`service_desk`, `admins`). Everything else in the code asks this module, never a group name:

- `restrict(queryset, user, action=...)` narrows any queryset of customers or of records that
  hang off a customer (``customer`` foreign key) to what the user may see (``"view"``) or change
  (``"change"``). The models' ``visible_to(user, action=...)`` managers call it.
- `customer_for(request, pk, action=...)` is the views' way to load one customer: 404 when the
  user may not see it (ids do not leak), 403 when they may see it but not change it.
- the ``may_*`` predicates answer the role questions pages and admin ask (the dashboard, the
  model quality pages, the service desk's intake, reading every customer, changing customer data,
  a customer's account data — its owner and admins only —, handovers).

An account manager sees the customers they own, back up or are on the account team of;
executives, the service desk and admins see every customer. Executives change nothing; the
service desk changes tickets only; account managers change their own customers' records.
"""

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

ROLE_ACCOUNT_MANAGER = "account_managers"
ROLE_EXECUTIVE = "executives"
ROLE_SERVICE_DESK = "service_desk"
ROLE_ADMIN = "admins"

ROLE_LABELS = {
    ROLE_ACCOUNT_MANAGER: _("Account manager"),
    ROLE_EXECUTIVE: _("Executive"),
    ROLE_SERVICE_DESK: _("Service desk"),
    ROLE_ADMIN: _("Administrator"),
}

# Roles that see every customer.
WHOLE_BOOK_ROLES = frozenset({ROLE_ADMIN, ROLE_EXECUTIVE, ROLE_SERVICE_DESK})
# Roles that may change a customer's records (contacts, plans, overrides…) of the customers they see.
CUSTOMER_EDITOR_ROLES = frozenset({ROLE_ADMIN, ROLE_ACCOUNT_MANAGER})
# Roles whose members work tickets and may be assigned one.
TICKET_WORKER_ROLES = (ROLE_ACCOUNT_MANAGER, ROLE_SERVICE_DESK, ROLE_ADMIN)
# Records the service desk changes as well (model names).
SERVICE_DESK_RECORDS = frozenset({"ticket", "ticketevent"})

VIEW = "view"
CHANGE = "change"
ACTIONS = (VIEW, CHANGE)


def user_roles(user) -> set[str]:
    """The names of the role groups a user belongs to, cached on the user for the request."""
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_keyaccounts_roles", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=ROLE_LABELS).values_list("name", flat=True))
        user._keyaccounts_roles = cached
    return cached


def is_admin(user) -> bool:
    return bool(getattr(user, "is_superuser", False) or ROLE_ADMIN in user_roles(user))


def is_executive(user) -> bool:
    return ROLE_EXECUTIVE in user_roles(user)


def is_service_desk(user) -> bool:
    return ROLE_SERVICE_DESK in user_roles(user)


def is_account_manager(user) -> bool:
    return ROLE_ACCOUNT_MANAGER in user_roles(user)


def may_see_every_customer(user) -> bool:
    """Executives, the service desk and admins read the whole book; account managers their own."""
    return is_admin(user) or bool(user_roles(user) & WHOLE_BOOK_ROLES)


def may_change_customer_data(user) -> bool:
    """Executives read everything and change nothing; the service desk changes tickets only."""
    return is_admin(user) or is_account_manager(user)


def may_edit_account_data(user, customer) -> bool:
    """A customer's account data (relationship level, peak months, backup owner, account team,
    churn and win-back): its owner and admins; backup owner, team and executives read it."""
    return is_admin(user) or (is_account_manager(user) and customer.owner_id == user.pk)


def may_hand_over(user) -> bool:
    """Handing a leaving salesperson's book to successors: admins and executives."""
    return is_admin(user) or is_executive(user)


def may_open_tickets(user) -> bool:
    """Account managers record their customers' complaints; the service desk records anyone's."""
    return may_change_customer_data(user) or is_service_desk(user)


def may_see_portfolio(user) -> bool:
    """The executive dashboard and the portfolio-wide records are for executives and admins."""
    return is_admin(user) or is_executive(user)


def may_see_model_quality(user) -> bool:
    """The model quality pages (backtests of the risk model, started and read there): executives
    and admins, like the dashboard."""
    return is_admin(user) or is_executive(user)


def sees_all_alerts(user) -> bool:
    """Executives and admins see every visible alert; others the alerts addressed to them."""
    return is_admin(user) or is_executive(user)


def holds_role_q(*roles: str) -> Q:
    """Active users holding any of ``roles``, as a filter on users: whom to notify or offer."""
    return Q(is_active=True, groups__name__in=roles)


def customer_holders_q() -> Q:
    """Users who may hold a customer (owner, backup owner, account team): the customer editors."""
    return customer_editors_q()


def customer_editors_q() -> Q:
    """Active users who may change customer data (account managers, admins, superusers)."""
    return Q(is_active=True) & (Q(groups__name__in=CUSTOMER_EDITOR_ROLES) | Q(is_superuser=True))


def may(user, action: str, model_name: str) -> bool:
    """May the user ``action`` records of this kind (for the customers they see)?"""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if action == VIEW:
        return True
    if may_change_customer_data(user):
        return True
    return is_service_desk(user) and model_name in SERVICE_DESK_RECORDS


def restrict(queryset: QuerySet, user, *, action: str = VIEW, via: str | None = None) -> QuerySet:
    """The records of ``queryset`` the user may ``action``.

    ``via`` is the path from the model to its customer ("customer" by default; "" when the
    queryset is of customers themselves).
    """
    model = queryset.model
    customer_model = apps.get_model("accounts", "Customer")
    if via is None:
        via = "" if model is customer_model else "customer"
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    if not may(user, action, model._meta.model_name):
        return queryset.none()
    if may_see_every_customer(user):
        return queryset
    # The customers' ids as a union, each side served by its own index: an OR of the three makes
    # PostgreSQL scan every customer (measured at 100,000: ~45 ms against ~5 ms) and guess tens
    # of thousands of rows for a manager's thousand, which misleads every plan built on it.
    return queryset.filter(**{f"{via}__in" if via else "pk__in": own_customer_ids(user)})


def own_customer_ids(user) -> QuerySet:
    """The ids of the customers of `own_customer_parts`, as one union (of dicts with "pk"); the
    team's straight from the team table."""
    owned, backed, _team = own_customer_parts(user)
    return owned.order_by().values("pk").union(backed.order_by().values("pk"), _team_customer_ids(user))


# Up to this many customers of a user who sees part of the book are read as a list of ids
# (`own_customer_id_list`); a larger book keeps the subquery.
CUSTOMER_ID_LIST_LIMIT = 5000


def own_customer_id_list(user) -> list[int] | None:
    """The ids of the customers a user who sees part of the book sees, as a list (one query), or
    None when they see the whole book, none of it, or more than `CUSTOMER_ID_LIST_LIMIT`. Given to
    PostgreSQL as a list, the ids are known to it: it reads a list in the order of an index and
    stops at a page, where the union joined back to the customers made it scan every one."""
    if not sees_part_of_the_book(user):
        return None
    return capped_id_list(list(own_customer_ids(user).values_list("pk", flat=True)[: CUSTOMER_ID_LIST_LIMIT + 1]))


def capped_id_list(ids: list[int]) -> list[int] | None:
    """``ids`` read with a limit of ``CUSTOMER_ID_LIST_LIMIT + 1``: the list, or None when it
    passed the limit (the caller keeps the subquery)."""
    return None if len(ids) > CUSTOMER_ID_LIST_LIMIT else ids


def _team_customer_ids(user) -> QuerySet:
    customer_model = apps.get_model("accounts", "Customer")
    return customer_model.account_team.through.objects.filter(user_id=user.pk).values("customer_id")


def sees_part_of_the_book(user, action: str = VIEW) -> bool:
    """The user may ``action`` some customers but not every one: their own (`own_customer_parts`)."""
    return (
        getattr(user, "is_authenticated", False)
        and user.is_active
        and may(user, action, "customer")
        and not may_see_every_customer(user)
    )


def own_customer_parts(user) -> tuple[QuerySet, QuerySet, QuerySet]:
    """The customers a user who does not see the whole book sees, in three parts each read
    through its own index: those they own, those they back up, those whose team they are on."""
    customer_model = apps.get_model("accounts", "Customer")
    return (
        customer_model.objects.filter(owner_id=user.pk),
        customer_model.objects.filter(backup_owner_id=user.pk),
        customer_model.objects.filter(pk__in=_team_customer_ids(user)),
    )


def customer_for(request, pk, *, action: str = VIEW, queryset: QuerySet | None = None):
    """The customer ``pk`` for a view: 404 if the user may not see it, 403 if they may see but
    not ``action`` it."""
    customer_model = apps.get_model("accounts", "Customer")
    if queryset is None:
        queryset = customer_model.objects.select_related("owner", "backup_owner")
    try:
        customer = restrict(queryset, request.user, action=VIEW).get(pk=pk)
    except (customer_model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if action != VIEW and not may(request.user, action, "customer"):
        raise PermissionDenied
    return customer


def for_customer(request, queryset: QuerySet, *, customer, pk, action: str = VIEW):
    """A record of ``customer`` (already loaded through `customer_for`) by its id, else 404."""
    try:
        record = queryset.get(customer=customer, pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if action != VIEW and not may(request.user, action, queryset.model._meta.model_name):
        raise PermissionDenied
    return record
