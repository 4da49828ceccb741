"""SSRF: URL fetching refuses non-public addresses, before connecting, on every redirect hop."""

from __future__ import annotations

import pytest

from imgsearch.server.fetch import AddressPolicy, FetchError, fetch_image
from tests.server.conftest import LocalServer

PUBLIC_ONLY = AddressPolicy()


def _fetch(url: str, policy: AddressPolicy = PUBLIC_ONLY, max_bytes: int = 1 << 20) -> bytes:
    return fetch_image(url, policy=policy, max_bytes=max_bytes, timeout=3)


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "[::1]", "[::ffff:127.0.0.1]", "0.0.0.0"],
)
def test_loopback_is_refused_without_connecting(local_server: LocalServer, host: str) -> None:
    with pytest.raises(FetchError, match="non-public"):
        _fetch(local_server.url("/image.png", host=host))
    assert local_server.hits == []


@pytest.mark.parametrize(
    "url",
    [
        "http://10.1.2.3/image.png",
        "http://192.168.0.1/image.png",
        "http://172.16.5.5/image.png",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[fe80::1]/x.png",
        "http://100.64.0.1/x.png",  # carrier-grade NAT
    ],
)
def test_private_and_link_local_addresses_are_refused(url: str) -> None:
    with pytest.raises(FetchError, match="non-public"):
        _fetch(url)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/a.png",
        "gopher://example.com/",
        "data:image/png;base64,AAAA",
        "http:///nohost",
    ],
)
def test_other_schemes_and_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(FetchError):
        _fetch(url)


def test_allow_listed_host_is_fetched(local_server: LocalServer) -> None:
    data = _fetch(local_server.url("/image.png"), AddressPolicy(["127.0.0.1/32"]))
    assert data.startswith(b"\x89PNG")
    assert local_server.hits == ["/image.png"]


def test_a_redirect_to_a_refused_address_is_not_followed(local_server: LocalServer) -> None:
    allowed_by_name = AddressPolicy(["localhost"])  # the name, not loopback as such
    target = local_server.url("/image.png")  # 127.0.0.1 literally: not allowed
    with pytest.raises(FetchError, match="non-public"):
        _fetch(local_server.url(f"/redirect?to={target}", host="localhost"), allowed_by_name)
    assert local_server.hits == [f"/redirect?to={target}"]


def test_size_limit_and_content_check(local_server: LocalServer) -> None:
    policy = AddressPolicy(["127.0.0.1"])
    with pytest.raises(FetchError, match=r"more than|larger than"):
        _fetch(local_server.url("/big.png"), policy, max_bytes=1000)
    with pytest.raises(FetchError, match="not an image"):
        _fetch(local_server.url("/page.html"), policy)


def test_unresolvable_host_is_an_error() -> None:
    with pytest.raises(FetchError, match="resolve"):
        _fetch("http://no-such-host.invalid/x.png")
