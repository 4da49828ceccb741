"""Host names, cross-site browser requests, guessed keys: refused before any route runs."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient


def _code(response: Any) -> str:
    return str(response.json()["error"]["code"])


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:8000", "rebind.test."])
def test_a_page_rebound_to_loopback_is_refused(client: TestClient, host: str) -> None:
    response = client.get("/v1/status", headers={"Host": host})
    assert response.status_code == 400 and _code(response) == "UntrustedHost"
    assert client.post("/v1/index", headers={"Host": host}).status_code == 400


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:8000", "127.0.0.1:8000", "[::1]:8000", "192.168.1.20:8000"]
)
def test_loopback_names_and_addresses_are_served(client: TestClient, host: str) -> None:
    assert client.get("/v1/status", headers={"Host": host}).status_code == 200


def test_configured_host_names_are_served(make_client: Any) -> None:
    client = make_client(trusted_hosts=["photos.example.com"])
    assert client.get("/health", headers={"Host": "photos.example.com"}).status_code == 200
    assert client.get("/health", headers={"Host": "other.example.com"}).status_code == 400
    anything = make_client(trusted_hosts=["*"])
    assert anything.get("/health", headers={"Host": "other.example.com"}).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://attacker.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://localhost.attacker.example", "Sec-Fetch-Site": "cross-site"},
    ],
)
def test_a_cross_site_form_cannot_start_an_index_run(
    make_client: Any, headers: dict[str, str]
) -> None:
    client = make_client(roots=[])  # a started run would answer 400 NoRoots, not 403
    response = client.post(
        "/v1/index", headers={**headers, "Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 403 and _code(response) == "CrossOriginRequest"
    search = client.post(
        "/v1/search", headers={**headers, "Content-Type": "text/plain"}, content='{"text": "x"}'
    )
    assert search.status_code == 403


def test_same_origin_configured_origins_and_non_browsers_may_write(make_client: Any) -> None:
    client = make_client(roots=[], cors_origins=["https://app.example"])
    for headers in ({}, {"Origin": "http://localhost"}, {"Origin": "https://app.example"}):
        response = client.post("/v1/index", headers=headers)
        assert response.status_code == 400 and _code(response) == "NoRoots", headers
    assert (
        client.get("/v1/status", headers={"Origin": "https://attacker.example"}).status_code == 200
    )


def test_wrong_keys_are_throttled_per_address_right_or_wrong(make_client: Any) -> None:
    client = make_client(api_keys=["right-key"], auth_failures_per_minute=5)
    for attempt in range(5):
        response = client.get("/v1/status", headers={"Authorization": f"Bearer guess-{attempt}"})
        assert response.status_code == 401
    blocked = client.get("/v1/status", headers={"Authorization": "Bearer right-key"})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    azure = client.post(
        "/computervision/retrieval:vectorizeText",
        params={"api-version": "2024-02-01"},
        headers={"Ocp-Apim-Subscription-Key": "another-guess"},
        json={"text": "x"},
    )
    assert azure.status_code == 429


def test_every_key_presented_must_be_right(make_client: Any) -> None:
    client = make_client(api_keys=["right-key"])
    both = {"Ocp-Apim-Subscription-Key": "right-key", "Authorization": "Bearer right-key"}
    assert client.get("/v1/status", headers=both).status_code == 200
    for headers in (
        {"Ocp-Apim-Subscription-Key": "right-key", "Authorization": "Bearer wrong"},
        {"Ocp-Apim-Subscription-Key": "", "Authorization": "Bearer right-key"},
        {"Authorization": "Basic right-key"},
    ):
        assert client.get("/v1/status", headers=headers).status_code == 401, headers


def test_a_wrong_method_says_which_are_allowed(client: TestClient) -> None:
    response = client.request("TRACE", "/v1/search")
    assert response.status_code == 405 and response.headers["allow"] == "POST"


def test_allow_lists_every_method_of_the_path(client: TestClient) -> None:
    response = client.request("DELETE", "/v1/index")
    assert response.status_code == 405 and response.headers["allow"] == "GET, POST"
