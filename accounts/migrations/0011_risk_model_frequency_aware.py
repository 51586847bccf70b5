"""A new active risk model version for the frequency-aware purchase model.

Earlier versions store parameters of the retired order-recency signal (``order_recency_grid``,
``order_gap_sample``…), which the scorer no longer knows, so they can no longer be used. Where a
book already has versions, this adds the next version with the code's default weights and
parameters (docs/risk-method.md) and makes it the active one; the earlier versions stay stored,
with the snapshots that cite them. A new installation has no version yet and gets version 1 from
the defaults on first use.
"""

import copy

from django.db import migrations
from django.db.models import Max


def add_version(apps, schema_editor):
    from accounts.risk.defaults import DEFAULT_PARAMETERS, DEFAULT_WEIGHTS

    versions = apps.get_model("accounts", "RiskModelVersion")
    if not versions.objects.exists():
        return
    number = versions.objects.aggregate(m=Max("version"))["m"] + 1
    versions.objects.filter(is_active=True).update(is_active=False)
    versions.objects.create(
        version=number,
        is_active=True,
        weights=copy.deepcopy(DEFAULT_WEIGHTS),
        parameters=copy.deepcopy(DEFAULT_PARAMETERS),
        notes=(
            "Frequency-aware purchase model (renewal model of order gaps with drop-out, account size), "
            "weights and thresholds fitted out of time on the demo book; added on upgrade and made active."
        ),
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0010_backtestrun")]

    operations = [migrations.RunPython(add_version, migrations.RunPython.noop)]
