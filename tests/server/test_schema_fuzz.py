"""Property-based requests generated from the OpenAPI schema (schemathesis): never a 5xx,
and every answer is one the schema documents (status, content type, body, headers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from imgsearch.server import ServerSettings, create_app

EXAMPLES_PER_OPERATION = 40
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.mark.slow
def test_no_generated_request_makes_the_server_fail(index_path: Path) -> None:
    # no roots: POST /v1/index answers 400 instead of starting a run on the shared index
    app = create_app(
        ServerSettings(index=index_path, roots=[], url_timeout=1.0, trusted_hosts=["testserver"])
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 11
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
            case.call_and_validate(checks=CHECKS)

        call()
    assert calls["POST /v1/search"] >= EXAMPLES_PER_OPERATION // 2
    assert calls["POST /computervision/retrieval:vectorizeText"] >= EXAMPLES_PER_OPERATION // 2
