"""Which band people see: the one home of that rule, for one customer and for lists in SQL."""

from django.db.models import F
from django.db.models.functions import Coalesce


def shown_band(*, override_band: str | None, computed_band: str | None) -> str | None:
    """The band people see: a manual band in force wins over the latest computed one.

    The one home of that rule (docs/risk-method.md, "Bands and trip-wires"): a band set by hand
    shows at once, not only from the next nightly snapshot. Lists compute it in SQL with
    `shown_band_expression`, single customers with `Customer.shown_band`.
    """
    return override_band or computed_band


def shown_band_expression(override_band: str, computed_band: str) -> Coalesce:
    """`shown_band` in SQL, from the paths of the override's band and of the snapshot's band."""
    return Coalesce(F(override_band), F(computed_band))
