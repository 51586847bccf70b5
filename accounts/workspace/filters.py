"""My accounts' filter bar and sort: the account list a user may see joined to the latest scored
day, the filters (band, tier, region, drill-downs from the dashboard), the sort table and
paging.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import (
    Case,
    DateField,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints.models import Ticket
from keyaccounts.clock import business_today
from keyaccounts.widgets import compact_select
from relationships.models import Interaction

from ..bands import shown_band_expression
from ..models import (
    Alert,
    AlertKind,
    ChurnReason,
    Customer,
    CustomerStatus,
    Industry,
    Region,
    RelationshipLevel,
    RiskBand,
    RiskModelVersion,
    RiskOverride,
    RiskSnapshot,
    RiskStanding,
    Tier,
)
from ..people import display_name
from ..permissions import may_see_every_customer, own_customer_parts, sees_part_of_the_book
from .common import clean_query, overdue_ticket_q

PER_PAGE_CHOICES = (25, 50, 100)
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100


# ---------------------------------------------------------------------------------------------
# My accounts
# ---------------------------------------------------------------------------------------------


def band_rank(band: str) -> Case:
    """The band at the path ``band`` as a rank, worst highest: red 4, amber 3, green 2, grey 1,
    none 0."""
    ranks = ((RiskBand.RED, 4), (RiskBand.AMBER, 3), (RiskBand.GREEN, 2), (RiskBand.GREY, 1))
    return Case(*(When(**{band: value}, then=rank) for value, rank in ranks), default=0, output_field=IntegerField())


BAND_RANK = band_rank("display_band")

SORT_CHOICES = [
    ("tier", _("Key accounts first")),
    ("-band", _("Band, worst first")),
    ("band", _("Band, best first")),
    ("-score", _("Risk score, highest first")),
    ("score", _("Risk score, lowest first")),
    ("-revenue", _("Revenue, largest first")),
    ("revenue", _("Revenue, smallest first")),
    ("name", _("Name, A–Z")),
    ("-name", _("Name, Z–A")),
    ("-contact", _("Longest without contact first")),
    ("contact", _("Most recently contacted first")),
]
DEFAULT_SORT = "tier"

_SORT_ORDER = {
    # "key" sorts before "regular", so the key tier comes first.
    "tier": ("tier", "-revenue_12m", "name", "pk"),
    "band": (F("band_rank").asc(), F("snapshot_score").asc(nulls_first=True), "name", "pk"),
    "-band": (F("band_rank").desc(), F("snapshot_score").desc(nulls_last=True), "name", "pk"),
    "score": (F("snapshot_score").asc(nulls_last=True), "name", "pk"),
    "-score": (F("snapshot_score").desc(nulls_last=True), "name", "pk"),
    "revenue": ("revenue_12m", "name", "pk"),
    "-revenue": ("-revenue_12m", "name", "pk"),
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    # Days since contact: fewest first is the latest contact first; never contacted counts as longest.
    "contact": (F("last_contact_on").desc(nulls_last=True), "name", "pk"),
    "-contact": (F("last_contact_on").asc(nulls_first=True), "name", "pk"),
}

# The sort a column header asks for first: worst band, highest score, largest revenue, longest
# without contact come first, names A–Z.
_FIRST_CLICK = {"name": "name", "band": "-band", "score": "-score", "revenue": "-revenue", "contact": "-contact"}

BAND_FILTER_CHOICES = [
    *RiskBand.choices,
    ("at_risk", _("Amber or red")),
    ("scored", _("Scored")),
    ("none", _("Not scored")),
]
# A week-on-week move of at least this many points counts as worsened or improved (the
# executive dashboard counts the same way).
MOVE_POINTS = 5.0
CHURN_WINDOW_DAYS = 365
ALERT_WINDOW_DAYS = 7
# The filters that read the columns the list joins in (on a manager's book).
JOINED_FILTERS = ("band", "override", "moved", "tier_move")

# Filters the executive dashboard's drill-down links set; the filter bar shows them as a badge
# that can be removed, not as a select.
DRILL_FILTERS = ("override", "moved", "tier_move", "churned", "alert", "breach")
MOVED_CHOICES = [("worsened", _("Worsened this week")), ("improved", _("Improved this week"))]
TIER_MOVE_CHOICES = [("entered", _("Entered the key tier this week")), ("left", _("Left the key tier this week"))]
CHURNED_CHOICES = [
    ("any", _("Churned in the last 12 months")),
    ("controllable", _("Churned for a controllable reason")),
    ("uncontrollable", _("Churned for an uncontrollable reason")),
    *ChurnReason.choices,
]
ALERT_CHOICES = [
    ("any", _("Any alert raised this week")),
    *AlertKind.choices,
    ("closed", _("Alert dealt with this week")),
]


# The band thresholds of the model that scored the snapshot: a subquery, not a join, so that
# PostgreSQL reads them for the page's rows after the sort and the limit. Joined, the model's
# parameters were unpacked for every row the sort read (the executive's red list: 3,642 rows,
# the page query 130 -> 70 ms).
_MODEL_BANDS = Subquery(
    RiskModelVersion.objects.filter(pk=OuterRef("latest_snapshot__model_version_id")).values("parameters__bands")[:1]
)


def account_list(*, user, scored_on: date | None, customers: QuerySet[Customer] | None = None) -> QuerySet[Customer]:
    """The user's visible customers (``customers``, when the caller has them already) with the
    snapshot of ``scored_on`` and the override in force joined in (both at most one row per
    customer), in the default order: key accounts first."""
    customers = Customer.objects.visible_to(user) if customers is None else customers
    return (
        customers.select_related("owner")
        .annotate(
            latest_snapshot=FilteredRelation("risk_snapshots", condition=Q(risk_snapshots__as_of=scored_on)),
            open_override=FilteredRelation("risk_overrides", condition=Q(risk_overrides__ended_on__isnull=True)),
        )
        .annotate(
            snapshot_score=F("latest_snapshot__score"),
            snapshot_band=F("latest_snapshot__band"),
            score_change=F("latest_snapshot__score_change_7d"),
            snapshot_reasons=F("latest_snapshot__reasons"),
            snapshot_tier=F("latest_snapshot__tier"),
            override_band=F("open_override__band"),
            # Why the band is what it is (the badge's marker): the trip-wires and the thresholds of
            # the model that scored the customer, or who set the band by hand, until when and why.
            snapshot_computed_band=F("latest_snapshot__computed_band"),
            snapshot_tripwires=F("latest_snapshot__tripwires"),
            snapshot_bands=_MODEL_BANDS,
            override_reason=F("open_override__reason"),
            override_expires_on=F("open_override__expires_on"),
            override_set_by_first_name=F("open_override__set_by__first_name"),
            override_set_by_last_name=F("open_override__set_by__last_name"),
            override_set_by_username=F("open_override__set_by__username"),
            # A band set by hand shows at once, not only from the next nightly snapshot.
            display_band=shown_band_expression("open_override__band", "latest_snapshot__band"),
        )
        .annotate(band_rank=BAND_RANK)
        .order_by(*_SORT_ORDER[DEFAULT_SORT])
    )


class _Select(django_filters.ChoiceFilter):
    """A choice filter whose select is styled for the compact filter bar."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", compact_select())
        super().__init__(*args, **kwargs)


