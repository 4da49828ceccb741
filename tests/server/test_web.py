"""The web page as the server serves it, and the /v1 endpoints added for it.

What the page does in a browser is tested in ``tests/web`` (a real Chromium).
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from imgsearch import Index
from imgsearch.demo.collection import generate_collection
from imgsearch.server.web import CONTENT_SECURITY_POLICY
from tests.server.conftest import png_bytes

JS_CSS_BUDGET = 150_000  # bytes, uncompressed: the budget


def _web_files() -> list[Path]:
    root = Path(str(resources.files("imgsearch").joinpath("web")))
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_the_page_and_its_modules_are_served_with_a_strict_policy(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert csp == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in csp and "unsafe" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    # No inline script or style, nothing from another origin: the policy would block it.
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text)
    assert "style=" not in page.text and "<style" not in page.text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.text)
    for name in re.findall(r"""(?:src|href)="(/static/[^"]+)""", page.text):
        assert client.get(name).status_code == 200, name
    module = client.get("/static/js/main.js")
    assert module.headers["content-type"].startswith("text/javascript")
    assert module.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_every_module_the_page_imports_is_shipped_and_nothing_is_fetched_elsewhere(
    client: TestClient,
) -> None:
    sources = {p.name: p.read_text("utf-8") for p in _web_files() if p.suffix == ".js"}
    for name, text in sources.items():
        for imported in re.findall(r"""from\s+"\./([^"]+)";""", text):
            assert imported in sources, f"{name} imports {imported}"
            assert client.get(f"/static/js/{imported}").status_code == 200
        assert "eval(" not in text and "innerHTML" not in text and "new Function" not in text
        assert not re.search(r"https?://", text), f"{name} names another origin"
    total = sum(p.stat().st_size for p in _web_files() if p.suffix in (".js", ".css"))
    assert total <= JS_CSS_BUDGET, total


