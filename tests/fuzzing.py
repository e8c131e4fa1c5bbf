"""Hypothesis settings profiles for the fuzz tests: ``ci`` (the default: small counts, so the
suite stays in its time budget) and ``deep`` (``HYPOTHESIS_PROFILE=deep``: many more examples).
No deadline: a slow example on a loaded machine is not a failure (no test waits on the clock)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile(
    "ci", max_examples=25, deadline=None, database=None, suppress_health_check=_QUIET
)
settings.register_profile("deep", max_examples=500, deadline=None, suppress_health_check=_QUIET)
settings.load_profile(PROFILE)


def examples(ci: int, deep: int | None = None) -> int:
    """``ci`` examples under the ci profile; under ``deep``, ``deep`` (default: twenty times
    as many)."""
    if PROFILE != "deep":
        return ci
    return deep if deep is not None else ci * 20


TIMEOUT_SECONDS = 3600 if PROFILE == "deep" else 600  # a deep run of the dev-server fuzz is long
