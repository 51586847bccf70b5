"""The four role groups and the model permissions each of them holds after migrate."""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.permissions import ROLE_ACCOUNT_MANAGER, ROLE_ADMIN, ROLE_EXECUTIVE, ROLE_LABELS, ROLE_SERVICE_DESK
from accounts.role_groups import BUSINESS_APPS
from keyaccounts.tests import factories as f

ROLE_GROUPS_MIGRATION = ("accounts", "0002_role_groups")


def business_model_names() -> set[str]:
    """Every model of the three business apps, history tables included, as Django names them."""
    return {model._meta.model_name for label in BUSINESS_APPS for model in apps.get_app_config(label).get_models()}


def group_codenames(name: str) -> set[str]:
    return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))


def run_role_groups_migration(direction: str) -> None:
    """Run the data migration's forward or backward step against the models as it knew them."""
    module = importlib.import_module("accounts.migrations.0002_role_groups")
    state_apps = MigrationExecutor(connection).loader.project_state(ROLE_GROUPS_MIGRATION).apps
    operation = module.Migration.operations[0]
    step = operation.code if direction == "forward" else operation.reverse_code
    step(state_apps, None)


# Groups -----------------------------------------------------------------------------------------


def test_migrate_leaves_exactly_the_four_role_groups(db):
    assert set(Group.objects.values_list("name", flat=True)) == {
        "account_managers",
        "executives",
        "service_desk",
        "admins",
    }


def test_role_groups_migration_creates_the_four_groups(db):
    Group.objects.filter(name__in=ROLE_LABELS).delete()
    run_role_groups_migration("forward")
    assert set(Group.objects.filter(name__in=ROLE_LABELS).values_list("name", flat=True)) == set(ROLE_LABELS)


def test_role_groups_migration_is_reversible(db):
    run_role_groups_migration("backward")
    assert not Group.objects.filter(name__in=ROLE_LABELS).exists()


# Executives -------------------------------------------------------------------------------------


def test_executives_may_view_every_business_model(db):
    assert group_codenames(ROLE_EXECUTIVE) == {f"view_{name}" for name in business_model_names()}


def test_executive_cannot_change_a_customer(erin):
    assert erin.has_perm("accounts.view_customer")
    assert not erin.has_perm("accounts.change_customer")


# Service desk -----------------------------------------------------------------------------------


def test_service_desk_may_change_tickets(sam):
    assert sam.has_perm("complaints.change_ticket")


def test_service_desk_may_add_to_a_ticket_history(sam):
    assert sam.has_perm("complaints.add_ticketevent")


def test_service_desk_may_view_but_not_change_customers(sam):
    assert sam.has_perm("accounts.view_customer")
    assert not sam.has_perm("accounts.change_customer")


def test_service_desk_may_delete_nothing(db):
    assert not {codename for codename in group_codenames(ROLE_SERVICE_DESK) if codename.startswith("delete_")}


# Account managers -------------------------------------------------------------------------------


def test_account_manager_may_change_customers(alice):
    assert alice.has_perm("accounts.change_customer")


def test_account_manager_may_add_contacts(alice):
    assert alice.has_perm("relationships.add_contact")


def test_account_manager_may_not_delete_customers(alice):
    assert not alice.has_perm("accounts.delete_customer")


def test_account_manager_may_not_change_risk_model_weights(alice):
    # Weights are versioned and activated by an admin only.
    assert alice.has_perm("accounts.view_riskmodelversion")
    assert not alice.has_perm("accounts.change_riskmodelversion")


# Admins -----------------------------------------------------------------------------------------


def test_admins_hold_every_permission_of_the_business_apps(db):
    every = set(Permission.objects.filter(content_type__app_label__in=BUSINESS_APPS).values_list("codename", flat=True))
    assert {"delete_customer", "change_riskmodelversion", "delete_ticket", "change_slapolicy"} <= every
    assert group_codenames(ROLE_ADMIN) == every


def test_admin_may_delete_a_customer(db):
    admin = f.UserFactory(username="ada", role=ROLE_ADMIN)
    assert admin.has_perm("accounts.delete_customer")


@pytest.mark.parametrize("role", [ROLE_ACCOUNT_MANAGER, ROLE_EXECUTIVE, ROLE_SERVICE_DESK, ROLE_ADMIN])
def test_role_groups_hold_no_permission_outside_the_business_apps(db, role):
    # Managing users and groups is for superusers, not for any business role.
    outside = Group.objects.get(name=role).permissions.exclude(content_type__app_label__in=BUSINESS_APPS)
    assert list(outside.values_list("codename", flat=True)) == []
