"""Why a list shows the band it shows, for the badge's marker: set by hand, raised by a trip-wire,
or (no marker) the score against the thresholds. Read from the annotations of `account_list`, so
a list pays no query for it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.utils import formats
from django.utils.translation import gettext

from ..models import RiskBand
from ..people import person_name
from ..risk.defaults import DEFAULT_PARAMETERS
from ..risk.reasons import TRIPWIRE_LABELS

MANUAL, TRIPWIRE = "manual", "tripwire"


@dataclass(frozen=True)
class BandSource:
    kind: str = ""  # MANUAL, TRIPWIRE, or "" for the score's thresholds
    why: str = ""


class ShowsBand:
    """A line of a list that shows its customer's band badge (`customer` from `account_list`):
    the band shown, the score and why the band is what it is."""

    customer: object

    @property
    def band(self) -> str | None:
        return self.customer.display_band

    @property
    def score(self) -> float | None:
        return self.customer.snapshot_score

    @cached_property
    def band_source(self) -> BandSource:
        return band_source(self.customer)


def band_source(customer) -> BandSource:
    """The source of the band shown for a customer of `account_list`, with the sentence its
    badge's marker says."""
    if getattr(customer, "override_band", None):
        who = person_name(customer.override_set_by_first_name or "", customer.override_set_by_last_name or "")
        expires_on = customer.override_expires_on
        return BandSource(
            MANUAL,
            gettext("Set by hand by %(who)s until %(date)s: %(reason)s")
            % {
                "who": who or customer.override_set_by_username,
                "date": formats.date_format(expires_on, "DATE_FORMAT") if expires_on else "—",
                "reason": customer.override_reason,
            },
        )
    tripwires = getattr(customer, "snapshot_tripwires", None) or []
    score, band = getattr(customer, "snapshot_score", None), getattr(customer, "snapshot_computed_band", None)
    if not tripwires or score is None or band not in (RiskBand.AMBER, RiskBand.RED):
        return BandSource()
    stored = getattr(customer, "snapshot_bands", None)
    thresholds = {**DEFAULT_PARAMETERS["bands"], **(stored if isinstance(stored, dict) else {})}
    if score >= thresholds[band]:
        return BandSource()
    return BandSource(
        TRIPWIRE,
        gettext("%(band)s because of a trip-wire: %(reason)s")
        % {
            "band": RiskBand(band).label,
            "reason": "; ".join(str(TRIPWIRE_LABELS.get(code, code)) for code in tripwires),
        },
    )
