from .permissions import (
    ROLE_LABELS,
    is_account_manager,
    is_admin,
    is_executive,
    is_service_desk,
    may_change_customer_data,
    user_roles,
)


def roles(request):
    """The signed-in user's roles, for navigation per role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "role_labels": [ROLE_LABELS[name] for name in sorted(user_roles(user))],
        "is_admin_user": is_admin(user),
        "is_executive_user": is_executive(user),
        "is_service_desk_user": is_service_desk(user),
        "is_account_manager_user": is_account_manager(user),
        "can_edit_customer_data": may_change_customer_data(user),
    }
