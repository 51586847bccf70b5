"""What one import knows while it runs: the outcome so far, the lookups (customers this user may
change, users, products, competitors), one row's cells and their conversion, choice lists."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from accounts.models import Competitor, Customer, Product
from accounts.permissions import CHANGE, is_account_manager, is_admin

from .cells import CellError, text
from .formats import Format

MAX_ERRORS_SHOWN = 500


@dataclass
class Outcome:
    kind: str
    rows: int = 0
    counts: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    error_count: int = 0
    applied: bool = False

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "rows": self.rows,
            "counts": self.counts,
            "errors": self.errors,
            "error_count": self.error_count,
            "applied": self.applied,
        }

    def summary(self) -> str:
        created = sum(c.get("created", 0) for c in self.counts.values())
        updated = sum(c.get("updated", 0) for c in self.counts.values())
        unchanged = sum(c.get("unchanged", 0) for c in self.counts.values())
        return (
            f"{self.kind}: {self.rows} rows, {created} created, {updated} updated, {unchanged} unchanged, "
            f"{self.error_count} errors{'' if self.applied else ' (nothing written)'}"
        )


def may_import(user, fmt: Format) -> bool:
    """Admins import every kind; account managers the kinds of their own customers' records."""
    if is_admin(user):
        return True
    return fmt.managers_may_import and is_account_manager(user)


class Context:
    """What one import knows while it reads: the user, the lookups, the errors so far."""

    def __init__(self, fmt: Format, user, present: set[str], outcome: Outcome):
        self.fmt = fmt
        self.user = user
        self.admin = is_admin(user)
        self.present = present
        self.outcome = outcome
        self._customers = None
        self._users = None
        self._products = None
        self._competitors = None
        self.new_products = 0
        self.new_competitors = 0

    # Errors ------------------------------------------------------------------------------
    def error(self, row: int | None, column: str, value, why: str) -> None:
        self.outcome.error_count += 1
        if len(self.outcome.errors) < MAX_ERRORS_SHOWN:
            shown = "" if value is None else str(value)
            self.outcome.errors.append(
                {"row": row, "column": column, "value": shown[:80].replace("\x00", "\\0"), "why": str(why)}
            )

    @property
    def failed(self) -> bool:
        return self.outcome.error_count > 0

    def has(self, key: str) -> bool:
        return key in self.present

    # Lookups -----------------------------------------------------------------------------
    @property
    def customers(self) -> dict[str, tuple]:
        """Customer code → (id, customer since, tier, owner id): those this user may change."""
        if self._customers is None:
            queryset = Customer.objects.all() if self.admin else Customer.objects.visible_to(self.user, CHANGE)
            self._customers = {
                code: (pk, since, tier, owner)
                for code, pk, since, tier, owner in queryset.values_list(
                    "code", "pk", "customer_since", "tier", "owner_id"
                ).iterator(chunk_size=10000)
            }
        return self._customers

    def customer(self, raw) -> tuple:
        code = text(raw)
        found = self.customers.get(code)
        if found is None:
            if self.admin:
                raise CellError(_("no customer has this code"))
            raise CellError(_("no customer of yours has this code"))
        return found

    @property
    def users(self) -> dict[str, int]:
        if self._users is None:
            self._users = {}
            rows = get_user_model().objects.filter(is_active=True).values_list(Lower("username"), Lower("email"), "pk")
            for username, email, pk in rows:
                self._users[username] = pk
                if email:
                    self._users.setdefault(email, pk)
        return self._users

    def user_id(self, raw) -> int | None:
        name = text(raw).lower()
        if not name:
            return None
        found = self.users.get(name)
        if found is None:
            raise CellError(_("no active user has this username or e-mail"))
        return found

    def product_id(self, raw, name_raw=None, *, create: bool) -> int | None:
        sku = text(raw)
        if not sku:
            return None
        if len(sku) > 40:
            raise CellError(_("is longer than %(n)d characters") % {"n": 40})
        if self._products is None:
            self._products = dict(Product.objects.values_list("sku", "pk"))
        found = self._products.get(sku)
        if found is None:
            if not create:
                raise CellError(_("no product has this SKU"))
            name = (text(name_raw) if name_raw is not None else "") or sku
            found = Product.objects.create(sku=sku, name=name[:200]).pk
            self._products[sku] = found
            self.new_products += 1
        return found

    def competitor_id(self, raw) -> int | None:
        name = text(raw)
        if not name:
            return None
        if len(name) > 200:
            raise CellError(_("is longer than %(n)d characters") % {"n": 200})
        if self._competitors is None:
            self._competitors = {n.lower(): pk for n, pk in Competitor.objects.values_list("name", "pk")}
        found = self._competitors.get(name.lower())
        if found is None:
            found = Competitor.objects.create(name=name).pk
            self._competitors[name.lower()] = found
            self.new_competitors += 1
        return found


class Row:
    """One data row: ``row(key, converter, …)`` converts a cell or records why not."""

    def __init__(self, ctx: Context, number: int, raw: dict):
        self.ctx = ctx
        self.number = number
        self.raw = raw
        self.ok = True

    def __call__(self, key: str, convert: Callable, *args, required: bool = False, **kwargs):
        raw = self.raw.get(key)
        try:
            value = convert(raw, *args, **kwargs)
        except CellError as error:
            self.fail(key, str(error))
            return None
        if required and value in (None, ""):
            self.fail(key, _("is required"))
        return value

    def fail(self, key: str, why: str) -> None:
        self.ctx.error(self.number, key, self.raw.get(key), why)
        self.ok = False


def choice(choices) -> Callable:
    """A converter that accepts a choice's code, its English label or its Chinese label."""
    from django.utils import translation

    accepted = {}
    for value, label in choices.choices:
        accepted[str(value).lower()] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                accepted[str(label).strip().lower()] = value

    def convert(raw):
        found = text(raw)
        if not found:
            return None
        try:
            return accepted[found.lower()]
        except KeyError:
            raise CellError(
                _("is not one of: %(values)s") % {"values": ", ".join(str(v) for v in choices.values)}
            ) from None

    return convert
