"""The four roles, as Django groups created by a migration, and how to read them off a user."""

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
    return bool(user.is_superuser or ROLE_ADMIN in user_roles(user))


def is_executive(user) -> bool:
    return ROLE_EXECUTIVE in user_roles(user)


def is_service_desk(user) -> bool:
    return ROLE_SERVICE_DESK in user_roles(user)


def is_account_manager(user) -> bool:
    return ROLE_ACCOUNT_MANAGER in user_roles(user)


def can_edit_customer_data(user) -> bool:
    """Executives read everything and change nothing; service desk changes tickets only."""
    return is_admin(user) or is_account_manager(user)
