"""Reads of the relationship network, shaped for pages."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import formats
from django.utils.translation import gettext as _

from accounts.models import Customer
from accounts.permissions import customer_editors_q
from keyaccounts.clock import add_days, business_today

from .cadence_due import current_last_met
from .models import EXECUTIVE_LEVEL_KINDS, KEY_DEPARTMENTS, BuyingRole, Cadence, Contact, Department, Interaction

# The windows of the gaps (docs/risk-method.md, "Factors": relationship): "the last 12 months" of interactions,
# an executive-level meeting at least every half year, a departed decision maker counts for a year.
YEAR_DAYS = 365
EXECUTIVE_WITHIN_DAYS = 180
DECISION_MAKER_LEFT_WITHIN_DAYS = 365
# One contact in this share of the year's interactions: the account hangs on that person.
SINGLE_THREAD_SHARE = 0.8
# Below this many interactions a year the share says nothing ("1 of 1"); too few interactions is
# a gap of its own, which the risk score already weighs.
SINGLE_THREAD_MIN_INTERACTIONS = 3
RECENT_INTERACTIONS = 5
# The departments the risk score expects covered; the executive level has its own gap.


@dataclass
class Gap:
    """A weakness in the relationship network, with why it matters and what to do."""

    code: str
    title: str
    why: str
    action: str


@dataclass
class DepartmentRow:
    value: str
    label: str
    is_key: bool
    contacts: list[Contact] = field(default_factory=list)


@dataclass
class Acquaintance:
    contact: Contact
    owns: bool = False
    last_on: date | None = None


@dataclass
class OurPerson:
    """One of our people and whom they know at the customer."""

    user: object
    acquaintances: dict[int, Acquaintance] = field(default_factory=dict)
    last_on: date | None = None

    @property
    def contacts(self) -> list[Acquaintance]:
        return sorted(
            self.acquaintances.values(), key=lambda a: (a.last_on is None, -(a.last_on or date.min).toordinal())
        )


@dataclass
class CadenceRow:
    cadence: Cadence
    last_on: date | None
    next_due: date
    state: str  # "running", "upcoming" or "ended"
    days_overdue: int = 0

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0


def editor_people(*, include: QuerySet | list | tuple = ()) -> QuerySet:
    """Our people who may be named on a relationship record: active account managers and
    administrators, plus anyone already named on it (so editing does not drop them)."""
    users = get_user_model().objects
    eligible = customer_editors_q()
    keep = [getattr(u, "pk", u) for u in include]
    if keep:
        eligible |= Q(pk__in=keep)
    ids = users.filter(eligible).values("pk")
    return users.filter(pk__in=ids).order_by("last_name", "first_name", "username")


def _cadence_row(cadence: Cadence, today: date) -> CadenceRow:
    # The same arithmetic as the risk score (risk/factors.py): due an interval after the last
    # matching interaction, or after the start if none happened since.
    base = max(cadence.last_on or cadence.starts_on, cadence.starts_on)
    next_due = add_days(base, cadence.interval_days)
    if cadence.ends_on is not None and cadence.ends_on < today:
        state = "ended"
    elif cadence.starts_on > today:
        state = "upcoming"
    else:
        state = "running"
    days_overdue = (today - next_due).days if state == "running" and next_due < today else 0
    return CadenceRow(cadence, cadence.last_on, next_due, state, days_overdue)


def relationship_map(*, customer: Customer, today: date | None = None) -> dict:
    """The relationship section of the customer 360 page in five queries, whatever the size of
    the network: contacts by department, who left, the gaps, who of ours knows whom, the latest
    interactions and the cadences. Records dated after today are not in force yet."""
    today = today or business_today()
    year_ago = today - timedelta(days=YEAR_DAYS)
    through = Interaction.contacts.through

    last_met = (
        through.objects.filter(contact_id=OuterRef("pk"), interaction__occurred_on__lte=today)
        .order_by("-interaction__occurred_on")
        .values("interaction__occurred_on")[:1]
    )
    contacts = list(
        Contact.objects.filter(customer=customer, joined_on__lte=today)
        .select_related("internal_owner")
        .annotate(last_contact_on=Subquery(last_met))
        .order_by("-influence", "name", "pk")
    )
    active = [c for c in contacts if c.left_on is None or c.left_on > today]
    left = sorted((c for c in contacts if c.left_on is not None and c.left_on <= today), key=lambda c: c.left_on)
    left.reverse()

    in_force = Interaction.objects.filter(customer=customer, occurred_on__lte=today)
    latest_ids = in_force.order_by("-occurred_on", "-id").values("pk")[:RECENT_INTERACTIONS]
    interactions = list(
        in_force.filter(Q(occurred_on__gt=year_ago) | Q(pk__in=latest_ids))
        .select_related("logged_by")
        .prefetch_related("contacts", "our_people")
        .order_by("-occurred_on", "-id")
    )
    this_year = [i for i in interactions if i.occurred_on > year_ago]

    cadence_rows = [
        _cadence_row(c, today)
        for c in Cadence.objects.filter(customer=customer)
        .select_related("owner")
        .annotate(last_on=current_last_met(today))
        .order_by("starts_on", "name", "pk")
    ]

    return {
        "today": today,
        "departments": _departments(active),
        "active_count": len(active),
        "left_contacts": left,
        "gaps": _gaps(active, left, this_year, today),
        "our_people": _our_people(active, this_year),
        "recent_interactions": interactions[:RECENT_INTERACTIONS],
        "interactions_this_year": len(this_year),
        "cadences": [r for r in cadence_rows if r.state != "ended"],
        "ended_cadences": [r for r in cadence_rows if r.state == "ended"],
        "overdue_cadences": sum(1 for r in cadence_rows if r.overdue),
    }


def _departments(active: list[Contact]) -> list[DepartmentRow]:
    rows = {value: DepartmentRow(value, label, value in KEY_DEPARTMENTS) for value, label in Department.choices}
    for contact in active:
        rows[contact.department].contacts.append(contact)
    return [row for row in rows.values() if row.is_key or row.contacts]


def _department_names(values) -> str:
    labels = dict(Department.choices)
    return _(", ").join(str(labels[v]) for v in values)


def _gaps(active: list[Contact], left: list[Contact], this_year: list[Interaction], today: date) -> list[Gap]:
    gaps = []

    executives = [c for c in active if c.department == Department.EXECUTIVE]
    executive_meetings = [
        i
        for i in this_year
        if i.kind in EXECUTIVE_LEVEL_KINDS and i.occurred_on > today - timedelta(days=EXECUTIVE_WITHIN_DAYS)
    ]
    if not executives:
        gaps.append(
            Gap(
                "no_executive",
                _("No executive-level contact: nobody at the general-manager level"),
                _("A relationship held below the top dies when that person moves; executives decide renewals."),
                _("Ask your contacts for an introduction to the general manager and plan an executive meeting."),
            )
        )
    elif not executive_meetings:
        last = next((i.occurred_on for i in this_year if i.kind in EXECUTIVE_LEVEL_KINDS), None)
        if last:
            title = _("No executive meeting or business review for more than %(days)s days (last on %(date)s)") % {
                "days": EXECUTIVE_WITHIN_DAYS,
                "date": formats.date_format(last, "DATE_FORMAT"),
            }
        else:
            title = _("No executive meeting or business review in the last 12 months")
        gaps.append(
            Gap(
                "no_executive",
                title,
                _("Open lines between the two companies' executives are what keep a key account when problems come."),
                _("Schedule an executive meeting with %(names)s.") % {"names": ", ".join(c.name for c in executives)},
            )
        )

    counts = Counter(c.pk for i in this_year for c in i.contacts.all())
    top_id, top_count = counts.most_common(1)[0] if counts else (None, 0)
    if len(active) == 1:
        gaps.append(
            Gap(
                "single_threaded",
                _("Single-threaded: %(name)s is the only active contact") % {"name": active[0].name},
                _("If this one person moves, falls ill or leaves, the account goes with them."),
                _("Get introduced to the technical and user departments and build a second line."),
            )
        )
    elif len(this_year) >= SINGLE_THREAD_MIN_INTERACTIONS and top_count / len(this_year) >= SINGLE_THREAD_SHARE:
        name = next(c.name for i in this_year for c in i.contacts.all() if c.pk == top_id)
        gaps.append(
            Gap(
                "single_threaded",
                _("Single-threaded: %(name)s was in %(count)s of the %(total)s interactions of the last 12 months")
                % {"name": name, "count": top_count, "total": len(this_year)},
                _("Everything we learn about the customer comes through one person, and leaves with them."),
                _("Meet the other contacts too; invite them to the next visit."),
            )
        )

    has_decision_maker = any(c.buying_role == BuyingRole.DECISION_MAKER for c in active)
    departed = [
        c
        for c in left
        if c.buying_role == BuyingRole.DECISION_MAKER
        and c.left_on > today - timedelta(days=DECISION_MAKER_LEFT_WITHIN_DAYS)
    ]
    if departed and not has_decision_maker:
        gaps.append(
            Gap(
                "decision_maker_left",
                _("Decision maker %(name)s left on %(date)s and nobody has replaced them")
                % {"name": departed[0].name, "date": formats.date_format(departed[0].left_on, "DATE_FORMAT")},
                _("The successor may bring their own suppliers; until we know them, the next purchase is open."),
                _("Identify the successor, add them as a contact and meet them."),
            )
        )

    covered = {c.department for c in active}
    missing = [d for d in KEY_DEPARTMENTS if d != Department.EXECUTIVE and d not in covered]
    if missing:
        gaps.append(
            Gap(
                "departments_uncovered",
                _("No contact in %(departments)s") % {"departments": _department_names(missing)},
                _("Each department sways the purchase; with nobody there we hear of its problems last."),
                _("Ask your contacts to introduce you, and name one of ours to own each new contact."),
            )
        )
    return gaps


def _our_people(active: list[Contact], this_year: list[Interaction]) -> list[OurPerson]:
    people: dict[int, OurPerson] = {}

    def person(user) -> OurPerson:
        return people.setdefault(user.pk, OurPerson(user))

    for contact in active:
        if contact.internal_owner is not None:
            mine = person(contact.internal_owner)
            mine.acquaintances[contact.pk] = Acquaintance(contact, owns=True)
    # Newest first: the first meeting seen per pair is the latest one.
    for interaction in this_year:
        for user in interaction.our_people.all():
            mine = person(user)
            mine.last_on = mine.last_on or interaction.occurred_on
            for contact in interaction.contacts.all():
                known = mine.acquaintances.setdefault(contact.pk, Acquaintance(contact))
                known.last_on = known.last_on or interaction.occurred_on
    return sorted(
        people.values(),
        key=lambda p: (p.last_on is None, -(p.last_on or date.min).toordinal(), str(p.user.get_username())),
    )
