"""Common Crawl as an archive: one pywb CDX index per crawl, listed in ``collinfo.json``, and
each capture read from its WARC file with a byte-range request (one gzip member holding one WARC
record). Nothing here does I/O: the spider sends what this module builds and hands back the
answers.

* ``collinfo.json``: ``[{"id": "CC-MAIN-2019-04", "cdx-api": ".../CC-MAIN-2019-04-index",
  "from": "2019-01-15T...", "to": "2019-01-24T..."}, ...]``. A crawl's index never changes once
  listed, so a URL is asked once per crawl, ever; crawls outside ``--from``/``--to`` are skipped.
* an index answers JSON lines (``urlkey, timestamp, url, mime, mime-detected, status, digest,
  length, offset, filename``); ``404 {"error": "No Captures found ..."}`` is an empty answer, not
  an error. Pages: ``page=0`` is asked first; a full-looking page (1,000 lines or
  more, PALIMPSEST_CC_PAGE_CHECK) is followed by ``showNumPages=true`` and the other pages.
* the record: ``GET data/<filename>`` with ``Range: bytes=offset-(offset+length-1)``; 503 means
  slow down (the slot pauses as on a 429).
"""

from __future__ import annotations

import gzip
import io
import json
import re
import zlib
from dataclasses import dataclass, replace
from urllib.parse import urlencode, urlsplit

from warcio.archiveiterator import ArchiveIterator

from crawler.archive.client import CdxFormatError, CdxPage, _record, parse_json_lines
from pipelines.captures import payload_digest



@dataclass(frozen=True)
class Crawl:
    id: str  # CC-MAIN-2019-04
    cdx_api: str
    start: str | None  # 14-digit bounds of its captures, when collinfo gives them
    end: str | None

    @property
    def state_key(self) -> str:
        """The archive id its per-URL listing state is kept under."""
        return f"cc:{self.id}"


def _ts(value: object, high: bool) -> str | None:
    digits = re.sub(r"\D", "", str(value or ""))[:14]
    if len(digits) < 8:
        return None
    return digits.ljust(14, "9" if high else "0")


def parse_collinfo(body: bytes | str) -> list[Crawl]:
    """The crawls ``collinfo.json`` lists, oldest first."""
    try:
        rows = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CdxFormatError(f"collinfo.json is not JSON ({exc})") from exc
    if not isinstance(rows, list):
        raise CdxFormatError("collinfo.json is not a list of crawls")
    crawls = []
    for row in rows:
        if not isinstance(row, dict) or not row.get("id") or not row.get("cdx-api"):
            continue
        if not str(row["cdx-api"]).startswith(("http://", "https://")):
            continue
        crawls.append(Crawl(str(row["id"]), str(row["cdx-api"]), _ts(row.get("from"), False),
                            _ts(row.get("to"), True)))
    if rows and not crawls:
        raise CdxFormatError("collinfo.json lists no crawl with an id and a cdx-api")
    return sorted(crawls, key=lambda c: (c.start or "", c.id))


def crawls_between(crawls: list[Crawl], from_ts: str | None, to_ts: str | None) -> list[Crawl]:
    """The crawls whose captures may fall in [from_ts, to_ts] (bounds unknown: kept)."""
    return [c for c in crawls
            if not (from_ts and c.end and c.end < from_ts) and not (to_ts and c.start and c.start > to_ts)]


def index_url(crawl: Crawl, url: str, from_ts: str | None = None, to_ts: str | None = None,
              page: int | None = 0, num_pages: bool = False) -> str:
    params = [("url", url), ("output", "json")]
    if from_ts:
        params.append(("from", from_ts))
    if to_ts:
        params.append(("to", to_ts))
    if num_pages:
        params.append(("showNumPages", "true"))
    elif page is not None:
        params.append(("page", str(page)))
    return f"{crawl.cdx_api}?{urlencode(params)}"


