"""Alert messages in the reader's language, from the language-neutral details stored on the alert."""

from django.utils.translation import gettext

from ..models import AlertKind, RiskBand, Tier
from ..risk.reasons import TRIPWIRE_LABELS


def _band(value) -> str:
    """The band's name inside a sentence: "was amber", not "was Amber"."""
    return str(RiskBand(value).label).lower() if value in RiskBand.values else gettext("no band")


def render_alert(kind: str, details: dict) -> str:
    d = details or {}
    if kind == AlertKind.NEW_RED:
        return gettext("Now red (risk %(score)s), was %(before)s") % {
            "score": d.get("score"),
            "before": _band(d.get("from")),
        }
    if kind == AlertKind.BAND_WORSENED:
        return gettext("Band worsened from %(before)s to %(after)s (risk %(score)s)") % {
            "before": _band(d.get("from")),
            "after": _band(d.get("to")),
            "score": d.get("score"),
        }
    if kind == AlertKind.SCORE_JUMP:
        return gettext("Risk rose %(change)s points in a week, to %(score)s") % {
            "change": d.get("change"),
            "score": d.get("score"),
        }
    if kind == AlertKind.TRIPWIRE:
        names = [str(TRIPWIRE_LABELS.get(code, code)) for code in d.get("tripwires", [])]
        return gettext("Trip-wire fired: %(names)s") % {"names": gettext("; ").join(names)}
    if kind == AlertKind.TIER_CHANGE:
        if d.get("to") == Tier.KEY:
            return gettext("Became a key account")
        return gettext("Left the key-account tier")
    if kind == AlertKind.OVERRIDE_EXPIRED:
        return gettext("The manual %(band)s band expired on %(date)s; the computed band applies again") % {
            "band": _band(d.get("band")),
            "date": d.get("expired_on"),
        }
    return str(kind)
