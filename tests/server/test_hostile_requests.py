"""Requests made to break the server: each gets a clear 4xx in our envelope (never a 500),
and every answer, a real fault's too, carries the security headers."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from imgsearch.server.service import Service
from imgsearch.server.web import SECURITY_HEADERS


def _first_id(client: TestClient) -> int:
    found = client.post("/v1/search", json={"text": "red circle", "top": 1}).json()
    return int(found["hits"][0]["id"])


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ("bytes=" + "9" * 5000 + "-", 416),  # Python refuses to convert 4,300 digits: was a 500
        ("bytes=0-" + "9" * 5000, 206),
        ("bytes=-" + "9" * 5000, 206),
    ],
)
def test_a_range_of_thousands_of_digits_is_read_as_past_the_end(
    client: TestClient, header: str, status: int
) -> None:
    answer = client.get(f"/v1/images/{_first_id(client)}/file", headers={"Range": header})
    assert answer.status_code == status, answer.text


@pytest.mark.parametrize("route", ["/v1/annotations", "/v1/search", "/v1/vectorize"])
def test_json_nested_past_the_parser_is_a_bad_request(client: TestClient, route: str) -> None:
    answer = client.post(
        route, content=b"[" * 100_000, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "InvalidRequest"


def test_head_is_answered_wherever_get_is(client: TestClient) -> None:
    for path in ("/v1/status", "/health", f"/v1/images/{_first_id(client)}/thumbnail"):
        got, head = client.get(path), client.head(path)
        assert head.status_code == 200 and head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"]
    assert client.head("/v1/no-such-route").status_code == 404


def test_missing_images_do_not_say_where_the_index_is(client: TestClient) -> None:
    for path in ("/v1/images/987654", "/v1/videos/987654/frame", "/v1/images/987654/thumbnail"):
        answer = client.get(path)
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "NotFound"
        location = client.app.state.service.index.store.location  # type: ignore[attr-defined]
        assert location not in answer.text


def test_thumbnails_cannot_be_embedded_by_other_sites(client: TestClient) -> None:
    answer = client.get(f"/v1/images/{_first_id(client)}/thumbnail")
    assert answer.headers["cross-origin-resource-policy"] == "same-origin"


def test_a_real_fault_is_a_500_with_the_security_headers(
    make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Service) -> dict[str, Any]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Service, "status", broken)
    answer = make_client().get("/v1/status")
    assert answer.status_code == 500 and answer.json()["error"]["code"] == "InternalError"
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers[name] == value


def test_index_now_while_the_command_line_indexes_is_a_conflict(make_client: Any) -> None:
    client = make_client()
    store = client.app.state.service.index.store  # type: ignore[attr-defined]
    other = type(store)(store.folder)  # another process's run, as far as the lock goes
    with other.run_lock("all"):  # the server does not wait for it: says so at once
        answer = client.post("/v1/index")
    other.close()
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "IndexRunning"
    assert "elsewhere" in answer.json()["error"]["message"]
