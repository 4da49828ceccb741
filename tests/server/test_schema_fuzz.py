"""Property-based requests generated from the OpenAPI schema (schemathesis): never a 5xx,
every answer one the schema documents (status, content type, body, headers), bad data
refused, and keys required exactly where the schema says so.

All of schemathesis' checks run but one: ``positive_data_acceptance`` expects every
schema-valid body to succeed, while ``{}`` is schema-valid for /v1/search (no field is
required on its own) yet asks for nothing — a 400 the schema cannot express.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import CHECKS, load_all_checks

from imgsearch.server import ServerSettings, create_app

EXAMPLES_PER_OPERATION = 40
KEY = "fuzz-key"


def _checks() -> list[Any]:
    load_all_checks()
    chosen = [c for c in CHECKS.get_all() if c.__name__ != "positive_data_acceptance"]
    assert {"not_a_server_error", "status_code_conformance", "ignored_auth"} <= {
        c.__name__ for c in chosen
    }
    return chosen


@pytest.mark.slow
@pytest.mark.parametrize("keys", [False, True], ids=["keyless", "with-keys"])
def test_no_generated_request_makes_the_server_fail(index_path: Path, keys: bool) -> None:
    # no roots: POST /v1/index answers 400 instead of starting a run on the shared index;
    # schemathesis' own wrong-key probes must not throttle the real requests
    extra: dict[str, Any] = {"api_keys": [KEY], "auth_failures_per_minute": 10**6} if keys else {}
    app = create_app(
        ServerSettings(
            index=index_path, roots=[], url_timeout=1.0, trusted_hosts=["testserver"], **extra
        )
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 11
    checks = _checks()
    headers = {"Authorization": f"Bearer {KEY}"} if keys else None
    calls: dict[str, int] = {}
    for operation in operations:
        label = operation.label

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def call(case: Any) -> None:
            calls[label] = calls.get(label, 0) + 1  # noqa: B023 - called within this iteration
            case.call_and_validate(checks=checks, headers=headers)

        call()
    assert calls["POST /v1/search"] >= EXAMPLES_PER_OPERATION // 2
    assert calls["POST /computervision/retrieval:vectorizeText"] >= EXAMPLES_PER_OPERATION // 2
