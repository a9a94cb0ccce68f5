"""Archive files other tools wrote, read for ``ingest``: WARC 1.0 and 1.1 (one gzip member per
record, or plain), ARC and ARC.GZ (the Internet Archive's format before WARC, which warcio turns
into WARC records with ``arc2warc``) and WACZ (Webrecorder's package: a zip whose ``archive/``
folder holds the WARCs; read in place, nothing unpacked to disk).

What comes out is typed: an :class:`ArchiveRecord` for each ``response``, ``resource`` and
``revisit`` record the caller wants (request, metadata and warcinfo records, and the responses to
POST requests, are not captures of a page), and an :class:`UnreadableStretch` for each part of a
file that cannot be read: the file, the byte offset and the reason in a sentence. Reading goes on
after it: at the next gzip member or WARC record in the same file, then with the next file.

Well-formed WARC files on disk are read with FastWARC (Resiliparse's reader, about twice
warcio's speed on the same records); a record it cannot give exactly as warcio would (a chunked or
content-encoded payload, a revisit, a resource) is read by warcio at its offset, and at the first
thing out of the ordinary (damaged bytes, a file gzipped as one stream, its last records, which may
be cut short) warcio reads on from a few records back, so that every answer, problem and offset is
warcio's.

warcio prints its warnings (a record not followed by its blank lines, spaces in a URL) to stderr;
they are kept out of the user's terminal, the records are read all the same."""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import gzip
import hashlib
import io
import logging
import os
import re
import zipfile
import zlib
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

try:  # the fast reader; without it (a platform with no wheel) warcio reads everything
    from fastwarc.warc import ArchiveIterator as FastIterator
    from fastwarc.warc import WarcRecordType
except ImportError:  # pragma: no cover - fastwarc is a dependency
    FastIterator = None

from pipelines.captures import payload_digest

logger = logging.getLogger(__name__)

CAPTURE_KINDS = ("response", "resource", "revisit")
ARCHIVE_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
POST_WINDOW = 8  # records after a response in which its POST request record may still come


@dataclass(frozen=True)
class ArchiveRecord:
    """One capture record of an archive file."""

    file: str  # the file (a WACZ's WARC as ``x.wacz!archive/data.warc.gz``)
    offset: int  # where the record starts (in a WACZ member, in that member)
    kind: str  # response, resource or revisit
    url: str
    timestamp: str  # 14 digits, from WARC-Date (an ARC record's date as it is)
    status: int | None  # the HTTP status (a resource record: None)
    content_type: str | None
    headers: tuple[tuple[str, str], ...]  # the HTTP headers (none for a resource record)
    body: bytes | None  # the payload, chunked and content encodings undone (None: a revisit)
    digest: str | None  # WARC-Payload-Digest as :func:`normal_digest` spells it
    refers_to_url: str | None = None  # a revisit's original (WARC-Refers-To-Target-URI)
    refers_to_date: str | None = None
    # The length of the gzip member at ``offset`` when it holds this record alone and the record
    # was read as it is stored (a plain response of a file of one gzip member per record, read
    # by the fast reader): the member can then be copied as it is. None otherwise. Where the
    # record's bytes are, not what it is: records are equal without it.
    member_length: int | None = field(default=None, compare=False)


class ArchiveProblem(Exception):
    """Something wrong with an archive file, told in one line naming it (``str()``)."""

    file: str


class UnreadableStretch(ArchiveProblem):
    """Part of an archive file that cannot be read: from ``start`` to ``end`` (None: to its end)."""

    def __init__(self, file: str, start: int, reason: str, end: int | None = None):
        super().__init__(file, start, reason, end)
        self.file, self.start, self.reason, self.end = file, start, reason, end

    def __str__(self) -> str:
        where = (f"from byte {self.start} to its end" if self.end is None
                 else f"bytes {self.start}-{self.end}")
        return f"{self.file}: {where} unreadable: {self.reason}"


class OneGzipStream(ArchiveProblem):
    """A .warc.gz that is one gzip stream, not one gzip member per record: read through as a
    stream instead (its records are ingested), but no tool can seek to a record in it."""

    def __init__(self, file: str = ""):
        super().__init__(file)
        self.file = file

    def __str__(self) -> str:
        return (f"{self.file}: one gzip stream for the whole file, not one gzip member per record, "
                "so no record in it can be found by its offset; it was read through from byte 0 "
                "and its records ingested (`warcio recompress` rewrites it as a valid WARC)")


