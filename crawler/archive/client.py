"""Wayback archive client: typed CDX records, URL builders and response classification.

Two dialects share one API:

* ``ia``: the Internet Archive (``/cdx/search/cdx`` answering JSON arrays with a header row,
  ``showResumeKey`` paging, ``/web/<ts>id_/<url>`` snapshots, 302 to the nearest capture).
* ``pywb``: Webrecorder pywb and OpenWayback-style collections (``/<coll>/cdx`` answering one JSON
  object per line with pywb's field names, ``allowFuzzy=0``, ``/<coll>/<ts>id_/<url>`` snapshots).

Nothing here does I/O: the spider sends the requests, this module says what to send and what the
answers mean. The records it parses are the shared vocabulary of :mod:`pipelines.captures`.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from typing import Mapping
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

from pipelines.captures import IA_BASE, CdxRecord, TextEnum, format_timestamp

IA_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
_TIMESTAMP = re.compile(r"^\d{14}$")
_ID_URL = re.compile(r"/(\d{4,14})id_/(.+)$")


class CdxFormatError(ValueError):
    """A CDX answer or line that cannot be parsed: the answer is asked again, or the line skipped."""


def _int_or_none(value: object) -> int | None:
    if value in (None, "", "-"):
        return None
    try:
        return int(str(value))
    except ValueError:
        return None


def _record(urlkey: str, timestamp: str, url: str, mime: str, status: object, digest: str,
            length: object) -> CdxRecord:
    if not _TIMESTAMP.match(str(timestamp)):
        raise CdxFormatError(f"bad timestamp {timestamp!r} in CDX row for {url!r}")
    if not url:
        raise CdxFormatError(f"CDX row at {timestamp} has no URL")
    return CdxRecord(urlkey=urlkey or "", timestamp=str(timestamp), url=url, mimetype=mime or "",
                     status=_int_or_none(status), digest=digest or "", length=_int_or_none(length))


@dataclass(frozen=True)
class CdxPage:
    """One CDX answer: records, lines that could not be parsed, and the key of the next page."""

    records: list[CdxRecord]
    errors: list[str]
    resume_key: str | None = None


class Answer(TextEnum):
    """What an ``id_`` answer is. ARCHIVED_* are the site's own answers as captured (with
    Memento-Datetime); the others are the archive's own (no capture behind them)."""

    ARCHIVED = "archived"  # the captured response (any status the site gave, 429 included)
    ARCHIVED_REDIRECT = "archived-redirect"  # the site redirected when it was captured: data
    ARCHIVE_REDIRECT = "archive-redirect"  # the archive sends us to another capture: not data
    MISSING = "missing"  # the archive has no such capture
    RATE_LIMITED = "rate-limited"  # the archive's own 429
    BLOCKED = "blocked"  # the archive refuses (excluded or blocked URL)
    ERROR = "error"  # anything else the archive answered


@dataclass(frozen=True)
class SnapshotOutcome:
    """What a snapshot (``id_``) response turned out to be."""

    kind: Answer
    status: int
    memento_datetime: str | None = None  # 14 digits
    location: str | None = None  # for redirects: the original (unrewritten) target URL
    location_timestamp: str | None = None
    reason: str | None = None


def is_archived_answer(headers: Mapping[str, str]) -> bool:
    """True when an answer is an archived response (the site's own status, e.g. an archived
    429), not the archive's: archived answers carry ``Memento-Datetime`` (any case) or IA's
    ``x-ts`` (the archived status). The archive's own 429 and redirects have neither."""
    if not headers:
        return False
    get = headers.get
    return bool(get("Memento-Datetime") or get("memento-datetime") or get("X-Ts") or get("x-ts"))


def is_blocked_cdx_answer(status: int, body: bytes | str) -> str | None:
    """The archive's wording when a CDX answer says the URL is blocked (IA: 403 with
    "Blocked Site Error"), else None."""
    if status != 403:
        return None
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text[:300] or "HTTP 403"