class AccountFilter(django_filters.FilterSet):
    """The filter bar of My accounts; the export reads the same filters. Unknown values are
    reported by the form and otherwise ignored."""

    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    band = _Select(choices=BAND_FILTER_CHOICES, method="filter_band", label=_("Band"), empty_label=_("All bands"))
    tier = _Select(choices=Tier.choices, label=_("Tier"), empty_label=_("All tiers"))
    region = _Select(choices=Region.choices, label=_("Region"), empty_label=_("All regions"))
    industry = _Select(choices=Industry.choices, label=_("Industry"), empty_label=_("All industries"))
    relationship_level = _Select(
        choices=RelationshipLevel.choices, label=_("Relationship level"), empty_label=_("All levels")
    )
    owner = _Select(choices=[], field_name="owner_id", label=_("Owner"), empty_label=_("All owners"))
    # Drill-down filters (from the executive dashboard); the week and year end on the scored day.
    override = _Select(choices=[("1", _("Manual band in force"))], method="filter_override", label=_("Manual band"))
    moved = _Select(choices=MOVED_CHOICES, method="filter_moved", label=_("Moved"))
    tier_move = _Select(choices=TIER_MOVE_CHOICES, method="filter_tier_move", label=_("Tier change"))
    churned = _Select(choices=CHURNED_CHOICES, method="filter_churned", label=_("Churned"))
    alert = _Select(choices=ALERT_CHOICES, method="filter_alert", label=_("Alerts"))
    breach = _Select(choices=[("1", _("Open tickets past their SLA"))], method="filter_breach", label=_("SLA"))
    sort = django_filters.ChoiceFilter(choices=SORT_CHOICES, method="apply_sort", label=_("Sort"))

    def __init__(
        self,
        data=None,
        queryset=None,
        *,
        owner_choices: list[tuple[str, str]] = (),
        scored_on: date | None = None,
        whole_book: bool = False,
        **kwargs,
    ):
        super().__init__(data, queryset, **kwargs)
        self.filters["owner"].extra["choices"] = list(owner_choices)
        # The day whose snapshots the list shows (None: nothing scored yet), and the day the
        # drill-downs' week and year end on.
        self.snapshot_day = scored_on
        self.scored_on = scored_on or business_today()
        self.whole_book = whole_book

    # The filters on the band, the manual band and the week's moves read the columns the list
    # joins in (the scored day's snapshot, the override in force): cheap for a manager's book of a
    # thousand customers. Over a whole book they read the ids of the matching snapshots and
    # overrides instead: the same customers, and a count that needs no join (`count_queryset`).

    def _scored(self, **conditions) -> Q:
        snapshots = RiskSnapshot.objects.filter(as_of=self.snapshot_day, **conditions)
        return Q(pk__in=snapshots.values("customer_id"))

    def count_queryset(self, base: QuerySet) -> QuerySet:
        """What the list counts: the filters applied to ``base`` (the user's visible customers,
        without the list's joins), or the list itself where a filter reads its joined columns."""
        if not self.is_bound:
            return base
        self.errors  # noqa: B018 - validates the form: unknown values are left out, as in `qs`
        if not self.whole_book and any(self.form.cleaned_data.get(name) for name in JOINED_FILTERS):
            return self.qs
        chosen = {name for name, value in self.form.cleaned_data.items() if value and name != "sort"}
        if chosen == {"band"} and self.ranks_by_standing:
            # A whole book's band alone: the kept standings of that band, one per customer, counted
            # on their index without the customers (60,222 green of 100,000: 100 -> 20 ms).
            bands = _shown_bands(self.form.cleaned_data["band"])
            return RiskStanding.objects.filter(**({} if bands is None else {"band__in": bands}))
        for name, value in self.form.cleaned_data.items():
            if name != "sort":
                base = self.filters[name].filter(base, value)
        return base

    @property
    def drill_downs(self) -> list[tuple[str, str, str]]:
        """The drill-down filters in force: (name, value, label of the value)."""
        if not self.form.is_valid():
            return []
        chosen = []
        for name in DRILL_FILTERS:
            value = self.form.cleaned_data.get(name)
            if value:
                label = dict(self.filters[name].extra["choices"]).get(value, value)
                chosen.append((name, value, str(label)))
        return chosen

    def filter_override(self, queryset, name, value):
        if not self.whole_book:
            return queryset.filter(override_band__isnull=False)
        return queryset.filter(pk__in=_open_overrides().values("customer_id"))

    def filter_moved(self, queryset, name, value):
        worsened = value == "worsened"
        if not self.whole_book:
            if worsened:
                return queryset.filter(score_change__gte=MOVE_POINTS)
            return queryset.filter(score_change__lte=-MOVE_POINTS)
        if worsened:
            return queryset.filter(self._scored(score_change_7d__gte=MOVE_POINTS))
        return queryset.filter(self._scored(score_change_7d__lte=-MOVE_POINTS))

    def filter_tier_move(self, queryset, name, value):
        now, before = (Tier.KEY, Tier.REGULAR) if value == "entered" else (Tier.REGULAR, Tier.KEY)
        week_before = RiskSnapshot.objects.filter(
            customer_id=OuterRef("pk"), as_of=self.scored_on - timedelta(days=ALERT_WINDOW_DAYS), tier=before
        )
        tier_now = self._scored(tier=now) if self.whole_book else Q(snapshot_tier=now)
        return queryset.filter(tier_now).filter(Exists(week_before))

    def filter_churned(self, queryset, name, value):
        queryset = queryset.filter(
            status=CustomerStatus.CHURNED,
            churned_on__gt=self.scored_on - timedelta(days=CHURN_WINDOW_DAYS),
            churned_on__lte=self.scored_on,
        )
        if value == "controllable":
            return queryset.filter(churn_reason__in=ChurnReason.controllable())
        if value == "uncontrollable":
            return queryset.filter(churn_reason__in=ChurnReason.uncontrollable())
        if value == "any":
            return queryset
        return queryset.filter(churn_reason=value)

    def filter_alert(self, queryset, name, value):
        week_from = self.scored_on - timedelta(days=ALERT_WINDOW_DAYS)
        if value == "closed":
            start = timezone.make_aware(datetime.combine(week_from + timedelta(days=1), datetime.min.time()))
            end = timezone.make_aware(datetime.combine(self.scored_on + timedelta(days=1), datetime.min.time()))
            alerts = Alert.objects.filter(closed_at__gte=start, closed_at__lt=end)
        else:
            alerts = Alert.objects.filter(as_of__gt=week_from, as_of__lte=self.scored_on)
            if value != "any":
                alerts = alerts.filter(kind=value)
        return queryset.filter(Exists(alerts.filter(customer_id=OuterRef("pk"))))

    def filter_breach(self, queryset, name, value):
        late = Ticket.objects.filter(customer_id=OuterRef("pk"), status__in=Ticket.OPEN_STATUSES).filter(
            overdue_ticket_q(timezone.now())
        )
        return queryset.filter(Exists(late))

    def filter_search(self, queryset, name, value):
        value = clean_query(value)
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))

    def filter_band(self, queryset, name, value):
        """The band people see (`accounts.bands.shown_band`). Over a whole book it is read from the
        kept standing of the latest day (`accounts.standing`), through its index on (band,
        score): a join the list's sort by score reads in order (`apply_sort`). On a manager's book
        it is the list's joined band."""
        band = "standing__band" if self.whole_book else "display_band"
        if value == "none":
            return queryset.filter(**{f"{band}__isnull": True})
        bands = _shown_bands(value)
        if bands is None:
            return queryset.filter(**{f"{band}__isnull": False})
        return queryset.filter(**{f"{band}__in": bands})

    def apply_sort(self, queryset, name, value):
        if value in ("contact", "-contact"):
            queryset = queryset.annotate(last_contact_on=Subquery(_last_contact_subquery(), output_field=DateField()))
        if value == "-score" and self.ranks_by_standing:
            # The same order as the day's score, highest first and the unscored last, read from
            # the standing's index on (band, score) instead of sorting the band's every row.
            return queryset.order_by(F("standing__rank_score").desc(), "name", "pk")
        return queryset.order_by(*_SORT_ORDER[value])

    @property
    def ranks_by_standing(self) -> bool:
        """Whether the list is a whole book's band (every row has a kept standing)."""
        return self.whole_book and self.form.cleaned_data.get("band") not in (None, "", "none")