def normal_digest(value: str | None) -> str | None:
    """A payload digest as the CDX index spells it: SHA-1 in base32 (a hex SHA-1, as some tools
    write it, converted); another algorithm (Browsertrix writes sha256) as ``algo:value``."""
    if not value:
        return None
    algo, _, digest = value.strip().partition(":")
    if not digest:
        algo, digest = "sha1", algo
    algo = algo.lower().replace("-", "")
    if algo == "sha1":
        if re.fullmatch(r"[0-9a-fA-F]{40}", digest):
            return base64.b32encode(binascii.unhexlify(digest)).decode("ascii")
        return digest.upper()
    return f"{algo}:{digest.lower() if re.fullmatch(r'[0-9a-fA-F]+', digest) else digest}"


def digest_matches(body: bytes, digest: str | None) -> bool | None:
    """Whether a payload is the one its record's digest names (None: no digest, or an unknown
    algorithm)."""
    if not digest:
        return None
    algo, _, value = digest.rpartition(":")
    if not algo:
        return payload_digest(body) == digest
    try:
        raw = hashlib.new(algo, body).digest()
    except ValueError:
        return None
    return value.lower() == raw.hex() or value.upper() == base64.b32encode(raw).decode("ascii")


def timestamp14(warc_date: str) -> str:
    digits = "".join(c for c in warc_date if c.isdigit())
    return (digits + "0" * 14)[:14]


# A predicate on (record kind, target URL, normal digest), asked before a record's body is read.
Wanted = Callable[[str, str, "str | None"], bool]


def read_archives(paths: Iterable[str | Path], wanted: Wanted,
                  on_unreadable: Callable[[ArchiveProblem], None]) -> Iterator[ArchiveRecord]:
    """The capture records of some archive files that ``wanted`` asks for, file after file;
    each unreadable stretch goes to ``on_unreadable`` and reading goes on."""
    for path in paths:
        try:
            for name, opener, size in _sources(Path(path)):
                yield from _read_source(name, opener, size, wanted, on_unreadable)
        except UnreadableStretch as bad:
            on_unreadable(bad)


def _sources(path: Path) -> Iterator[tuple[str, Callable[[], BinaryIO], int]]:
    """(name, opener, size) of the archive streams in one file: itself, or a WACZ's WARCs."""
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic != b"PK\x03\x04":
        yield str(path), lambda: path.open("rb"), path.stat().st_size
        return
    try:
        package = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableStretch(str(path), 0, f"a damaged zip (WACZ) file ({exc})") from None
    with package:
        members = [i for i in package.infolist() if i.filename.lower().endswith(ARCHIVE_SUFFIXES)]
        if not members:
            raise UnreadableStretch(str(path), 0, "a zip file with no WARC or ARC file in it (a WACZ "
                                                  "holds them in its archive/ folder)")
        for info in sorted(members, key=lambda i: i.filename):
            yield (f"{path}!{info.filename}", lambda info=info: package.open(info),
                   info.file_size)


def _kind_of_start(head: bytes) -> str | None:
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.lstrip(b"\r\n").startswith((b"WARC/", b"filedesc://")):
        return "plain"
    return None


def _read_source(name: str, opener, size: int, wanted: Wanted, on_unreadable) -> Iterator[ArchiveRecord]:
    try:
        fh = opener()
    except (OSError, zipfile.BadZipFile, zlib.error) as exc:
        on_unreadable(UnreadableStretch(name, 0, f"it cannot be opened ({exc})"))
        return
    with fh:
        head = fh.read(64)
        if not head:
            logger.warning("%s: an empty file (no record in it)", name)
            return
        framing = _kind_of_start(head)
        if framing is None:
            shown = head[:24].decode("latin-1").encode("unicode_escape").decode("ascii")
            on_unreadable(UnreadableStretch(name, 0, f"not a WARC, ARC or WACZ file (it begins "
                                                     f"'{shown}')"))
            return
        pos: int | None = 0
        given: set[tuple[str, str, str]] = set()

        def noting(segment):  # the records given, in case the file must be read again as a stream
            while True:
                try:
                    record = next(segment)
                except StopIteration as end:
                    return end.value
                given.add((record.kind, record.url, record.timestamp))
                yield record

        fast_given: set[int] = set()  # offsets of the records the fast reader gave
        posts: set[str] = set()
        if FAST_READING and FastIterator is not None and isinstance(fh, io.BufferedReader):
            pos = yield from noting(_fast_segment(fh, name, framing, wanted, fast_given, posts))
        while pos is not None and pos < size:
            try:
                pos = yield from noting(_segment(fh, name, pos, size, wanted, skip=fast_given,
                                                 posts=posts))
                posts = set()
            except OneGzipStream:
                on_unreadable(OneGzipStream(name))
                fh.seek(0)
                with gzip.GzipFile(fileobj=fh) as stream:
                    for record in _read_stream(name, stream, wanted, on_unreadable):
                        if (record.kind, record.url, record.timestamp) not in given:
                            yield record
                return
            except UnreadableStretch as bad:
                resume = _resync(fh, bad.start + 1, framing)
                bad.end = resume
                on_unreadable(bad)
                pos = resume


