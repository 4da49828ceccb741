"""PostgreSQL URLs as imgsearch takes them: which are URLs, the collection, no passwords shown."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

URL_SCHEMES = ("postgresql://", "postgres://")
DEFAULT_COLLECTION = "default"


def is_postgres_url(location: str) -> bool:
    return location.startswith(URL_SCHEMES)


def split_url(url: str) -> tuple[str, str]:
    """``(connection URL, collection)``: ``collection`` is imgsearch's, not libpq's, parameter."""
    base, _, query_string = url.partition("?")
    query = parse_qsl(query_string, keep_blank_values=True)
    collection = next((v for k, v in query if k == "collection"), DEFAULT_COLLECTION)
    rest = urlencode([(k, v) for k, v in query if k != "collection"], safe="/")
    return base + ("?" + rest if rest else ""), collection or DEFAULT_COLLECTION


def redact(url: str) -> str:
    """``url`` with its password masked, for messages and logs."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