class Archive:
    """A Wayback archive: base URL plus dialect ('ia' or 'pywb')."""

    def __init__(self, base: str = IA_BASE, dialect: str | None = None, cdx_page_size: int = 10000,
                 cdx_path: str | None = None, replay_path: str | None = None, archive_id: str = ""):
        base = base.rstrip("/")
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"archive URL must be http(s)://host[:port][/collection], got "
                             f"{redact_url(base)!r}")
        # Credentials never stay in URLs (URLs end up in logs): they go in an Authorization header.
        self.authorization: str | None = None
        if parts.username or parts.password:
            token = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}".encode()
            self.authorization = "Basic " + base64.b64encode(token).decode("ascii")
            netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
            base = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
        self.base = base
        self.dialect = dialect or ("ia" if urlsplit(base).hostname == "web.archive.org" else "pywb")
        if self.dialect not in ("ia", "pywb"):
            raise ValueError(f"unknown archive dialect {self.dialect!r} (use 'ia' or 'pywb')")
        self.cdx_page_size = cdx_page_size
        # Archive-It: an IA-style CDX server at /all/timemap/cdx, replay under /all/<ts>id_/
        self.cdx_path = cdx_path or ("/cdx/search/cdx" if self.dialect == "ia" else "/cdx")
        self.replay_path = ("/web" if self.dialect == "ia" else "") if replay_path is None else replay_path
        self.archive_id = archive_id  # what its CDX records carry

    def __repr__(self) -> str:
        return f"Archive({self.base!r}, dialect={self.dialect!r})"

    def owns(self, url: str) -> bool:
        """True when ``url`` is an address of this archive (the only host we ever contact)."""
        return url == self.base or url.startswith(self.base + "/") or url.startswith(self.base + "?")

    @property
    def host(self) -> str:
        return urlsplit(self.base).netloc

    # -- requests -------------------------------------------------------------------------
    def cdx_url(self, url: str, from_ts: str | None = None, to_ts: str | None = None,
                resume_key: str | None = None, *, daily: bool = False) -> str:
        """The CDX query listing every capture of exactly ``url``.

        ``daily`` (Internet Archive only) asks for a sample instead: the first capture of each day
        that is not an archived 4xx/5xx, so that a homepage with a million captures still fits in
        one answer. Discovery uses it; it only needs one capture per interval.
        """
        if self.dialect == "ia":
            params: list[tuple[str, str]] = [("url", url), ("output", "json"),
                                             ("fl", ",".join(IA_FIELDS)),
                                             ("showResumeKey", "true"),
                                             ("limit", str(self.cdx_page_size))]
            if daily:  # filters apply before collapsing: the day's first usable capture
                params += [("filter", "!statuscode:[45].."), ("collapse", "timestamp:8")]
        else:
            params = [("url", url), ("output", "json"), ("allowFuzzy", "0")]
        path = self.cdx_path
        if from_ts:
            params.append(("from", from_ts))
        if to_ts:
            params.append(("to", to_ts))
        if resume_key:
            params.append(("resumeKey", resume_key))
        return f"{self.base}{path}?{urlencode(params)}"

    def snapshot_url(self, timestamp: str, url: str) -> str:
        """The raw (``id_``) URL of one capture."""
        return f"{self.base}{self.replay_path}/{timestamp}id_/{url}"

    # -- answers --------------------------------------------------------------------------
    def parse_cdx(self, body: bytes | str) -> CdxPage:
        """Parse a CDX answer of this archive's dialect. Bad lines are reported, not fatal."""
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        page = _parse_ia_json(text) if self.dialect == "ia" else parse_json_lines(text)
        if self.archive_id:
            page = CdxPage([replace(r, archive=self.archive_id) for r in page.records], page.errors,
                           page.resume_key)
        return page

    def classify_snapshot(self, status: int, headers: Mapping[str, str], requested_timestamp: str
                          ) -> SnapshotOutcome:
        """Tell an archived response from the archive's own answers (redirects, blocks, misses)."""
        memento = headers.get("Memento-Datetime") or headers.get("memento-datetime")
        memento_ts = None
        if memento:
            try:
                memento_ts = format_timestamp(parsedate_to_datetime(memento))
            except (TypeError, ValueError):
                memento_ts = None
        archived = is_archived_answer(headers)
        if status == 429 and not archived:
            return SnapshotOutcome(Answer.RATE_LIMITED, status)
        location = headers.get("Location")
        if archived:
            if 300 <= status < 400 and location:
                target_ts, target = self.unwrap_location(location)
                return SnapshotOutcome(Answer.ARCHIVED_REDIRECT, status, memento_ts, target, target_ts)
            return SnapshotOutcome(Answer.ARCHIVED, status, memento_ts)
        if 300 <= status < 400 and location:
            target_ts, target = self.unwrap_location(location)
            return SnapshotOutcome(Answer.ARCHIVE_REDIRECT, status, None, target, target_ts)
        if status == 404:
            return SnapshotOutcome(Answer.MISSING, status)
        if status == 403:
            return SnapshotOutcome(Answer.BLOCKED, status)
        if self.dialect == "pywb" and 200 <= status < 300:
            # pywb always sends Memento-Datetime; be lenient with archives that do not.
            return SnapshotOutcome(Answer.ARCHIVED, status, requested_timestamp)
        if self.dialect == "ia" and 200 <= status < 300:
            # The Internet Archive serves every archived answer with Memento-Datetime; a 200
            # without it is the archive's own page: what it serves for a blocked URL.
            return SnapshotOutcome(Answer.BLOCKED, status,
                                   reason="the archive answered 200 without Memento-Datetime "
                                          "(a blocked or excluded URL)")
        return SnapshotOutcome(Answer.ERROR, status)

    def unwrap_location(self, location: str) -> tuple[str | None, str]:
        """Turn a Location header into (timestamp or None, original URL).

        IA rewrites archived redirects to another ``id_`` URL; pywb keeps the original target.
        """
        m = _ID_URL.search(location)
        if m and (location.startswith(self.base) or location.startswith("/")):
            target = m.group(2)
            if target.startswith(("http:/", "https:/")) and not target.startswith(("http://", "https://")):
                target = target.replace(":/", "://", 1)
            return m.group(1), target
        return None, location