def _read_stream(name: str, stream, wanted: Wanted, on_unreadable) -> Iterator[ArchiveRecord]:
    """A whole-file gzip read through once (offsets are in the decompressed stream then)."""
    try:
        yield from _segment(stream, name, 0, None, wanted, restart=False)
    except UnreadableStretch as bad:
        bad.reason += " (offset in the decompressed stream)"
        on_unreadable(bad)
    except (EOFError, OSError, zlib.error) as exc:
        on_unreadable(UnreadableStretch(name, 0, f"the gzip stream is damaged or cut short ({exc}); "
                                                 "the records before that point were read"))


_RECORD_START = re.compile(rb"(?:^|\n)WARC/1\.[01]\r?\n")


def _resync(fh, start: int, framing: str) -> int | None:
    """Where the next record may start after ``start``: a gzip member header, or a WARC/1.x line."""
    fh.seek(start)
    pos, tail = start, b""
    while True:
        block = fh.read(1 << 20)
        if not block:
            return None
        data = tail + block
        if framing == "gzip":
            found = data.find(b"\x1f\x8b\x08")
            at = found
        else:
            m = _RECORD_START.search(data)
            found, at = (m.start(), m.start() + (1 if data[m.start():m.start() + 1] == b"\n" else 0)) \
                if m else (-1, -1)
        if found >= 0:
            return pos - len(tail) + at
        tail = data[-16:]
        pos += len(block)


def _quiet_next(records):
    """The next warcio record, warcio's stderr warnings kept out of the terminal."""
    with contextlib.redirect_stderr(io.StringIO()):
        return next(records)


def _segment(fh, name: str, pos: int, size: int | None, wanted: Wanted,
             restart: bool = True, skip: frozenset | set = frozenset(),
             posts: set | None = None) -> Iterator[ArchiveRecord]:
    """Read records from ``pos`` until the end (returns None) or the first unreadable one
    (raises :class:`UnreadableStretch` at its offset). Records at the offsets in ``skip`` were
    given already (by the fast reader, whose POST request IDs ``posts`` holds)."""
    fh.seek(pos)
    it = ArchiveIterator(fh, arc2warc=True)
    records = iter(it)
    posts = set() if posts is None else posts  # record IDs tied to a POST request
    held: deque = deque()  # (record, its IDs, release at): responses whose request may still come
    seen = 0
    try:
        while True:
            try:
                record = _quiet_next(records)
            except StopIteration:
                break
            except ArchiveLoadFailed as exc:
                if restart and ("non-chunked gzip" in str(exc) or "single gzip" in str(exc)):
                    raise OneGzipStream() from None
                raise UnreadableStretch(name, it.offset, _reason(exc)) from None
            except Exception as exc:  # warcio fails in many ways on malformed bytes: any is a stretch
                raise UnreadableStretch(name, it.offset, _reason(exc)) from None
            seen += 1
            offset, kind, h = it.offset, record.rec_type, record.rec_headers
            if kind == "request":
                http = record.http_headers
                if http is not None and (http.protocol or "").upper() == "POST":
                    linked = {h.get_header("WARC-Record-ID"), *_ids(h.get_header("WARC-Concurrent-To"))}
                    posts.update(x for x in linked if x)
                    held = deque(r for r in held if r[1].isdisjoint(linked))
                continue
            while held and held[0][2] <= seen:
                yield held.popleft()[0]
            if kind not in CAPTURE_KINDS or offset in skip:
                continue
            url = (h.get_header("WARC-Target-URI") or "").strip().strip("<>")
            if not url.isprintable():  # warcio read a damaged gzip member's bytes as a record
                raise UnreadableStretch(name, offset, "a damaged gzip member (its bytes are no record)")
            digest = normal_digest(h.get_header("WARC-Payload-Digest"))
            if not url or not wanted(kind, url, digest):
                continue
            ids = {h.get_header("WARC-Record-ID"), *_ids(h.get_header("WARC-Concurrent-To"))} - {None}
            if ids & posts:
                continue  # the answer to a POST request (its request record came first: wget)
            typed = _typed(record, name, offset, kind, url, digest)
            if kind == "response":  # its request record may follow (pywb, Heritrix): held a while
                held.append((typed, ids, seen + POST_WINDOW))
            else:
                yield typed
    except (UnreadableStretch, OneGzipStream):
        yield from (r[0] for r in held)  # complete records read before the damage
        raise
    yield from (r[0] for r in held)
    if size is not None and it.offset < size:
        raise UnreadableStretch(name, it.offset, "the file is cut short or damaged after its last "
                                                 "complete record")
    return None


