"""The relationship network: contacts across departments, interactions and agreed cadences."""

from __future__ import annotations

import math
import random
from typing import NamedTuple

from django.utils.translation import gettext

from relationships.models import BuyingRole, Cadence, Contact, Department, Interaction, InteractionKind

from . import names
from .calendar import DemoCalendar
from .history import CHANGED, CREATED, HistorySink
from .plans import CONTACT_LEFT, NO_EXECUTIVE, CustomerPlan, pick
from .users import DemoStaff
from .writer import BulkOutput, Progress

# The order in which a customer's contacts spread over its departments as the account grows.
DEPARTMENT_ORDER = [
    d.value
    for d in (
        Department.PROCUREMENT,
        Department.EXECUTIVE,
        Department.TECHNICAL,
        Department.USER,
        Department.QUALITY,
        Department.FINANCE,
        Department.OTHER,
    )
]
EXTRA_DEPARTMENTS = [d.value for d in (Department.PROCUREMENT, Department.TECHNICAL, Department.USER)]
INFLUENCE = {BuyingRole.DECISION_MAKER.value: 5, BuyingRole.CHAMPION.value: 4, BuyingRole.INFLUENCER.value: 3,
             BuyingRole.GATEKEEPER.value: 3, BuyingRole.USER.value: 2}  # fmt: skip
BASE_TRUST = {1: 2.6, 2: 3.3, 3: 4.1}
EXECUTIVE_KINDS = (InteractionKind.EXECUTIVE_MEETING.value, InteractionKind.BUSINESS_REVIEW.value)
INTERACTION_KINDS = [
    (InteractionKind.CALL.value, 36),
    (InteractionKind.VISIT.value, 26),
    (InteractionKind.MEETING.value, 20),
    (InteractionKind.EXECUTIVE_MEETING.value, 7),
    (InteractionKind.BUSINESS_REVIEW.value, 5),
    (InteractionKind.EVENT.value, 6),
]


class ContactRecord(NamedTuple):
    """What later generators need of a contact: who, where, and when they were there."""

    pk: int
    department: str
    role: str
    joined: int
    left: int | None


def _person(rng: random.Random, chinese: bool) -> tuple[str, str]:
    """A name and the local part of an e-mail address."""
    if chinese:
        surname, surname_pinyin = rng.choice(names.ZH_SURNAMES)
        given, given_pinyin = rng.choice(names.ZH_GIVEN_NAMES)
        return f"{surname}{given}", f"{given_pinyin}.{surname_pinyin}"
    first, last = rng.choice(names.EN_FIRST_NAMES), rng.choice(names.EN_LAST_NAMES)
    return f"{first} {last}", f"{first}.{last}".lower().replace("ü", "ue")


def _phone(rng: random.Random, region: str) -> str:
    if region == "europe":
        return f"+49 {rng.randint(30, 89)} {rng.randint(1000000, 9999999)}"
    if region == "americas":
        return f"+1 {rng.randint(201, 989)} {rng.randint(200, 999)} {rng.randint(1000, 9999)}"
    if region == "apac":
        return f"+65 {rng.randint(6000, 9999)} {rng.randint(1000, 9999)}"
    return f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}"


def _contact_row(
    rng: random.Random, plan: CustomerPlan, pk: int, department: str, role: str, trust: int, joined, left
) -> tuple:
    chinese = plan.chinese or (plan.region not in ("apac", "europe", "americas") and rng.random() < 0.5)
    name, local = _person(rng, chinese)
    title = rng.choice(names.TITLES[department])[0 if plan.chinese else 1]
    owner_draw = rng.random()
    if owner_draw < 0.65:
        internal_owner = plan.owner
    elif owner_draw < 0.75 and plan.backup_owner:
        internal_owner = plan.backup_owner
    elif owner_draw < 0.85 and plan.team:
        internal_owner = rng.choice(plan.team)
    else:
        internal_owner = None
    influence = INFLUENCE[role]
    if rng.random() < 0.25:
        influence = max(1, min(5, influence + rng.choice((-1, 1))))
    email = f"{local}@{plan.email_domain}" if rng.random() < 0.75 else ""
    phone = _phone(rng, plan.region) if rng.random() < 0.8 else ""
    return (
        pk, plan.pk, name, title, department, role, influence, trust, internal_owner, email, phone, joined, left,
    )  # fmt: skip


