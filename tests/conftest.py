"""Test configuration: hypothesis profiles, and PostgreSQL tests on or off.

``HYPOTHESIS_PROFILE=ci`` (set by .ci/run) runs more examples with no deadline; the default
``dev`` profile keeps local runs fast.

Tests marked ``postgres`` run when ``SMARTCITY_TEST_POSTGRES_URL`` is set and are skipped
otherwise (a fresh laptop has no PostgreSQL). With the variable set they never skip: a server that
cannot be reached fails them. ``.ci/run`` sets it.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

PG_ENV = "SMARTCITY_TEST_POSTGRES_URL"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if os.environ.get(PG_ENV):
        return
    skip = pytest.mark.skip(reason=f"PostgreSQL tests need {PG_ENV}")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