FAST_READING = True  # tests turn it off to compare the two readers
_ENCODED = ("transfer-encoding", "content-encoding")


class _Irregular(Exception):
    """Something the fast reader leaves to warcio (from a few records back)."""


def _fast_segment(fh, name: str, framing: str, wanted: Wanted, given: set[int],
                  posts: set[str]) -> Iterator[ArchiveRecord]:
    """Read a WARC file on disk with FastWARC for as long as it is well formed, record for record
    as :func:`_segment` reads it (responses held while their POST request record may follow);
    returns the offset from which warcio must read on: the record POST_WINDOW records back, or
    an earlier response still held. The last records of a file (which may be cut short) are
    thus always warcio's, and so is everything from a few records before any irregularity."""
    held: deque = deque()  # (record, its IDs, release at)
    recent: deque = deque(maxlen=POST_WINDOW)  # offsets of the last records read
    ends: dict[int, int] = {}  # a plain response's offset -> the next record's (its member's end)
    seen = 0
    fd = fh.fileno()
    fh.seek(0)
    single = None  # a handle to read one record with warcio, opened when first needed
    try:
        for rec in FastIterator(fh, parse_http=False):
            offset = rec.stream_pos
            if framing == "gzip" and os.pread(fd, 2, offset) != b"\x1f\x8b":
                raise _Irregular()  # not one gzip member per record (one gzip stream)
            if recent and ends.get(recent[-1]) == -1:
                ends[recent[-1]] = offset
            recent.append(offset)
            seen += 1
            kind = _fast_kind(rec.record_type)
            h = rec.headers
            if kind == "request":
                rec.parse_http()
                if rec.http_headers.status_line.split(" ", 1)[0].upper() == "POST":
                    linked = {h.get("WARC-Record-ID"), *_ids(h.get("WARC-Concurrent-To"))}
                    posts.update(x for x in linked if x)
                    held = deque(r for r in held if r[1].isdisjoint(linked))
                continue
            while held and held[0][2] <= seen:
                record = held.popleft()[0]
                given.add(record.offset)
                end = ends.pop(record.offset, -1)
                yield dataclasses.replace(record, member_length=end - record.offset) \
                    if end > record.offset else record
            if kind not in CAPTURE_KINDS:
                continue
            url = (h.get("WARC-Target-URI") or "").strip().strip("<>")
            if not url.isprintable():
                raise _Irregular()
            digest = normal_digest(h.get("WARC-Payload-Digest"))
            if not url or not wanted(kind, url, digest):
                continue
            ids = {h.get("WARC-Record-ID"), *_ids(h.get("WARC-Concurrent-To"))} - {None}
            if ids & posts:
                continue
            typed = None
            if kind == "response" and rec.is_http:
                rec.parse_http()
                if not any(rec.http_headers.get(k) for k in _ENCODED):
                    typed = _fast_typed(rec, name, offset, url, digest)
                    if framing == "gzip":
                        ends[offset] = -1  # known when the next record is read
            if typed is None:  # warcio's reading of this one record
                if single is None:
                    single = open(fd, "rb", closefd=False)
                typed = _one_record(single, name, offset, kind, url, digest)
            if kind == "response":
                held.append((typed, ids, seen + POST_WINDOW))
            else:
                given.add(offset)
                yield typed
    except Exception:  # _Irregular, FastWARC's OSError on damaged bytes, a record warcio refuses:
        pass  # warcio reads on from a few records back and tells what it is
    finally:
        if single is not None:
            single.close()
    starts = [recent[0]] if recent else [0]
    return min(starts + [r[0].offset for r in held])


