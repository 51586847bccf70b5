"""The demo's logins: one per role plus a team of account managers, all with one known password."""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from accounts.people import person_name
from accounts.permissions import ROLE_ACCOUNT_MANAGER, ROLE_ADMIN, ROLE_EXECUTIVE, ROLE_SERVICE_DESK

from . import names

DEMO_PASSWORD = "keyaccounts-demo"
# Demo users are recognised by this e-mail domain, so a flush never touches a real login.
DEMO_EMAIL_DOMAIN = "demo.keyaccounts.example"
MIN_MANAGERS = 8
MAX_MANAGERS = 200
CUSTOMERS_PER_MANAGER = 150


class DemoUserClash(Exception):
    """A username the demo needs belongs to a real (non-demo) user."""

    def __init__(self, usernames: list[str]):
        super().__init__(", ".join(usernames))
        self.usernames = usernames


@dataclass(frozen=True)
class DemoUser:
    """A created login, for the summary table and for wiring the generated data to people."""

    pk: int
    username: str
    role: str
    first_name: str
    last_name: str

    @property
    def full_name(self) -> str:
        return person_name(self.first_name, self.last_name)


@dataclass(frozen=True)
class DemoStaff:
    """Everyone the generated data refers to."""

    admin: DemoUser
    executive: DemoUser
    service: DemoUser
    managers: list[DemoUser]

    @property
    def everyone(self) -> list[DemoUser]:
        return [self.admin, self.executive, self.service, *self.managers]


def manager_count(customers: int) -> int:
    return max(MIN_MANAGERS, min(MAX_MANAGERS, round(customers / CUSTOMERS_PER_MANAGER)))


def demo_users():
    return get_user_model().objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}")


def delete_demo_users() -> int:
    return demo_users().delete()[0]


def create_demo_users(*, rng: random.Random, managers: int) -> DemoStaff:
    """Create the demo logins (the caller has removed earlier demo users)."""
    User = get_user_model()
    specs = [
        ("admin", ROLE_ADMIN, True),
        ("exec", ROLE_EXECUTIVE, False),
        ("service", ROLE_SERVICE_DESK, False),
    ] + [(f"am{n:02d}", ROLE_ACCOUNT_MANAGER, False) for n in range(1, managers + 1)]
    clashes = list(User.objects.filter(username__in=[s[0] for s in specs]).values_list("username", flat=True))
    if clashes:
        raise DemoUserClash(sorted(clashes))
    staff_names = list(names.STAFF_NAMES)
    rng.shuffle(staff_names)
    # One hash for every demo login: hashing is deliberately slow, and the password is public anyway.
    password = make_password(DEMO_PASSWORD)
    users = []
    for number, (username, _role, is_admin) in enumerate(specs):
        if number < len(staff_names):
            first_name, last_name = staff_names[number]
        else:
            first_name, last_name = _random_name(rng)
        users.append(
            User(
                username=username,
                email=f"{username}@{DEMO_EMAIL_DOMAIN}",
                first_name=first_name,
                last_name=last_name,
                password=password,
                is_staff=is_admin,
                is_superuser=is_admin,
            )
        )
    User.objects.bulk_create(users)
    pks = dict(User.objects.filter(username__in=[s[0] for s in specs]).values_list("username", "pk"))
    groups = dict(Group.objects.filter(name__in={s[1] for s in specs}).values_list("name", "pk"))
    missing = {s[1] for s in specs} - set(groups)
    if missing:
        raise Group.DoesNotExist(f"role groups missing (run migrate): {sorted(missing)}")
    Membership = User.groups.through
    Membership.objects.bulk_create(
        [Membership(user_id=pks[username], group_id=groups[role]) for username, role, _ in specs]
    )
    created = [
        DemoUser(pks[u.username], u.username, role, u.first_name, u.last_name)
        for u, (_, role, _) in zip(users, specs, strict=True)
    ]
    return DemoStaff(admin=created[0], executive=created[1], service=created[2], managers=created[3:])


def _random_name(rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.5:
        return rng.choice(names.ZH_GIVEN_NAMES)[0], rng.choice(names.ZH_SURNAMES)[0]
    return rng.choice(names.EN_FIRST_NAMES), rng.choice(names.EN_LAST_NAMES)
