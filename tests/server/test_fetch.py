"""SSRF: URL fetching refuses non-public addresses, before connecting, on every redirect hop."""

from __future__ import annotations

import ipaddress

import pytest

from imgsearch.server.fetch import AddressPolicy, FetchError, check_url, fetch_image
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


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::7f00:1",  # NAT64 (well-known prefix) → 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 → 169.254.169.254, cloud metadata
        "64:ff9b:1::a00:1",  # NAT64 local-use prefix → 10.0.0.1
        "2002:7f00:1::",  # 6to4 → 127.0.0.1
        "2002:c0a8:101::1",  # 6to4 → 192.168.1.1
        "::7f00:1",  # IPv4-compatible (deprecated) → 127.0.0.1
        "::808:808",  # IPv4-compatible, even of a public address: deprecated
        "::ffff:0:7f00:1",  # SIIT → 127.0.0.1
        "::ffff:0:a9fe:a9fe",  # SIIT → 169.254.169.254
        "fec0::1",  # site-local (deprecated)
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    ],
)
def test_ipv6_forms_of_private_ipv4_are_refused_without_connecting(address: str) -> None:
    assert not PUBLIC_ONLY.permits("", ipaddress.ip_address(address))
    with pytest.raises(FetchError, match="non-public"):
        _fetch(f"http://[{address}]:9/x.png")  # literal: resolved to itself, never connected


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8: a public destination
        ("2002:808:808::1", True),  # 6to4 of 8.8.8.8
        ("2606:4700::1111", True),  # plain global IPv6
        ("::ffff:8.8.8.8", True),
    ],
)
def test_ipv6_forms_of_public_ipv4_are_judged_by_it(address: str, allowed: bool) -> None:
    assert PUBLIC_ONLY.permits("", ipaddress.ip_address(address)) is allowed


def test_embedded_address_of_an_allowed_network_is_allowed() -> None:
    policy = AddressPolicy(["127.0.0.0/8"])
    assert policy.permits("", ipaddress.ip_address("64:ff9b::7f00:1"))


@pytest.mark.parametrize(
    "url",
    ["http://bücher.invalid/bild.png", "http://127.0.0.1:1/straße/bild.png?größe=1"],
)
def test_international_urls_are_fetched_in_ascii_form_or_refused(url: str) -> None:
    assert check_url(url).isascii()
    with pytest.raises(FetchError):  # an unknown name, a loopback address: refused, no crash
        _fetch(url)


def test_a_redirect_to_a_non_ascii_location_is_followed_in_ascii(
    local_server: LocalServer,
) -> None:
    policy = AddressPolicy(["127.0.0.1"])
    data = _fetch(local_server.url("/redirect?to=/image-ä.png"), policy)
    assert data.startswith(b"\x89PNG")
    assert local_server.hits[-1] == "/image-%C3%A4.png"


@pytest.mark.parametrize("url", ["http://[::1", "http://host:99999/x.png", "http://exa mple.com/"])
def test_malformed_urls_are_fetch_errors(url: str) -> None:
    with pytest.raises(FetchError):
        _fetch(url)
