"""``manage.py seed_demo``: fill the database with deterministic, realistic demo data."""

import argparse
import sys
import time
import unicodedata
from collections.abc import Iterable
from datetime import date

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError
from django.utils.translation import gettext as _
from tqdm import tqdm

from accounts.demo.seeder import CustomersExist, SeedResult, seed_demo
from accounts.demo.users import DEMO_PASSWORD, DemoUserClash, demo_users
from accounts.models import Customer
from accounts.permissions import ROLE_LABELS
from keyaccounts.clock import business_today

MANAGERS_LISTED = 8


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(_("must be a whole number of at least 1, not %(value)r") % {"value": value})
    return number


class Command(BaseCommand):
    """Builds the demo data set in one transaction and prints the logins and row counts."""

    @property
    def help(self) -> str:  # argparse needs a plain string, translated when the parser is built
        return _(
            "Fill the database with demo data: customers with three years of orders, contacts, interactions, "
            "tickets and churn stories, plus demo logins. The same --seed and --today give the same data."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=_positive, default=300, help=_("Number of customers (default 300)."))
        parser.add_argument(
            "--managers",
            type=_positive,
            default=None,
            help=_(
                "Number of account managers (am01, am02, …) who own the customers (default: one per 150 customers, "
                "at least 8, at most 200)."
            ),
        )
        parser.add_argument("--seed", type=int, default=42, help=_("Random seed (default 42)."))
        parser.add_argument(
            "--today",
            default=None,
            help=_("The day the history ends, as YYYY-MM-DD (default: today)."),
        )
        parser.add_argument(
            "--flush",
            action="store_true",
            help=_("Delete the existing business data and demo users first."),
        )

        parser.add_argument(
            "--orders-only",
            action="store_true",
            help=_(
                "Only customers (with their owners) and their orders, as an ERP's order log has them: no delivery "
                "lines, contacts, interactions, tickets, criteria, benchmarks, plans or churn records."
            ),
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help=_("Do nothing (but list the demo logins) when the database already has customers."),
        )

    def handle(self, *args, **options) -> None:
        if options.get("if_empty") and not options["flush"] and Customer.objects.exists():
            self._existing_logins()
            return
        try:
            customers = _positive(str(options["customers"]))
        except argparse.ArgumentTypeError as exc:
            raise CommandError(f"--customers {exc}") from exc
        managers = options.get("managers")
        if managers is not None:
            try:
                managers = _positive(str(managers))
            except argparse.ArgumentTypeError as exc:
                raise CommandError(f"--managers {exc}") from exc
        today = self._today(options["today"])
        show_progress = options["verbosity"] >= 1
        started = time.monotonic()
        try:
            result = seed_demo(
                customers=customers,
                seed=int(options["seed"]),
                today=today,
                flush=options["flush"],
                orders_only=options.get("orders_only", False),
                managers=managers,
                progress=_progress if show_progress else None,
            )
        except CustomersExist as exc:
            raise CommandError(
                _(
                    "The database already has customers; nothing was changed. Run again with --flush to delete "
                    "the business data and the demo users first."
                )
            ) from exc
        except IntegrityError as exc:
            raise CommandError(
                _(
                    "The demo data clashes with rows already in the database (%(error)s). Nothing was changed; "
                    "run again with --flush to delete the business data first."
                )
                % {"error": str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__}
            ) from exc
        except DemoUserClash as exc:
            raise CommandError(
                _("These usernames belong to users that are not demo users: %(names)s. Nothing was changed.")
                % {"names": ", ".join(exc.usernames)}
            ) from exc
        if options["verbosity"] >= 1:
            self._report(result, seconds=time.monotonic() - started, seed=options["seed"], today=today)

    def _existing_logins(self) -> None:
        out = self.stdout.write
        out(_("The database already has customers; demo data left as it is."))
        users = list(demo_users().order_by("username").values_list("username", flat=True)[: MANAGERS_LISTED + 3])
        if users:
            out(
                _("Demo logins (password for all: %(password)s): %(names)s")
                % {"password": DEMO_PASSWORD, "names": ", ".join(users)}
            )

    def _today(self, value) -> date:
        if value is None or value == "":
            return business_today()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise CommandError(_("--today must be a date as YYYY-MM-DD, not %(value)r.") % {"value": value}) from exc

    def _report(self, result: SeedResult, *, seconds: float, seed: int, today: date) -> None:
        out = self.stdout.write
        out(
            self.style.SUCCESS(
                _("Demo data ready in %(seconds).1f s (seed %(seed)s, today %(today)s).")
                % {"seconds": seconds, "seed": seed, "today": today.isoformat()}
            )
        )
        out("")
        out(_("Logins (password for all: %(password)s)") % {"password": result.password})
        staff = result.staff
        listed = [staff.admin, staff.executive, staff.service, *staff.managers[:MANAGERS_LISTED]]
        width = max(len(u.username) for u in listed) + 2
        for user in listed:
            role = (
                _("superuser, %(role)s") % {"role": ROLE_LABELS[user.role]}
                if user is staff.admin
                else ROLE_LABELS[user.role]
            )
            out(f"  {user.username:<{width}}{padded(str(role), 28)}{user.full_name}")
        rest = staff.managers[MANAGERS_LISTED:]
        if rest:
            out(
                "  "
                + _("%(first)s … %(last)s: %(count)d more account managers")
                % {"first": rest[0].username, "last": rest[-1].username, "count": len(rest)}
            )
        out("")
        out(_("Rows written per table"))
        labels = {m._meta.db_table: table_label(m) for m in apps.get_models(include_auto_created=True)}
        rows = [(table, labels.get(table, ""), count) for table, count in result.counts]
        width = max(len(table) for table, _label, _count in rows) + 2
        for table, label, count in rows:
            out(f"  {table:<{width}}{count:>12,}  {label}")
        in_total = _("in total")
        out(f"  {'':<{width}}{sum(count for *_, count in rows):>12,}  {in_total}")


def table_label(model) -> str:
    """What a table holds, in the user's language: history tables and the link tables of
    many-to-many fields are named after the records they belong to."""
    recorded = getattr(model, "instance_type", None)
    if recorded is not None:
        return _("%(records)s (history)") % {"records": table_label(recorded)}
    if model._meta.auto_created:
        for field in model._meta.auto_created._meta.many_to_many:
            if field.remote_field.through is model:
                return f"{model._meta.auto_created._meta.verbose_name_plural} · {field.verbose_name}"
    return str(model._meta.verbose_name_plural)


def padded(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` columns of a terminal, where a Chinese character
    takes two columns (str.ljust counts it as one and misaligns the table)."""
    columns = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(1, width - columns)


def _progress(iterable: Iterable, label: str, total: int) -> Iterable:
    """A progress bar per phase on stderr (hidden when stderr is not a terminal)."""
    return tqdm(iterable, desc=label, total=total, unit=_("customers"), file=sys.stderr, mininterval=0.5, disable=None)