def _shown_bands(value: str) -> list[str] | None:
    """The shown bands a band filter's value (other than "none") asks for; None for any band."""
    if value == "scored":
        return None
    if value == "at_risk":
        return [RiskBand.AMBER, RiskBand.RED]
    return [value]


def _open_overrides() -> QuerySet[RiskOverride]:
    """The manual bands in force (at most one a customer), as the list's join reads them."""
    return RiskOverride.objects.filter(ended_on__isnull=True)


def _last_contact_subquery():
    # Only for sorting by days since contact: one index lookup per customer on (customer, occurred_on).
    today = business_today()
    return (
        Interaction.objects.filter(customer_id=OuterRef("pk"), occurred_on__lte=today)
        .order_by("-occurred_on")
        .values("occurred_on")[:1]
    )


def owner_choices(*, user) -> list[tuple[str, str]]:
    """The owners of the customers the user sees, as (id, name) pairs, in one query. For a
    manager, the owners of each part of their book are read apart and joined in a union: the
    owners of the union of their customers' ids made PostgreSQL look up every user's customers
    (27–54 ms at 100,000 customers, against 6 ms)."""
    if sees_part_of_the_book(user):
        first, *others = (part.order_by().values("owner_id") for part in own_customer_parts(user))
        owner_ids = first.union(*others)
    else:
        owner_ids = Customer.objects.visible_to(user).values("owner_id")
    owners = get_user_model().objects.filter(pk__in=owner_ids).only("pk", "username", "first_name", "last_name")
    pairs = [(str(u.pk), display_name(u)) for u in owners]
    return sorted(pairs, key=lambda pair: pair[1].lower())


def filtered_accounts(
    *, user, params: Mapping, scored_on: date | None, customers: QuerySet[Customer] | None = None
) -> tuple[AccountFilter, list]:
    """The filter set bound to the request's parameters and the owners it offers; ``customers``
    are the user's visible customers when the caller has them already."""
    owners = owner_choices(user=user)
    filterset = AccountFilter(
        params,
        queryset=account_list(user=user, scored_on=scored_on, customers=customers),
        owner_choices=owners,
        scored_on=scored_on,
        whole_book=may_see_every_customer(user),
    )
    return filterset, owners


def filter_notices(filterset: AccountFilter) -> list[str]:
    """One plain sentence per parameter that was not understood and therefore ignored."""
    notices = []
    for name in filterset.form.errors:
        label = filterset.filters[name].label if name in filterset.filters else name
        value = str(filterset.data.get(name, ""))[:40]
        notices.append(
            gettext("Ignored the unknown value “%(value)s” for %(field)s.") % {"value": value, "field": label}
        )
    return notices


def per_page_from(raw) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return DEFAULT_PER_PAGE
    if value < 1:
        return DEFAULT_PER_PAGE
    return min(value, MAX_PER_PAGE)
