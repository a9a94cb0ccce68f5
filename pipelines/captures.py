"""The shared vocabulary of every stage: capture records, Wayback timestamps, SURT and payload keys,
payload digests, snapshot links and what fetching a payload gave (outcomes).

Nothing here does I/O; the archive client (``crawler.archive``), the corpus (``pipelines.corpus``)
and ingest (``pipelines.rederive``) all speak it.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Iterable
from urllib.parse import quote, urlsplit

IA_BASE = "https://web.archive.org"
EMPTY_DIGEST = "3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"
_TIMESTAMP = re.compile(r"^\d{14}$")


class TimestampError(ValueError):
    """A value that is not a 14-digit Wayback timestamp."""


class TextEnum(str, Enum):
    """An enum whose members are their string values everywhere: comparisons, SQLite, JSON, logs
    and f-strings (Python 3.11 formats a str-mixin enum by its name otherwise)."""

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


class Outcome(TextEnum):
    """What fetching one payload gave (``fetches.outcome``); every one is final: the payload is
    never fetched again (a failed fetch stores nothing and is retried by the next run)."""

    PAYLOAD = "payload"  # fetched bytes to extract: stored as TEXT or NO_TEXT, never as such
    TEXT = "text"  # a text was extracted
    NO_TEXT = "no-text"  # an archived page with no text (or a type with no text)
    REDIRECT = "redirect"  # an archived redirect (the Location is kept)
    ARCHIVE_REDIRECT = "archive-redirect"  # the archive sent us to another capture
    MISSING = "missing"  # the archive has no such capture
    HTTP_STATUS = "http-status"  # an archived 4xx/5xx answer
    BLOCKED = "blocked"  # the archive refuses to serve it


@dataclass(frozen=True)
class CdxRecord:
    """One capture as listed by a CDX server (or read from a WARC record)."""

    urlkey: str
    timestamp: str
    url: str
    mimetype: str
    status: int | None  # None for revisit records ('-')
    digest: str
    length: int | None
    archive: str = ""  # the archive that lists it (an id of crawler.archive.registry)
    locator: str | None = None  # where that archive keeps it, when its replay cannot say (Common Crawl)

    @property
    def is_revisit(self) -> bool:
        return self.mimetype == "warc/revisit" or self.status is None

    @property
    def is_redirect(self) -> bool:
        return self.status is not None and 300 <= self.status < 400

    @property
    def key_url(self) -> str:
        """The SURT-style key of the URL: captures under other spellings of it share it."""
        return surt_key(self.url)

    @property
    def payload_key(self) -> str:
        """The key a payload is fetched once under: (status, digest) of one urlkey.

        One urlkey lists captures under several spellings (``http://www.x.com:80/p``,
        ``https://x.com/p``): equal digests are equal bodies, fetched once whatever the spelling
        (the text's identity does not depend on the spelling: see
        :func:`pipelines.seedformat.normalize_text`). Redirects are the exception: their bodies
        are mostly empty or generic (one digest for every target), so the Location that matters
        is only known per original URL. Revisits are keyed by their digest until resolved against
        the capture they repeat.
        """
        if self.is_revisit:
            return f"revisit:{self.digest}:{self.key_url}"
        if self.is_redirect:
            return f"{self.status}:{self.digest}:{self.url}"
        return f"{self.status}:{self.digest}:{self.key_url}"


_WWW = re.compile(r"^www\d*\.")
_DOT_SEGMENTS = re.compile(r"/\.(?=/|$)")


@functools.lru_cache(maxsize=2048)
def surt_key(url: str) -> str:
    """The archive's urlkey (SURT) of a URL: ``http://www.Example.com:80/p?b=2&a=1`` ->
    ``com,example)/p?a=1&b=2``. Scheme, ``www.``, default ports, case and query order are folded,
    as the Wayback CDX index folds them, so every spelling of one page has one key. Remembered
    for the last 2,048 URLs (a few hundred kB): a crawl or an ingest asks it of each record several
    times in a row."""
    parts = urlsplit(url.strip())
    if not parts.netloc and "://" not in url:  # 'example.com/p' without a scheme
        parts = urlsplit("http://" + url.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    host = _WWW.sub("", host)
    try:
        port = parts.port
    except ValueError:
        port = None
    key = ",".join(reversed(host.split("."))) if host else ""
    if port and port not in (80, 443):
        key += f":{port}"
    path = _DOT_SEGMENTS.sub("", parts.path) or "/"
    key += ")" + path
    if parts.query:
        key += "?" + "&".join(sorted(parts.query.split("&")))
    return key.lower()


def is_timestamp(value: object) -> bool:
    return bool(_TIMESTAMP.match(str(value)))


def parse_timestamp(ts: str) -> datetime:
    """Parse a 14-digit Wayback timestamp as UTC."""
    if not _TIMESTAMP.match(ts) or len(ts) != 14:
        raise TimestampError(f"not a 14-digit Wayback timestamp: {ts!r}")
    # the fields read as strptime("%Y%m%d%H%M%S") reads 14 digits (a fifth of its time); a day,
    # hour, ... out of range raises ValueError as it does
    return datetime(int(ts[:4]), int(ts[4:6]), int(ts[6:8]), int(ts[8:10]), int(ts[10:12]),
                    int(ts[12:14]), tzinfo=timezone.utc)


def format_timestamp(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S")


def payload_digest(body: bytes) -> str:
    """The CDX digest of a payload: base32 of its SHA-1."""
    return base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def wayback_link(timestamp: str, url: str) -> str:
    """The public snapshot link written in the seed header (always web.archive.org)."""
    return f"{IA_BASE}/web/{timestamp}id_/{quote(url, safe='/')}"


def capture_link(template: str | None, timestamp: str, url: str, locator: str | None = None) -> str:
    """The public link of one capture in its archive. ``template`` (an archive's, see
    ``pipelines.corpus.archives``) names ``{timestamp}``, ``{url}`` (quoted as the seed format
    quotes it) and ``{crawl}`` (a Common Crawl capture's crawl, the first word of its locator);
    None is the Internet Archive's Wayback link."""
    if not template:
        return wayback_link(timestamp, url)
    crawl = (locator or "").split(" ", 1)[0]
    return template.format(timestamp=timestamp, url=quote(url, safe="/"), crawl=crawl)


def dedupe_records(records: Iterable[CdxRecord]) -> list[CdxRecord]:
    """Drop rows repeated at page edges (same timestamp, URL and digest), keeping order.

    The same timestamp and URL can be listed with two digests: those are two captures."""
    seen: set[tuple[str, str, str, int | None]] = set()
    out = []
    for r in records:
        k = (r.timestamp, r.url, r.digest, r.status)
        if k not in seen:
            seen.add(k)
            out.append(r)
    return out
