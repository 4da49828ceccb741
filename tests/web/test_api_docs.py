"""``/docs`` in a real browser: Swagger UI from the package, offline, under the page's
Content-Security-Policy (any violation, request to another origin or console error fails
the test, see :class:`tests.web.conftest.Watch`), showing every route of the schema."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.web.conftest import Site

pytestmark = pytest.mark.slow


def test_the_api_reference_renders_offline_under_the_policy(open_page: Any, site: Site) -> None:
    page = open_page(site)
    page.goto(f"{site.url}docs")
    page.wait_for_selector(".opblock-summary-path")
    shown = set(page.locator(".opblock-summary-path").all_inner_texts())
    paths = set(httpx.get(f"{site.url}openapi.json").json()["paths"])
    assert {"/v1/search", "/v1/vectorize", "/computervision/retrieval:vectorizeImage"} <= paths
    assert {path.replace("\u200b", "") for path in shown} == paths  # every route, nothing else
    page.click(".opblock-summary-path[data-path='/v1/search']")  # a route opens …
    page.wait_for_selector(".opblock-body")  # … with its request body and answers
    assert "min_confidence" in page.inner_text(".opblock-body")
