"""Writes: risk alerts (raised from the nightly snapshots, closed with a note) and manual risk
bands (set, ended, expired). Keyword-only and transactional.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Exists, Max, OuterRef, Q, Subquery, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from keyaccounts.clock import business_today

from ..models import (
    MAX_OVERRIDE_DAYS,
    Alert,
    AlertKind,
    Customer,
    RiskBand,
    RiskOverride,
    RiskSnapshot,
)
from ..standing import refresh_standing

BAND_ORDER = {RiskBand.GREEN: 0, RiskBand.AMBER: 1, RiskBand.RED: 2}
SCORE_JUMP_POINTS = 15


@dataclass
class AlertCandidate:
    customer_id: int
    kind: str
    details: dict = field(default_factory=dict)


@transaction.atomic
def alerts_raise(*, as_of: date, candidates: list[AlertCandidate]) -> int:
    """Open or refresh alerts, at most one open alert per customer and kind.

    A repeat of an open alert refreshes its date and details rather than piling up duplicates.
    New alerts are addressed to the customer's owner and backup owner.
    """
    if not candidates:
        return 0
    wanted = {(c.customer_id, c.kind): c for c in candidates}
    customer_ids = {c.customer_id for c in candidates}
    open_alerts = {
        (a.customer_id, a.kind): a
        for a in Alert.objects.open().filter(customer_id__in=customer_ids, kind__in={c.kind for c in candidates})
    }
    to_update, to_create = [], []
    for key, candidate in wanted.items():
        existing = open_alerts.get(key)
        if existing is not None:
            existing.as_of, existing.details = as_of, candidate.details
            to_update.append(existing)
        else:
            to_create.append(
                Alert(customer_id=candidate.customer_id, kind=candidate.kind, as_of=as_of, details=candidate.details)
            )
    if to_update:
        bulk_update_with_history(to_update, Alert, ["as_of", "details"], batch_size=2000)
    if to_create:
        created = bulk_create_with_history(to_create, Alert, batch_size=2000)
        if any(a.pk is None for a in created):
            # Backends that cannot return ids from a bulk insert: read them back in one query.
            created = list(Alert.objects.open().filter(customer_id__in=customer_ids, as_of=as_of))
        owners = dict(Customer.objects.filter(pk__in={a.customer_id for a in created}).values_list("pk", "owner_id"))
        backups = dict(
            Customer.objects.filter(pk__in={a.customer_id for a in created}, backup_owner__isnull=False).values_list(
                "pk", "backup_owner_id"
            )
        )
        through = Alert.recipients.through
        rows = []
        for alert in created:
            for user_id in {owners.get(alert.customer_id), backups.get(alert.customer_id)} - {None}:
                rows.append(through(alert_id=alert.pk, user_id=user_id))
        through.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
    return len(wanted)


def risk_alert_candidates(*, as_of: date) -> list[AlertCandidate]:
    """Compare each customer's snapshot of the day with its previous one, for all customers at once.

    A customer's first scored night has nothing to compare with: it raises no band change (a whole
    book scored for the first time would otherwise open an alert for every amber and red account),
    only the trip-wires that fire.
    """
    # The snapshot before: for nearly every customer, that of the last day scored before (one
    # partition, looked up by customer); for the others (a night they were not scored), their
    # latest before the day, looked for across every partition.
    previous = RiskSnapshot.objects.filter(customer=OuterRef("customer"), as_of__lt=as_of).order_by("-as_of")
    last_day = RiskSnapshot.objects.filter(as_of__lt=as_of).aggregate(day=Max("as_of"))["day"]
    on_last_day = RiskSnapshot.objects.filter(customer=OuterRef("customer"), as_of=last_day)
    rows = (
        RiskSnapshot.objects.filter(as_of=as_of)
        .annotate(
            prev_band=Coalesce(
                Subquery(on_last_day.values("computed_band")[:1]), Subquery(previous.values("computed_band")[:1])
            ),
            prev_tripwires=Case(
                When(Exists(on_last_day), then=Subquery(on_last_day.values("tripwires")[:1])),
                default=Subquery(previous.values("tripwires")[:1]),
            ),
        )
        .filter(Q(computed_band__in=[RiskBand.AMBER, RiskBand.RED]) | Q(score_change_7d__gte=SCORE_JUMP_POINTS))
        .values_list(
            "customer_id",
            "computed_band",
            "prev_band",
            "score",
            "score_change_7d",
            "tripwires",
            "prev_tripwires",
        )
    )
    candidates = []
    for customer_id, band, prev_band, score, change_7d, tripwires, prev_tripwires in rows.iterator(chunk_size=5000):
        score_text = round(score) if score is not None else None
        now, before = BAND_ORDER.get(band), BAND_ORDER.get(prev_band)
        if prev_band is None:
            pass  # first scored night (every snapshot has a band): no change to tell
        elif band == RiskBand.RED and prev_band != RiskBand.RED:
            candidates.append(AlertCandidate(customer_id, AlertKind.NEW_RED, {"score": score_text, "from": prev_band}))
        elif now is not None and before is not None and now > before:
            candidates.append(
                AlertCandidate(
                    customer_id, AlertKind.BAND_WORSENED, {"score": score_text, "from": prev_band, "to": band}
                )
            )
        if change_7d is not None and change_7d >= SCORE_JUMP_POINTS:
            candidates.append(
                AlertCandidate(customer_id, AlertKind.SCORE_JUMP, {"score": score_text, "change": round(change_7d)})
            )
        new_wires = sorted(set(tripwires or []) - set(prev_tripwires or []))
        if new_wires:
            candidates.append(AlertCandidate(customer_id, AlertKind.TRIPWIRE, {"tripwires": new_wires}))
    return candidates


@transaction.atomic
def alert_close(*, alert: Alert, by, note: str = "") -> Alert:
    """Mark an alert as dealt with, with what was done; a later occurrence opens a new one. Audited."""
    if alert.closed_at is None:
        alert.closed_at, alert.closed_by, alert.close_note = timezone.now(), by, (note or "").strip()
        alert.save(update_fields=["closed_at", "closed_by", "close_note"])
    return alert


# At most this many alerts are acknowledged in one go.
ALERTS_CLOSE_LIMIT = 500


@transaction.atomic
def alerts_close(*, ids, by, note: str = "") -> list[Alert]:
    """Mark the alerts ``ids`` as dealt with, all with the same note, each audited as `alert_close`
    does. All or nothing: an id the user may not see, or an alert already dealt with, refuses the
    whole batch with a `ValidationError` and changes nothing. The caller checks the user may
    change customer data."""
    wanted = set(ids)
    if not wanted:
        raise ValidationError(_("Tick the alerts you dealt with first."))
    if len(wanted) > ALERTS_CLOSE_LIMIT:
        raise ValidationError(_("At most %(limit)s alerts can be marked at once.") % {"limit": ALERTS_CLOSE_LIMIT})
    visible = set(Alert.objects.visible_to(by).filter(pk__in=wanted).values_list("pk", flat=True))
    # Locked, so two people ticking the same alert cannot both close it.
    alerts = list(Alert.objects.select_for_update().filter(pk__in=visible).order_by("pk"))
    hidden = len(wanted - visible)
    if hidden:
        raise ValidationError(
            ngettext(
                "%(count)s of the selected alerts is not one of yours: nothing was marked.",
                "%(count)s of the selected alerts are not yours: nothing was marked.",
                hidden,
            )
            % {"count": hidden}
        )
    closed = [a for a in alerts if a.closed_at is not None]
    if closed:
        raise ValidationError(
            ngettext(
                "%(count)s of the selected alerts was dealt with meanwhile, by someone else or in "
                "another window: nothing was marked. Today now shows what is still open.",
                "%(count)s of the selected alerts were dealt with meanwhile, by someone else or in "
                "another window: nothing was marked. Today now shows what is still open.",
                len(closed),
            )
            % {"count": len(closed)}
        )
    return [alert_close(alert=alert, by=by, note=note) for alert in alerts]


@transaction.atomic
def overrides_expire(*, as_of: date) -> int:
    """End every override whose expiry has come, and tell the owners (audited)."""
    due = list(RiskOverride.objects.select_for_update().filter(ended_on__isnull=True, expires_on__lte=as_of))
    for override in due:
        override.ended_on = override.expires_on
    if due:
        bulk_update_with_history(due, RiskOverride, ["ended_on"], batch_size=2000, default_change_reason="expired")
        refresh_standing([o.customer_id for o in due])
        alerts_raise(
            as_of=as_of,
            candidates=[
                AlertCandidate(
                    o.customer_id, AlertKind.OVERRIDE_EXPIRED, {"band": o.band, "expired_on": o.expires_on.isoformat()}
                )
                for o in due
            ],
        )
    return len(due)


@transaction.atomic
def override_set(
    *, customer: Customer, band: str, reason: str, by, expires_on: date | None = None, today: date | None = None
) -> RiskOverride:
    """Set a manual band for a customer, replacing any override in force. Audited."""
    today = today or business_today()
    expires_on = expires_on or today + timedelta(days=30)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("An override needs a reason."))
    if not today < expires_on <= today + timedelta(days=MAX_OVERRIDE_DAYS):
        raise ValidationError(
            _("An override expires after today and within %(days)s days.") % {"days": MAX_OVERRIDE_DAYS}
        )
    for current in RiskOverride.objects.select_for_update().filter(customer=customer, ended_on__isnull=True):
        current.ended_on = today
        current._change_reason = "replaced"
        current.save(update_fields=["ended_on"])
    return RiskOverride.objects.create(
        customer=customer, band=band, reason=reason, set_by=by, starts_on=today, expires_on=expires_on
    )


@transaction.atomic
def override_end(*, customer: Customer, today: date | None = None) -> RiskOverride:
    """Remove the manual band in force, by hand, before its expiry. Audited."""
    override = RiskOverride.objects.select_for_update().get(customer=customer, ended_on__isnull=True)
    override.ended_on = today or business_today()
    override._change_reason = "ended by hand"
    override.save(update_fields=["ended_on"])
    return override
