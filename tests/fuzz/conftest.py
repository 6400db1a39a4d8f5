"""Hypothesis budget: small in CI, larger with SAM_FASTAPI_FUZZ_EXAMPLES=N."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "sam-fastapi",
    max_examples=int(os.environ.get("SAM_FASTAPI_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)
settings.load_profile("sam-fastapi")
