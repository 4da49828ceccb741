"""PostgreSQL URLs as imgsearch takes them: which are URLs, imgsearch's own parameters
(the collection, the search beam), no passwords shown."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from imgsearch.errors import StoreError

URL_SCHEMES = ("postgresql://", "postgres://")
DEFAULT_COLLECTION = "default"
OWN_PARAMETERS = ("collection", "ef_search")
"""Query parameters that are imgsearch's, not libpq's: removed before connecting."""


@dataclass(frozen=True)
class UrlOptions:
    """imgsearch's parameters of a store URL: ``collection`` (default ``default``) and
    ``ef_search``, the HNSW beam per graph (``None``: sized to the graph, see
    :func:`imgsearch.store.postgres.search.auto_ef_search`)."""

    collection: str = DEFAULT_COLLECTION
    ef_search: int | None = None


def is_postgres_url(location: str) -> bool:
    return location.startswith(URL_SCHEMES)


def parse_url(url: str) -> tuple[str, UrlOptions]:
    """``(connection URL for libpq, imgsearch's options)``."""
    base, _, query_string = url.partition("?")
    query = parse_qsl(query_string, keep_blank_values=True)
    own = {k: v for k, v in query if k in OWN_PARAMETERS}
    rest = urlencode([(k, v) for k, v in query if k not in OWN_PARAMETERS], safe="/")
    ef_search = None
    if own.get("ef_search"):
        try:
            ef_search = int(own["ef_search"])
        except ValueError:
            ef_search = 0
        if not 1 <= ef_search <= 1000:
            raise StoreError(
                f"ef_search={own['ef_search']!r} in the store URL is not a number from 1 to 1000",
                hint="leave it out to size the beam to the collection",
            )
    options = UrlOptions(own.get("collection") or DEFAULT_COLLECTION, ef_search)
    return base + ("?" + rest if rest else ""), options


def split_url(url: str) -> tuple[str, str]:
    """``(connection URL, collection)``: ``collection`` is imgsearch's, not libpq's, parameter."""
    conninfo, options = parse_url(url)
    return conninfo, options.collection


def redact(url: str) -> str:
    """``url`` with its password masked, for messages and logs."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