def _parse_ia_json(text: str) -> CdxPage:
    text = text.strip()
    if not text:
        return CdxPage([], [])
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CdxFormatError(f"CDX answer is not JSON ({exc}): {text[:120]!r}") from exc
    if not isinstance(rows, list):
        raise CdxFormatError(f"CDX answer is not a JSON array: {text[:120]!r}")
    if not rows:
        return CdxPage([], [])
    header = rows[0]
    if not isinstance(header, list) or "timestamp" not in header:
        raise CdxFormatError(f"CDX answer has no header row: {str(header)[:120]!r}")
    index = {name: i for i, name in enumerate(header)}
    resume_key = None
    records: list[CdxRecord] = []
    errors: list[str] = []
    body = rows[1:]
    # With showResumeKey the answer ends with an empty row and then [resumeKey].
    if len(body) >= 2 and body[-2] == [] and isinstance(body[-1], list) and len(body[-1]) == 1:
        resume_key = str(body[-1][0])
        body = body[:-2]
    for n, row in enumerate(body, start=2):
        if not isinstance(row, list) or len(row) != len(header):
            errors.append(f"row {n}: expected {len(header)} fields, got {row!r:.120}")
            continue
        try:
            get = lambda name: row[index[name]] if name in index else ""  # noqa: E731
            records.append(_record(get("urlkey"), get("timestamp"), get("original"),
                                   get("mimetype"), get("statuscode"), get("digest"), get("length")))
        except CdxFormatError as exc:
            errors.append(f"row {n}: {exc}")
    return CdxPage(records, errors, resume_key)


def _pywb_record(obj: dict) -> CdxRecord:
    return _record(obj.get("urlkey", ""), obj.get("timestamp", ""), obj.get("url", ""),
                   obj.get("mime", ""), obj.get("status"), obj.get("digest", ""), obj.get("length"))


def parse_json_lines(text: str, make=_pywb_record) -> CdxPage:
    """A pywb-style answer: one JSON object per line, each made a record by ``make`` (which
    raises CdxFormatError for a line it cannot use). Bad lines are reported, not fatal."""
    records: list[CdxRecord] = []
    errors: list[str] = []
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise CdxFormatError("not a JSON object")
            records.append(make(obj))
        except (json.JSONDecodeError, CdxFormatError) as exc:
            errors.append(f"line {n}: {exc}: {line[:120]!r}")
    return CdxPage(records, errors, None)


def redact_url(url: str) -> str:
    """A URL with any user:password replaced by '***' (for messages)."""
    parts = urlsplit(url)
    if not (parts.username or parts.password):
        return url
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, f"***@{host}", parts.path, parts.query, parts.fragment))


def edge_second(records: list[CdxRecord], resume_key: str | None) -> str | None:
    """The timestamp to ask again after a full page (one that carries a resumeKey).

    An old-style resumeKey is the last row's ``urlkey timestamp`` with its last character
    incremented: a second capture of that urlkey in the same second is on neither page. Newer
    keys are opaque, so the last second of every full page is asked again and de-duplicated.
    """
    if not resume_key or not records:
        return None
    return records[-1].timestamp