def write_contacts(
    *,
    rng: random.Random,
    output: BulkOutput,
    plans: list[CustomerPlan],
    calendar: DemoCalendar,
    progress: Progress,
    first_pk: int,
    first_history_pk: int,
) -> list[list[ContactRecord]]:
    """Contacts per customer, spread across departments with the account's size, and their history.

    Some accounts hang on a single contact; in some the decision maker left (in a churn story,
    in its warning months), sometimes with nobody taking over. In a churn story trust falls when
    the warning signs begin: a contact known before then is recorded at its earlier trust the day
    it was met, and at the lower trust that day; one met later is recorded at the lower trust.
    A contact who left is recorded as leaving the day it left.
    """
    columns = [
        "id", "customer_id", "name", "title", "department", "buying_role", "influence", "trust",
        "internal_owner_id", "email", "phone", "joined_on", "left_on",
    ]  # fmt: skip
    sink = output.sink(Contact, columns)
    history = HistorySink(output, Contact, columns, first_history_pk)
    day, at = calendar.day, calendar.at
    pk = first_pk
    network: list[list[ContactRecord]] = []
    for plan in progress(plans, gettext("contacts"), len(plans)):
        single = rng.random() < (0.03 if plan.key_candidate else 0.12)
        count = 1 if single else max(2, min(14, round(4.8 + 1.8 * plan.size + rng.gauss(0.0, 1.0))))
        departments = list(DEPARTMENT_ORDER[:count])
        if count > 2 and rng.random() < 0.3:
            departments[1], departments[2] = departments[2], departments[1]
        while len(departments) < count:
            departments.append(rng.choice(EXTRA_DEPARTMENTS))
        has_executive = Department.EXECUTIVE.value in departments and plan.size > -0.5
        decision_maker = departments.index(Department.EXECUTIVE.value) if has_executive else 0
        champion_at = rng.randrange(count) if count > 2 and rng.random() < 0.4 else -1
        span = max(1, plan.end - plan.since - 30)
        # Trust before a churn story's warning signs, and from then on.
        falls = bool(plan.churned_on and plan.signs)
        trust_before = BASE_TRUST[plan.level_on(plan.since)]
        trust_after = BASE_TRUST[plan.relationship_level] - (0.7 if falls else 0.0)
        records = []

        def add(department: str, role: str, joined: int, left: int | None, trust: int, earlier: int) -> None:
            """A contact whose trust is ``earlier`` before the warning signs and ``trust`` from then."""
            nonlocal pk
            start = plan.warn_start  # noqa: B023
            if not falls or joined >= start:  # noqa: B023
                earlier = trust
            elif left is not None and left <= start:
                trust = earlier
            row = _contact_row(rng, plan, pk, department, role, trust, day(joined), day(left) if left else None)  # noqa: B023
            sink.add(row)
            first = list(row)
            first[7], first[12] = earlier, None
            history.add(at(joined, 9), CREATED, first)
            if earlier != trust:
                first[7] = trust
                history.add(at(start, 11), CHANGED, first)
            if left is not None:
                history.add(at(left, 17), CHANGED, row)
            records.append(ContactRecord(pk, department, role, joined, left))  # noqa: B023
            pk += 1

        for position, department in enumerate(departments):
            if position == decision_maker:
                role = BuyingRole.DECISION_MAKER.value
            elif position == champion_at:
                role = BuyingRole.CHAMPION.value
            elif department in (Department.PROCUREMENT, Department.OTHER):
                role = BuyingRole.GATEKEEPER.value if rng.random() < 0.5 else BuyingRole.INFLUENCER.value
            elif department == Department.USER:
                role = BuyingRole.USER.value
            else:
                role = BuyingRole.INFLUENCER.value
            joined = plan.since + (rng.randint(0, min(365, span)) if position <= 1 else int(rng.random() ** 2 * span))
            noise = rng.gauss(0.0, 0.8)
            trust = max(1, min(5, round(trust_after + noise)))
            earlier = max(1, min(5, round(trust_before + noise)))
            left = None
            replace = False
            if position == decision_maker and plan.has(CONTACT_LEFT):
                # The decision maker left during the warning months; a replacement comes only sometimes.
                window = max(1, plan.warn_end - plan.warn_start)
                left = plan.warn_start + int(rng.random() * window * 0.5)
                joined = max(plan.since, min(joined, left - 200))
                replace = rng.random() < 0.35
            elif rng.random() < (0.04 if position == decision_maker else 0.1) and joined + 180 < plan.end:
                # People move on in every account; usually someone takes over.
                left = rng.randint(joined + 180, plan.end - 1)
                replace = rng.random() < 0.75
            add(department, role, joined, left, trust, earlier)
            if left is not None and replace:
                start = left + (rng.randint(30, 120) if plan.has(CONTACT_LEFT) else rng.randint(0, 90))
                if start < plan.end:
                    if plan.has(CONTACT_LEFT):
                        new_trust = new_earlier = rng.randint(1, 2)
                    else:
                        new_trust, new_earlier = max(1, trust - 1), max(1, earlier - 1)
                    add(department, role, start, None, new_trust, new_earlier)
        network.append(records)
        sink.maybe_flush()
        history.maybe_flush()
    return network