def test_api_answers_carry_the_security_headers_too(client: TestClient) -> None:
    for response in (client.get("/v1/status"), client.get("/v1/images/999999")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_static_files_cannot_reach_outside_the_package(client: TestClient) -> None:
    for path in (
        "/static/../server/app.py",
        "/static/%2e%2e/server/app.py",
        "/static/..%2f..%2fpyproject.toml",
        "/static/js/../../__init__.py",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "import" not in response.text


def test_the_page_can_be_switched_off_and_needs_no_key(make_client: Any) -> None:
    assert make_client(web_ui=False).get("/").status_code == 404
    keyed = make_client(api_keys=["secret"])
    assert keyed.get("/").status_code == 200  # the page holds no data
    assert keyed.get("/static/js/api.js").status_code == 200
    assert keyed.get("/v1/status").status_code == 401  # what it shows does


def test_annotation_endpoint_sets_caption_and_tags_that_search_then_finds(
    make_client: Any, tmp_path: Path
) -> None:
    shapes = generate_collection(tmp_path / "shapes", 8, seed=5)
    with Index.open(tmp_path / "index", model="demo-shapes") as index:
        index.update([shapes.root])
    client = make_client(index=tmp_path / "index", roots=[shapes.root])
    target = client.post("/v1/search", json={"text": "circle", "top": 8}).json()["hits"][-1]
    url = f"/v1/images/{target['id']}/annotation"
    answer = client.put(
        url, json={"caption": "  zanzibar holiday ", "tags": ["beach", "beach", " sea "]}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["caption"] == "zanzibar holiday"
    assert answer.json()["tags"] == ["beach", "sea"]
    assert client.get(f"/v1/images/{target['id']}").json()["tags"] == ["beach", "sea"]
    # Captions steer, pictures lead (metadata_weight 0.1): a word only a caption has wins
    # once the weight lets it (the demo model has never seen the word).
    body = {"text": "zanzibar", "top": 1, "metadata_weight": 0.5}
    first = client.post("/v1/search", json=body).json()["hits"][0]
    assert first["id"] == target["id"] and first["metadata_score"] > 0
    cleared = client.put(url, json={"caption": None, "tags": []}).json()
    assert cleared["caption"] is None and cleared["tags"] == []

    assert client.put("/v1/images/987654/annotation", json={"caption": "x"}).status_code == 404
    for bad in ({"caption": "x" * 2001}, {"tags": [""]}, {"tags": ["t"] * 65}, {"tags": "beach"}):
        response = client.put(url, json=bad)
        assert response.status_code == 422 and response.json()["error"]["code"] == "InvalidRequest"
    assert client.post(url, json={"caption": "x"}).status_code == 405
    schema = client.get("/openapi.json").json()["paths"]
    assert "put" in schema["/v1/images/{image_id}/annotation"]
    assert "/v1/folders" in schema


def test_failures_are_listed_a_page_at_a_time(make_client: Any, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    root.mkdir()
    (root / "good.png").write_bytes(png_bytes())
    for name in ("b.jpg", "a.png", "<c>.gif"):
        (root / name).write_bytes(b"not an image at all")
    with Index.open(tmp_path / "index", model="demo-shapes") as index:
        index.update([root])
    client = make_client(index=tmp_path / "index", roots=[root])
    real = root.resolve()
    page = client.get("/v1/failures", params={"limit": 2, "offset": 1}).json()
    assert page["total"] == 3
    assert [f["path"] for f in page["failures"]] == [str(real / "a.png"), str(real / "b.jpg")]
    assert all(f["code"] and f["message"] and f["seen_at"] > 0 for f in page["failures"])
    assert len(client.get("/v1/failures").json()["failures"]) == 3
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"offset": 2**40}):
        assert client.get("/v1/failures", params=bad).status_code == 422


def test_folder_suggestions_come_from_indexed_paths(make_client: Any, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    for number, name in enumerate(
        ["2019/summer/a.png", "2019/summer/b.png", "2019/winter/c.png", "2020/d.png",
         "2020/e.png", "2020x.png", "misc/f.png", "loose.png"]
    ):  # fmt: skip
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(png_bytes(40 + number, 40, "red"))
    with Index.open(tmp_path / "index", model="demo-shapes") as index:
        index.update([root])
    client = make_client(index=tmp_path / "index", roots=[root])
    real = str(root.resolve())

    def suggest(prefix: str, **params: Any) -> list[str]:
        response = client.get("/v1/folders", params={"prefix": prefix, **params})
        assert response.status_code == 200, response.text
        return response.json()["folders"]  # type: ignore[no-any-return]

    assert suggest("") == [real + "/"]
    assert suggest(real + "/") == [f"{real}/2019/", f"{real}/2020/", f"{real}/misc/"]
    assert suggest(real + "/20") == [f"{real}/2019/", f"{real}/2020/"]
    assert suggest(real + "/2019/") == [f"{real}/2019/summer/", f"{real}/2019/winter/"]
    assert suggest(real + "/20", limit=1) == [f"{real}/2019/"]
    assert suggest(real + "/nothing") == [] and suggest("relative/path") == []
    assert client.get("/v1/folders", params={"limit": 0}).status_code == 422


def test_the_pages_files_go_gzip_compressed_to_browsers_that_accept_it(client: TestClient) -> None:
    root = Path(str(resources.files("imgsearch").joinpath("web")))
    plain_bytes = sent_bytes = 0
    for file in (p for p in _web_files() if p.suffix in (".js", ".css")):
        url = f"/static/{file.relative_to(root).as_posix()}"
        plain = client.get(url, headers={"Accept-Encoding": "identity"})
        packed = client.get(url, headers={"Accept-Encoding": "gzip, br"})
        assert "content-encoding" not in plain.headers
        assert packed.content == plain.content == file.read_bytes()  # decoded by the client
        plain_bytes += len(plain.content)
        sent_bytes += packed.num_bytes_downloaded
        if file.stat().st_size >= 1024:
            assert packed.headers["content-encoding"] == "gzip", url
            assert packed.headers["vary"] == "Accept-Encoding"
            assert packed.headers["etag"] != plain.headers["etag"]
            assert packed.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
            again = client.get(
                url, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["etag"]}
            )
            assert again.status_code == 304  # cached copies stay valid
    assert sent_bytes <= 0.4 * plain_bytes, (sent_bytes, plain_bytes)
    print(f"page JS + CSS: {plain_bytes} bytes, {sent_bytes} sent gzip-compressed")
    # a range of a file is the plain file's (offsets are the file's)
    part = client.get(
        "/static/js/main.js", headers={"Accept-Encoding": "gzip", "Range": "bytes=0-9"}
    )
    assert part.status_code == 206 and "content-encoding" not in part.headers
    docs = client.get("/docs/static/swagger-ui-bundle.js", headers={"Accept-Encoding": "gzip"})
    assert docs.headers["content-encoding"] == "gzip" and docs.num_bytes_downloaded < 700_000


def test_the_page_has_one_heading_and_everything_in_a_landmark(client: TestClient) -> None:
    """What a screen reader's landmark and heading lists need (axe: region, page-has-heading-one)."""
    from html.parser import HTMLParser

    class Top(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.depth, self.top, self.headings = 0, [], []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "h1":
                self.headings.append(tag)
            if self.depth == 1 and self.in_body:
                self.top.append((tag, dict(attrs)))
            if tag not in ("meta", "link", "input", "img", "br"):
                self.depth += 1
            if tag == "body":
                self.in_body, self.depth = True, 1

        def handle_endtag(self, tag: str) -> None:
            if tag not in ("meta", "link", "input", "img", "br"):
                self.depth -= 1

        in_body = False

    parsed = Top()
    parsed.feed(client.get("/").text)
    assert parsed.headings == ["h1"]
    outside = [
        (tag, attrs.get("id"))
        for tag, attrs in parsed.top
        if tag not in ("header", "main", "dialog") and "hidden" not in attrs
    ]
    assert outside == [], outside
