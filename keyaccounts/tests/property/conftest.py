"""The hypothesis profile of the property tests: bounded, reproducible in CI, no example database.

``HYPOTHESIS_PROFILE`` picks another registered profile (``property-long`` for a deeper run by hand).
"""

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": True,
}
settings.register_profile("property", max_examples=20, **_COMMON)
settings.register_profile("property-ci", max_examples=20, derandomize=True, **_COMMON)
settings.register_profile("property-long", max_examples=300, **_COMMON)

_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("property-ci" if _CI else "property"))
