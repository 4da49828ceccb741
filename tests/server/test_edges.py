"""One contract at the edges: ``q`` over HTTP reads an expression exactly as the command
line does (every README example), filters speak the same format names, and a hit has the
same fields and values in ``imgsearch search --json`` and ``/v1/search``."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from imgsearch.errors import InvalidQuery
from imgsearch.query.expression import parse_expression
from imgsearch.query.grammar import parse_terms
from tests.cli.test_cli import imgsearch
from tests.readme_examples import readme_queries
from tests.server.conftest import LocalServer


def test_the_readme_shows_mixes_to_check() -> None:
    queries = readme_queries()
    assert len(queries) >= 10
    assert any(" + " in q and '"' in q for q in queries)


@pytest.mark.parametrize("expression", readme_queries())
def test_q_reads_every_readme_query_as_the_command_line_does(
    client: TestClient, expression: str
) -> None:
    words = expression.split(" ")  # as the command line gets them
    parts = parse_expression(words)
    answer = client.post("/v1/search", json={"q": expression, "top": 3})
    images = [t.term for t in parse_terms(words, files=True) if t.image]
    if images:  # a path: recognised as the command line does, and refused, never read
        assert answer.status_code == 400, answer.text
        error = answer.json()["error"]
        assert error["code"] == "InvalidQuery" and repr(images[0]) in error["message"]
        return
    assert answer.status_code == 200, answer.text
    assert answer.json()["expression"] == [
        {"term": p.text, "weight": p.weight, "image": False} for p in parts
    ]


def test_q_joins_the_other_parts_and_broken_expressions_are_400(client: TestClient) -> None:
    answer = client.post(
        "/v1/search", json={"q": '"2:red circle" - blue', "text": "star", "top": 3}
    )
    assert answer.status_code == 200
    assert answer.json()["expression"] == [
        {"term": "red circle", "weight": 2.0, "image": False},
        {"term": "blue", "weight": -1.0, "image": False},
    ]
    assert client.post("/v1/search", json={"text": "star"}).json()["expression"] == []
    for broken in [
        '"red circle',
        "red +",
        "red + + blue",
        "1000:red",
        " + ".join("abcdefghijklmnopq"),
    ]:
        answer = client.post("/v1/search", json={"q": broken})
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "InvalidQuery"


@pytest.mark.parametrize("typed", ["jpg", "JPG", "jpeg", " Jpeg "])
def test_a_format_filter_over_http_speaks_the_command_line_s_names(
    client: TestClient, typed: str
) -> None:
    answer = client.post(
        "/v1/search", json={"text": "red circle", "top": 50, "filters": {"formats": [typed]}}
    )
    assert answer.status_code == 200, answer.text
    paths = [hit["path"] for hit in answer.json()["hits"]]
    assert paths and all(path.endswith(".jpg") for path in paths)


def test_a_url_in_q_is_an_image_fetched_with_every_check(
    make_client: Any, local_server: LocalServer
) -> None:
    url = local_server.url("/image.png")
    refused = make_client().post("/v1/search", json={"q": f"{url} - blue"})
    assert refused.status_code == 400 and local_server.hits == []  # loopback: not allowed

    client = make_client(url_allow=["127.0.0.1"])
    answer = client.post("/v1/search", json={"q": f"{url} - blue", "top": 3})
    assert answer.status_code == 200, answer.text
    assert answer.json()["expression"] == [
        {"term": url, "weight": 1.0, "image": True},
        {"term": "blue", "weight": -1.0, "image": False},
    ]
    assert local_server.hits == ["/image.png"]
    with pytest.raises(InvalidQuery, match="web address"):
        parse_expression(f"{url} - blue")  # the command line reads files, not URLs


@pytest.mark.parametrize("query", [["red circle"], ["blue + 0.5:star", "--whole"]])
def test_cli_json_and_http_hits_carry_the_same_fields_and_values(
    client: TestClient, index_path: Path, query: list[str]
) -> None:
    made = imgsearch(
        "search", "--index", str(index_path), *query, "--json", "--top", "8",
        env={"IMGSEARCH_RESIDENT": "off"},
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    printed = [json.loads(line) for line in made.stdout.splitlines()]
    body = {"q": query[0], "top": 8, "regions": "--whole" not in query}
    answered = client.post("/v1/search", json=body).json()["hits"]
    assert len(printed) == len(answered) == 8
    for line, hit in zip(printed, answered, strict=True):
        assert set(hit) == set(line) | {"links", "preview"}  # the server adds its addresses
        for field, value in line.items():
            if isinstance(value, dict):  # a region or segment: the server adds its picture
                assert {k: hit[field][k] for k in value} == value, field
            elif isinstance(value, float):  # the server embeds texts in batches: float noise
                # (which a confidence's presence, steep in the query's lead, makes larger)
                noise = 1e-4 if field == "confidence" else 2e-6
                assert hit[field] == pytest.approx(value, abs=noise), field
            else:
                assert hit[field] == value, field
        taken = datetime.fromisoformat(line["taken"])
        assert taken.utcoffset() is not None  # a time zone, never a naive local time
        assert abs(taken.timestamp() - Path(line["path"]).stat().st_mtime) < 1


def test_cli_json_and_http_status_carry_the_same_fields_and_values(
    client: TestClient, index_path: Path
) -> None:
    printed = imgsearch("status", "--index", str(index_path), "--json")
    assert printed.returncode == 0, printed.stderr
    line = json.loads(printed.stdout)
    answered = client.get("/v1/status").json()
    assert set(line) - set(answered) == {"daemon"}  # each edge adds only its own
    assert set(answered) - set(line) == {"job", "security"}
    shared = set(line) & set(answered)
    assert {f: line[f] for f in shared} == {f: answered[f] for f in shared}
    assert line["images"] > 0 and line["bytes_on_disk"] > 0 and line["model"]
    run = line["last_run"]
    for moment in (run["started_at"], run["finished_at"]):
        assert datetime.fromisoformat(moment).utcoffset() is not None  # ISO, with its zone
    assert run["completed"] is True and {"added", "failed", "embedded"} <= set(run["counts"])


def test_cli_and_http_read_the_date_filters_alike(client: TestClient, index_path: Path) -> None:
    """The first year too: the command line refused 0001-01-01 ("not a date") while HTTP
    read it; both read it through imgsearch.query.dates now."""
    for day in ("0001-01-01", "2019-07-01", "9999-12-31"):
        printed = imgsearch(
            "search", "red circle", "--index", str(index_path), "--after", day, "--paths",
            "--top", "50", env={"IMGSEARCH_RESIDENT": "off"},
        )  # fmt: skip
        assert printed.returncode == 0, printed.stderr
        body = {"q": "red circle", "top": 50, "filters": {"after": day}}
        answered = client.post("/v1/search", json=body).json()["hits"]
        assert printed.stdout.split() == [hit["path"] for hit in answered], day
