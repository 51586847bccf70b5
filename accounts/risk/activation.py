"""Which risk model version the nightly run uses: the one service that activates a version."""

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import RiskModelVersion

from .engine import RiskModelError, validate_model


@transaction.atomic
def risk_model_activate(*, version: RiskModelVersion) -> RiskModelVersion:
    """Make ``version`` the one the nightly risk run uses; the active one steps down.

    Validates the version first (a model the engine could not use is refused with a translated
    ``ValidationError`` and nothing changes), and saves it — a new version is created active.
    Used by the admin's "Activate on save" and by its "Activate" action alike.
    """
    try:
        validate_model(weights=version.weights or {}, parameters=version.parameters)
    except RiskModelError as exc:
        raise ValidationError(str(exc)) from exc
    # One active version at a time (a database constraint): step the current one down first.
    others = RiskModelVersion.objects.select_for_update().filter(is_active=True)
    if version.pk is not None:
        others = others.exclude(pk=version.pk)
    for other in others:
        other.is_active = False
        other.save(update_fields=["is_active"])
    version.is_active = True
    version.save()
    return version
