"""Fetching an image by URL without becoming a proxy into private networks (SSRF).

- only ``http`` and ``https``; no credentials in the URL; international names
  and paths are sent in their ASCII forms (IDNA, percent-encoding);
- the host name is resolved once per connection and **every** address must be
  public (not loopback, private, link-local — where cloud metadata lives —,
  multicast, reserved or unspecified) unless it is in ``allow``; the socket is
  then opened to the checked address itself, so a DNS answer that changes
  between check and connect (rebinding) cannot slip through; TLS still checks
  the certificate against the host name;
- IPv6 addresses that carry an IPv4 address (mapped ``::ffff:a.b.c.d``, SIIT
  ``::ffff:0:a.b.c.d``, NAT64 ``64:ff9b::/96`` and ``64:ff9b:1::/48``, 6to4
  ``2002::/16``, Teredo ``2001::/32``) are judged by that IPv4 address, since
  a translator would deliver the request there; deprecated forms
  (IPv4-compatible ``::a.b.c.d``, site-local ``fec0::/10``) are refused;
- redirects are followed by hand (at most 5) and each hop is checked again;
- a time limit for the whole fetch, a size limit enforced while reading, and
  the first bytes must look like an image before anything is decoded.

Whatever goes wrong becomes a :class:`FetchError` whose reason is for the log
only: clients are told no more than "not accessible", so the server cannot be
used to map which hosts and ports exist behind it.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import httpcore

MAX_REDIRECTS = 5
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_IMAGE_SIGNATURES = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",  # TIFF
    b"MM\x00*",
    b"\x00\x00\x01\x00",  # ICO
)


class FetchError(Exception):
    """The URL could not be fetched; ``reason`` is for logs, the client gets a generic message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AddressPolicy:
    """Which addresses a fetch may connect to: public ones, plus an allow-list."""

    def __init__(self, allow: Sequence[str] = ()) -> None:
        self.networks = []
        self.hosts = set()
        for entry in allow:
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.hosts.add(entry.lower().rstrip("."))

    def permits(self, host: str, address: IPAddress) -> bool:
        if host.lower().rstrip(".") in self.hosts or self._listed(address):
            return True
        if isinstance(address, ipaddress.IPv6Address):
            if any(address in network for network in _DEPRECATED_V6):
                return False
            embedded = embedded_ipv4(address)
            if embedded is not None:
                return self._listed(embedded) or _public(embedded)
        return _public(address)

    def _listed(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)


_DEPRECATED_V6 = (
    ipaddress.IPv6Network("fec0::/10"),  # site-local (RFC 3879)
    ipaddress.IPv6Network("::/96"),  # IPv4-compatible (RFC 4291), with :: and ::1
)
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_SIIT = ipaddress.IPv6Network("::ffff:0:0:0/96")
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 transition address leads to, if it is one."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    value = int(address)
    if address in _SIIT or any(address in network for network in _NAT64):
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    if address in _SIX_TO_FOUR:
        return ipaddress.IPv4Address((value >> 80) & 0xFFFFFFFF)
    if address.teredo is not None:
        return address.teredo[1]  # the client behind the relay
    return None


def _public(address: IPAddress) -> bool:
    return address.is_global and not address.is_multicast


class _GuardedBackend(httpcore.SyncBackend):
    """Resolves, checks every address, then connects to a checked address (not the name)."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = resolve(host, port)
        refused = [a for a in addresses if not self.policy.permits(host, a)]
        if refused:
            raise FetchError(f"{host} resolves to a non-public address {refused[0]}")
        return super().connect_tcp(str(addresses[0]), port, timeout, local_address, socket_options)


def resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"cannot resolve {host}: {exc}") from None
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise FetchError(f"{host} has no address")
    return addresses


def check_url(url: str) -> str:
    """``url`` as ASCII, if it is an http(s) URL that may be fetched; FetchError otherwise."""
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise FetchError(f"not a usable URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"scheme {parts.scheme!r} is not allowed (http and https only)")
    if not host:
        raise FetchError("the URL has no host")
    if parts.username or parts.password:
        raise FetchError("credentials in URLs are not accepted")
    try:
        ascii_host = host if host.isascii() else host.encode("idna").decode("ascii")
    except UnicodeError:
        raise FetchError("the host name is not a valid international name") from None
    if ":" in ascii_host:
        ascii_host = f"[{ascii_host}]"
    netloc = ascii_host if port is None else f"{ascii_host}:{port}"
    path = quote(parts.path, safe="/%:@!$&'()*+,;=~") or "/"
    query = quote(parts.query, safe="/%:@!$&'()*+,;=~?")
    return urlunsplit((parts.scheme, netloc, path, query, ""))


def fetch_image(url: str, *, policy: AddressPolicy, max_bytes: int, timeout: float = 10.0) -> bytes:
    """The body at ``url`` if it is an image of at most ``max_bytes``; FetchError otherwise."""
    deadline = time.monotonic() + timeout
    with httpcore.ConnectionPool(
        network_backend=_GuardedBackend(policy), max_connections=2
    ) as pool:
        for _ in range(MAX_REDIRECTS + 1):
            url = check_url(url)
            left = deadline - time.monotonic()
            if left <= 0:
                raise FetchError("timed out")
            try:
                with pool.stream(
                    "GET",
                    url,
                    headers={"User-Agent": "imgsearch", "Accept": "image/*"},
                    extensions={
                        "timeout": {"connect": left, "read": left, "write": left, "pool": left}
                    },
                ) as response:
                    if response.status in (301, 302, 303, 307, 308):
                        location = dict(response.headers).get(b"Location") or _header(
                            response.headers, b"location"
                        )
                        if not location:
                            raise FetchError(f"redirect {response.status} without a location")
                        url = urljoin(url, _text(location))
                        continue
                    if response.status != 200:
                        raise FetchError(f"the server answered {response.status}")
                    return _read_image(response, max_bytes, deadline)
            except httpcore.TimeoutException:
                raise FetchError("timed out") from None
            except (
                httpcore.NetworkError,
                httpcore.ProtocolError,
                httpcore.UnsupportedProtocol,
            ) as exc:
                raise FetchError(f"cannot fetch: {exc}") from None
            except FetchError:
                raise
            except Exception as exc:  # a remote server's answer is user data: never a 500
                raise FetchError(f"cannot fetch: {type(exc).__name__}: {exc}") from None
    raise FetchError(f"more than {MAX_REDIRECTS} redirects")


def _text(value: bytes) -> str:
    """A header value: UTF-8 where servers send it so, else Latin-1 (HTTP's own)."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    return next((value for key, value in headers if key.lower() == name), None)


def _read_image(response: httpcore.Response, max_bytes: int, deadline: float) -> bytes:
    length = _header(response.headers, b"content-length")
    if length is not None and length.isdigit() and int(length) > max_bytes:
        raise FetchError(f"the image is {int(length)} bytes, more than {max_bytes}")
    body = bytearray()
    for chunk in response.iter_stream():
        body += chunk
        if len(body) > max_bytes:
            raise FetchError(f"the image is larger than {max_bytes} bytes")
        if time.monotonic() > deadline:
            raise FetchError("timed out")
    data = bytes(body)
    if not looks_like_image(data):
        raise FetchError("the content is not an image")
    return data


def looks_like_image(data: bytes) -> bool:
    """A cheap check of the first bytes before any decoder sees them."""
    if data.startswith(_IMAGE_SIGNATURES):
        return True
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return True
    return data[4:8] == b"ftyp"  # HEIC / AVIF