def _fast_kind(record_type) -> str:
    return _FAST_KIND_NAMES.get(int(record_type), "other")


_FAST_KIND_NAMES = {} if FastIterator is None else {  # FastWARC's types are bit flags
    int(WarcRecordType.response): "response", int(WarcRecordType.resource): "resource",
    int(WarcRecordType.revisit): "revisit", int(WarcRecordType.request): "request"}


def _fast_typed(rec, name: str, offset: int, url: str, digest: str | None) -> ArchiveRecord:
    """A plain response (no transfer or content encoding) as :func:`_typed` makes it."""
    h, http = rec.headers, rec.http_headers
    code = (http.status_line.split(" ", 2) + ["", ""])[1]
    return ArchiveRecord(
        file=name, offset=offset, kind="response", url=url,
        timestamp=timestamp14(h.get("WARC-Date") or ""),
        status=int(code) if code.isdigit() else None, content_type=http.get("Content-Type"),
        headers=tuple(http.items()), body=rec.reader.read(), digest=digest,
        refers_to_url=(h.get("WARC-Refers-To-Target-URI") or "").strip("<>") or None,
        refers_to_date=h.get("WARC-Refers-To-Date"))


def _one_record(fh, name: str, offset: int, kind: str, url: str, digest: str | None) -> ArchiveRecord:
    """The record at ``offset`` read by warcio (what the fast reader does not give as warcio
    would: chunked and encoded payloads, revisits, resources)."""
    fh.seek(offset)
    it = ArchiveIterator(fh, arc2warc=True)
    try:
        record = _quiet_next(iter(it))
    except Exception:
        raise _Irregular() from None
    return _typed(record, name, offset, kind, url, digest)


def _ids(value: str | None) -> list[str]:
    return value.split() if value else []


def _typed(record, name: str, offset: int, kind: str, url: str, digest: str | None) -> ArchiveRecord:
    h = record.rec_headers
    http = record.http_headers
    body = None
    if kind != "revisit":
        try:
            with contextlib.redirect_stderr(io.StringIO()):
                body = record.content_stream().read()
        except Exception as exc:  # a damaged gzip member, a bad chunked or content encoding
            raise UnreadableStretch(name, offset, f"the record of {url} cannot be read "
                                                  f"({_reason(exc)})") from None
        if getattr(record.raw_stream, "limit", 0) > 0:
            raise UnreadableStretch(name, offset, f"the record of {url} is cut short: the file "
                                                  "ends inside it")
    status = None
    if http is not None and http.get_statuscode() and http.get_statuscode().isdigit():
        status = int(http.get_statuscode())
    ctype = (http.get_header("Content-Type") if http is not None else None) or (
        h.get_header("Content-Type") if kind == "resource" else None)
    return ArchiveRecord(
        file=name, offset=offset, kind=kind, url=url,
        timestamp=timestamp14(h.get_header("WARC-Date") or ""),
        status=status if kind != "resource" else 200, content_type=ctype,
        headers=tuple(http.headers) if http is not None else (), body=body, digest=digest,
        refers_to_url=(h.get_header("WARC-Refers-To-Target-URI") or "").strip("<>") or None,
        refers_to_date=h.get_header("WARC-Refers-To-Date"))


def _reason(exc: BaseException) -> str:
    """warcio's multi-line banners as one sentence."""
    text = " ".join(str(exc).split())
    if text.startswith("Unknown archive format"):
        return "no WARC or ARC record starts there"
    if "Not Gzipped Properly" in text or isinstance(exc, zlib.error):
        return f"a damaged gzip member ({text})"
    if isinstance(exc, AttributeError):
        return "a record header block that cannot be parsed"
    if isinstance(exc, EOFError):
        return f"the file ends inside a record ({text or 'cut short'})"
    return text[:200] or type(exc).__name__