def parse_index(crawl: Crawl, status: int, body: bytes) -> CdxPage:
    """An index answer as CDX records of archive 'cc' whose locator names the crawl and where
    the record is (``CRAWL filename offset length``). 404 is 'no captures'."""
    if status == 404:
        return CdxPage([], [])

    def make(obj: dict):
        filename, offset, length = obj.get("filename"), obj.get("offset"), obj.get("length")
        if not filename or not str(offset).isdigit() or not str(length).isdigit():
            raise CdxFormatError("no filename/offset/length")
        mime = obj.get("mime", "")
        if mime in ("", "unk"):
            mime = obj.get("mime-detected", "") or mime
        rec = _record(obj.get("urlkey", ""), obj.get("timestamp", ""), obj.get("url", ""), mime,
                      obj.get("status"), obj.get("digest", ""), length)
        return replace(rec, archive="cc", locator=f"{crawl.id} {filename} {offset} {length}")

    return parse_json_lines(body.decode("utf-8", "replace"), make)


def num_pages(body: bytes) -> int:
    """The page count of a ``showNumPages=true`` answer (pywb: ``{"pages": N, ...}``)."""
    try:
        obj = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CdxFormatError(f"showNumPages answer is not JSON ({exc})") from exc
    if isinstance(obj, int):
        return obj
    if isinstance(obj, dict):
        return int(obj.get("pages", obj.get("blocks", 0)) or 0)
    raise CdxFormatError(f"unexpected showNumPages answer {str(obj)[:80]!r}")


def record_request(data: str, locator: str) -> tuple[str, dict[str, str]]:
    """(URL, headers) of the range request reading one capture's WARC record."""
    _, filename, offset, length = locator.split(" ")
    start, size = int(offset), int(length)
    return f"{data.rstrip('/')}/{filename.lstrip('/')}", {"Range": f"bytes={start}-{start + size - 1}"}


@dataclass(frozen=True)
class RecordAnswer:
    """The capture a WARC record holds: its archived status and headers and its payload."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    digest: str  # SHA-1 (base32) of the payload as stored
    target: str
    record_type: str


class RecordError(ValueError):
    """A range answer that holds no readable WARC response record."""


def read_record(raw: bytes) -> RecordAnswer:
    """Read the one WARC record of a range answer (gzip member, or plain)."""
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise RecordError(f"the range answer is not a whole gzip member ({exc})") from exc
    try:
        for record in ArchiveIterator(io.BytesIO(raw)):
            if record.rec_type not in ("response", "revisit"):
                continue
            http = record.http_headers
            if http is None:
                raise RecordError(f"{record.rec_type} record without HTTP headers")
            payload = record.raw_stream.read()
            try:
                status = int(http.get_statuscode())
            except (TypeError, ValueError) as exc:
                raise RecordError(f"bad HTTP status line {http.statusline!r}") from exc
            return RecordAnswer(status, list(http.headers), payload, payload_digest(payload),
                                record.rec_headers.get_header("WARC-Target-URI") or "",
                                record.rec_type)
    except RecordError:
        raise
    except Exception as exc:  # warcio's ArchiveLoadFailed and parse errors
        raise RecordError(f"unreadable WARC record ({type(exc).__name__}: {exc})") from exc
    raise RecordError("the range answer holds no WARC response record")


class CommonCrawl:
    """Common Crawl as the spider reads it: the index server, the data host and, once
    ``collinfo.json`` is read, its crawls."""

    dialect = "cc"

    def __init__(self, base: str, data: str, archive_id: str = "cc"):
        self.base = base.rstrip("/")
        self.data = data.rstrip("/")
        self.archive_id = archive_id
        self._crawls: list[Crawl] | None = None  # None until collinfo.json is read
        self._hosts = {urlsplit(self.base).netloc, urlsplit(self.data).netloc}
        self.authorization = None

    @property
    def crawls(self) -> list[Crawl] | None:
        return self._crawls

    @crawls.setter
    def crawls(self, crawls: list[Crawl]) -> None:
        """The crawls collinfo.json lists; their index hosts become addresses of this archive."""
        self._crawls = crawls
        self._hosts |= {urlsplit(c.cdx_api).netloc for c in crawls}

    def __repr__(self) -> str:
        return f"CommonCrawl({self.base!r}, data={self.data!r})"

    @property
    def collinfo_url(self) -> str:
        return f"{self.base}/collinfo.json"

    def owns(self, url: str) -> bool:
        """The index server, the data host and the hosts of the indexes collinfo.json lists."""
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and parts.netloc in self._hosts
