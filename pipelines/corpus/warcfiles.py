"""Snapshots: every payload the crawl fetched, kept as WARC/1.1 (warcio) in OUT/snapshots/, so
that versions can be derived again (``palimpsest reextract``) without asking the archive, and so
that the corpus's own captures replay in pywb (``wb-manager add COLL OUT/snapshots/*.warc.gz``).

* A ``response`` record per distinct payload: the archived status and headers (the archive's
  ``X-Archive-Orig-*`` headers turned back into the original ones), ``WARC-Target-URI`` the
  original URL, ``WARC-Date`` the capture time, ``WARC-Payload-Digest`` the CDX digest (the body's
  own when they differ; the CDX one then in ``Palimpsest-CDX-Digest``), and a ``metadata``
  record naming the archive URL it was fetched from.
* A payload identical to one already kept (same digest) is a ``revisit`` record.
* Files are written under ``snapshots/.open/`` and moved into ``snapshots/`` when closed (size
  limit or end of run). After a kill -9, the next run cuts an open file back to its last complete
  record and moves it into place: every file in ``snapshots/`` is a valid WARC.
"""

from __future__ import annotations

import io
import logging
import os
import uuid
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipelines.captures import parse_timestamp, payload_digest
from pipelines.items import SnapshotBody, SnapshotKind, SnapshotRef

logger = logging.getLogger(__name__)

# Headers of the archive's answer that say nothing about the archived response, and hop-by-hop
# ones that the decoded body no longer matches.
_ARCHIVE_HEADERS = {"memento-datetime", "link", "content-location", "server-timing", "x-ts",
                    "x-app-server", "x-location", "x-page-cache", "x-cache-key", "x-nid",
                    "x-rl", "x-na", "x-tr", "x-archive-src", "x-archive-guessed-content-type",
                    "x-archive-guessed-charset", "x-archive-redirect-reason", "perms-policy",
                    "content-encoding", "transfer-encoding", "content-length", "connection",
                    "keep-alive", "set-cookie", "server", "date", "via", "age"}
_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 303: "See Other",
            307: "Temporary Redirect", 308: "Permanent Redirect", 404: "Not Found", 410: "Gone",
            429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


def original_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The archived response's own headers from the archive's answer: ``X-Archive-Orig-*`` turned
    back into the originals when the archive prefixed them (IA), otherwise the answer's headers
    without the archive's own and without those the decoded body no longer matches."""
    pairs = list(headers)
    prefixed = [(k[len("x-archive-orig-"):], v) for k, v in pairs
                if k.lower().startswith("x-archive-orig-")]
    out = []
    keep_type = next((v for k, v in pairs if k.lower() == "content-type"), None)
    if prefixed:
        out = [(k, v) for k, v in prefixed if k.lower() not in _ARCHIVE_HEADERS]
        if keep_type and not any(k.lower() == "content-type" for k, _ in out):
            out.append(("Content-Type", keep_type))
    else:
        out = [(k, v) for k, v in pairs if k.lower() not in _ARCHIVE_HEADERS
               and not k.lower().startswith("x-archive-")]
    return out


def _warc_date(ts: str) -> str:
    return parse_timestamp(ts).strftime("%Y-%m-%dT%H:%M:%SZ")


def last_complete_offset(path: Path) -> int:
    """The end of the last complete record of a (possibly cut) gzipped WARC: its valid length."""
    end = 0
    try:
        with path.open("rb") as fh:
            it = ArchiveIterator(fh)
            for record in it:
                record.content_stream().read()
                end = it.get_record_offset() + it.get_record_length()
    except Exception:  # a cut gzip member or record: everything before it is kept
        pass
    return end