def write_interactions(
    *,
    rng: random.Random,
    output: BulkOutput,
    plans: list[CustomerPlan],
    network: list[list[ContactRecord]],
    staff: DemoStaff,
    calendar: DemoCalendar,
    progress: Progress,
    first_pks: dict[str, int],
) -> None:
    """Interactions with participants on both sides, and cadences for the larger accounts.

    Accounts in a competitor-service or bribery story see fewer interactions and no executive
    meetings in their warning months, so their cadences fall overdue.
    """
    interactions = output.sink(
        Interaction, ["id", "customer_id", "occurred_on", "kind", "subject", "notes", "logged_by_id"]
    )
    with_contacts = output.sink(
        Interaction.contacts.through, ["id", "interaction_id", "contact_id"], parents=[interactions]
    )
    with_people = output.sink(
        Interaction.our_people.through, ["id", "interaction_id", "user_id"], parents=[interactions]
    )
    cadences = output.sink(
        Cadence, ["id", "customer_id", "name", "interaction_kind", "interval_days", "starts_on", "ends_on", "owner_id"]
    )
    ids = dict(first_pks)
    day = calendar.day
    history_start = calendar.start
    executive_user = staff.executive.pk
    interaction_rows, contact_rows, people_rows = interactions.rows, with_contacts.rows, with_people.rows
    random_ = rng.random

    def log(plan: CustomerPlan, contacts: list[ContactRecord], when: int, kind: str) -> None:
        pk = ids["interaction"]
        ids["interaction"] += 1
        subjects = names.INTERACTION_SUBJECTS[kind]
        subject = subjects[int(random_() * len(subjects))][0 if plan.chinese else 1]
        notes = ""
        if random_() < 0.35:
            notes = names.INTERACTION_NOTES[int(random_() * len(names.INTERACTION_NOTES))][0 if plan.chinese else 1]
        interaction_rows.append((pk, plan.pk, day(when), kind, subject, notes, plan.owner))
        present = [c for c in contacts if c.joined <= when and (c.left is None or c.left > when)]
        if present:
            if kind in EXECUTIVE_KINDS:
                chosen = [c for c in present if c.department == Department.EXECUTIVE][:1]
                others = [c for c in present if c not in chosen]
                if others and random_() < 0.6:
                    chosen.append(others[int(random_() * len(others))])
                if not chosen:
                    chosen = [present[int(random_() * len(present))]]
            else:
                chosen = rng.sample(present, 1 if len(present) == 1 or random_() < 0.6 else 2)
            for contact in chosen:
                contact_rows.append((ids["interaction_contact"], pk, contact.pk))
                ids["interaction_contact"] += 1
        people = [plan.owner]
        helpers = ([plan.backup_owner] if plan.backup_owner else []) + plan.team
        if helpers and random_() < 0.3:
            people.append(helpers[int(random_() * len(helpers))])
        if kind in EXECUTIVE_KINDS:
            people.append(executive_user)
        for user_pk in people:
            people_rows.append((ids["interaction_person"], pk, user_pk))
            ids["interaction_person"] += 1

    for plan, contacts in progress(zip(plans, network, strict=True), gettext("interactions, cadences"), len(plans)):
        begin, end = max(plan.since, history_start), plan.end
        quiet_executives = plan.has(NO_EXECUTIVE)
        rate = 2.0 * math.exp(0.8 * plan.size) * {1: 0.8, 2: 1.0, 3: 1.4}[plan.relationship_level]
        gap = 365.0 / max(1.0, min(40.0, rate))
        t = begin + random_() * gap
        while t < end:
            when = int(t)
            t += gap * (0.3 + 1.4 * random_())
            warning = quiet_executives and plan.warn_start <= when < plan.warn_end
            if warning and random_() < 0.5:
                continue
            kind = pick(random_(), INTERACTION_KINDS)
            if kind in EXECUTIVE_KINDS and warning:
                kind = InteractionKind.CALL.value
            log(plan, contacts, when, kind)
        if not (plan.key_candidate or plan.relationship_level == 3):
            continue
        for kind, (zh_name, en_name, interval) in names.CADENCES.items():
            wanted = {"executive_meeting": 0.8, "visit": 0.6 if plan.size > 1.6 else 0.0, "business_review": 0.5}
            if random_() >= wanted[kind]:
                continue
            starts = max(plan.since + 30, history_start - rng.randint(0, 400))
            if starts >= end - interval:
                continue
            ends = plan.churned_on
            if ends is None and random_() < 0.05:
                ends = rng.randint(starts + interval, end)
            cadences.add(
                (
                    ids["cadence"],
                    plan.pk,
                    zh_name if plan.chinese else en_name,
                    kind,
                    interval,
                    day(starts),
                    day(ends) if ends is not None else None,
                    plan.owner,
                )
            )
            ids["cadence"] += 1
            # Interactions that keep the cadence, with a missed one now and then.
            when = max(starts, history_start) + rng.randint(0, interval // 3)
            stop = min(end, ends if ends is not None else end)
            while when < stop:
                warning = quiet_executives and plan.warn_start <= when < plan.warn_end
                if not (warning and kind in EXECUTIVE_KINDS) and random_() >= 0.08:
                    log(plan, contacts, when, kind)
                when += round(interval * (0.85 + 0.3 * random_()))
        interactions.maybe_flush()
        with_contacts.maybe_flush()
        with_people.maybe_flush()
        cadences.maybe_flush()
