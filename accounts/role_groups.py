"""Model permissions of each role group, synchronised after every migrate.

Groups are created by a migration; their permissions are attached here because Django creates
permission rows only after migrations have run (post_migrate).
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

from .permissions import ROLE_ACCOUNT_MANAGER, ROLE_ADMIN, ROLE_EXECUTIVE, ROLE_SERVICE_DESK

BUSINESS_APPS = ("accounts", "relationships", "complaints", "plays")

# Models account managers maintain for their own customers.
ACCOUNT_MANAGER_MODELS = {
    "customer",
    "order",
    "deliveryline",
    "pricebenchmark",
    "purchasecriterion",
    "accountplan",
    "productneed",
    "incentive",
    "competitorintel",
    "riskoverride",
    "contact",
    "interaction",
    "cadence",
    "ticket",
    "ticketevent",
    "play",
    "playstep",
}
SERVICE_DESK_MODELS = {"ticket", "ticketevent"}


def _codenames(model_names, actions):
    return {f"{action}_{model}" for model in model_names for action in actions}


def sync_role_permissions(**kwargs) -> None:
    # post_migrate fires per app in INSTALLED_APPS order; the other business apps' permission
    # rows may not exist yet when this runs after "accounts", so create them first.
    for label in BUSINESS_APPS:
        create_permissions(global_apps.get_app_config(label), verbosity=0)
    perms = Permission.objects.filter(content_type__app_label__in=BUSINESS_APPS).select_related("content_type")
    by_codename = {p.codename: p for p in perms}
    all_models = {p.content_type.model for p in perms}
    wanted = {
        ROLE_ADMIN: set(by_codename),
        ROLE_EXECUTIVE: _codenames(all_models, ["view"]),
        ROLE_ACCOUNT_MANAGER: _codenames(all_models, ["view"]) | _codenames(ACCOUNT_MANAGER_MODELS, ["add", "change"]),
        ROLE_SERVICE_DESK: _codenames(all_models, ["view"]) | _codenames(SERVICE_DESK_MODELS, ["add", "change"]),
    }
    for group_name, codenames in wanted.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.set([by_codename[c] for c in codenames if c in by_codename])