class SnapshotStore:
    """Writes payloads to rotating WARC files in OUT/snapshots/ and reads them back."""

    def __init__(self, out: str | Path, max_bytes: int = 1_000_000_000, prefix: str = "palimpsest"):
        self.dir = Path(out) / "snapshots"
        self.open_dir = self.dir / ".open"
        self.max_bytes = max_bytes
        self.prefix = prefix
        self.fh: io.BufferedWriter | None = None
        self.writer: WARCWriter | None = None
        self.name: str | None = None
        self.seq = 0
        self.recover()

    # -- files -----------------------------------------------------------------------------
    def recover(self) -> int:
        """Move files a killed run left open into place, cut back to their last complete record."""
        moved = 0
        for path in sorted(self.open_dir.glob("*.warc.gz")) if self.open_dir.exists() else []:
            end = last_complete_offset(path)
            if end == 0:
                path.unlink()
                continue
            with path.open("r+b") as fh:
                fh.truncate(end)
            os.replace(path, self.dir / path.name)
            moved += 1
            logger.info("Snapshot file %s left open by an interrupted run: kept its %d complete "
                        "bytes", path.name, end)
        return moved

    def _open(self) -> None:
        self.open_dir.mkdir(parents=True, exist_ok=True)
        self.seq += 1
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        self.name = f"{self.prefix}-{stamp}-{os.getpid()}-{self.seq:05d}-{uuid.uuid4().hex[:6]}.warc.gz"
        self.fh = (self.open_dir / self.name).open("ab")
        self.writer = WARCWriter(self.fh, gzip=True, warc_version="WARC/1.1")
        info = self.writer.create_warcinfo_record(self.name, {
            "software": "palimpsest (privacy-policy history crawler)",
            "format": "WARC File Format 1.1",
            "description": "payloads fetched from a Wayback archive (id_), one record per distinct payload"})
        self.writer.write_record(info)

    def close(self) -> None:
        """Close the current file and move it into place (a valid WARC from then on)."""
        if self.fh is None:
            return
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        os.replace(self.open_dir / self.name, self.dir / self.name)
        self.fh = self.writer = self.name = None

    def _ready(self) -> None:
        if self.fh is not None and self.fh.tell() >= self.max_bytes:
            self.close()
        if self.fh is None:
            self._open()

    # -- records ---------------------------------------------------------------------------
    def keep(self, payload: SnapshotBody, earlier: tuple[str, str] | None) -> tuple[SnapshotRef, str]:
        """Keep one payload: a revisit record when ``earlier`` (url, timestamp) holds the same
        payload already and it may be one, else a response record. Returns (where, kind)."""
        if earlier and payload.revisitable:
            return (self.write_revisit(payload.url, payload.timestamp, payload.digest, *earlier),
                    SnapshotKind.REVISIT)
        return (self.write_response(payload.url, payload.timestamp, payload.status, payload.headers,
                                    payload.body, payload.cdx_digest, payload.source),
                SnapshotKind.RESPONSE)

    def write_response(self, url: str, timestamp: str, status: int, headers: Iterable[tuple[str, str]],
                       body: bytes, cdx_digest: str | None, source: str | None = None) -> SnapshotRef:
        """One payload as a response record (plus a metadata record naming its source)."""
        self._ready()
        real = payload_digest(body)
        warc_headers = {"WARC-Date": _warc_date(timestamp),
                        "WARC-Payload-Digest": f"sha1:{real}"}
        if cdx_digest and cdx_digest != real:
            warc_headers["Palimpsest-CDX-Digest"] = cdx_digest if ":" in cdx_digest else f"sha1:{cdx_digest}"
        http = StatusAndHeaders(f"{status} {_REASONS.get(status, 'Archived')}",
                                original_headers(headers) + [("Content-Length", str(len(body)))],
                                protocol="HTTP/1.1")
        record = self.writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                length=len(body), http_headers=http,
                                                warc_headers_dict=warc_headers)
        ref = self._write(record)
        if source:
            meta = self.writer.create_warc_record(
                url, "metadata", payload=io.BytesIO(f"via: {source}\n".encode()),
                warc_content_type="text/anvl", warc_headers_dict={
                    "WARC-Date": _warc_date(timestamp),
                    "WARC-Concurrent-To": record.rec_headers.get_header("WARC-Record-ID")})
            self.writer.write_record(meta)
        return ref

    def copy_member(self, source: str | Path, offset: int, length: int) -> SnapshotRef | None:
        """A record of another tool's WARC kept as it is stored there (``ingest``): the gzip
        member at ``offset`` of ``source`` copied byte for byte, not decompressed and written
        again (its own headers, record ID and digest are the truest account of what was
        captured). None when those bytes are not one whole gzip member holding one WARC record:
        the caller writes the record itself then."""
        try:
            with open(source, "rb") as fh:
                raw = os.pread(fh.fileno(), length, offset)
        except OSError:
            return None
        member = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            record = member.decompress(raw)
        except zlib.error:
            return None
        if len(raw) != length or not member.eof or member.unused_data or not record.startswith(b"WARC/"):
            return None
        self._ready()
        at = self.fh.tell()
        self.fh.write(raw)
        self.fh.flush()  # on disk for the OS before the index row that names it is committed
        return SnapshotRef(self.name, at, length)

    def write_revisit(self, url: str, timestamp: str, digest: str, refers_to_url: str,
                      refers_to_ts: str) -> SnapshotRef:
        """A payload identical to one already kept: a revisit record pointing at it."""
        self._ready()
        record = self.writer.create_revisit_record(url, f"sha1:{digest}", refers_to_url,
                                                   _warc_date(refers_to_ts))
        record.rec_headers.replace_header("WARC-Date", _warc_date(timestamp))
        return self._write(record)

    def _write(self, record) -> SnapshotRef:
        offset = self.fh.tell()
        self.writer.write_record(record)
        self.fh.flush()  # on disk for the OS before the index row that names it is committed
        return SnapshotRef(self.name, offset, self.fh.tell() - offset)

    def path(self, name: str) -> Path:
        final = self.dir / name
        return final if final.exists() else self.open_dir / name

    def read(self, ref: SnapshotRef) -> tuple[bytes, str | None, int | None, str]:
        """(body, content type, HTTP status, target URL) of the response record at ``ref``."""
        if self.fh is not None and ref.file == self.name:
            self.fh.flush()
        return read_record(self.path(ref.file), ref.offset)


def read_record(path: str | Path, offset: int) -> tuple[bytes, str | None, int | None, str]:
    """(body, content type, HTTP status, target URL) of the record at ``offset`` of a WARC file."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        for record in ArchiveIterator(fh):
            headers = record.http_headers
            status = int(headers.get_statuscode()) if headers else None
            ctype = headers.get_header("Content-Type") if headers else None
            return (record.content_stream().read(), ctype, status,
                    (record.rec_headers.get_header("WARC-Target-URI") or "").strip("<>"))
    raise FileNotFoundError(f"no record at {path}:{offset}")
