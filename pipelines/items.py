"""The typed records the stages hand over: what a crawl fetched (:class:`Payload`), what a live
check saw (:class:`LiveCheck`), what extraction made of a page (:class:`ExtractedText`), where a
payload's WARC record is (:class:`SnapshotRef`) and what the corpus records of a fetch
(:class:`Fetch`).

Scrapy passes dataclass items through its item pipelines as they are; each stage fills the field it
owns (the snapshot stage ``snapshot``, the extraction stage ``extracted`` or ``extraction_error``)
and the storage stage records the whole.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pipelines.captures import Outcome, TextEnum


@dataclass
class ExtractedText:
    """The result of extracting one payload."""

    markdown: str  # '# title' line then the body, no seed header
    title: str
    text_hash: str
    words: int
    language: str | None
    encoding: str
    extractor: str
    reason: str | None = None  # why there is no text, when markdown is empty

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def has_text(self) -> bool:
        return bool(self.markdown)


@dataclass(frozen=True)
class SnapshotRef:
    """Where a payload's record is: a file name in OUT/snapshots/ and the record's byte range."""

    file: str
    offset: int
    length: int


class SnapshotKind(TextEnum):
    RESPONSE = "response"
    REVISIT = "revisit"


@dataclass(frozen=True)
class SnapshotBody:
    """A payload to keep in OUT/snapshots/ as the archive answered it. One process writes it at
    once; a distributed job's worker ships it with its fetch through the op log, and the
    coordinator's one writer keeps it (:class:`pipelines.corpus.oplog.Replay`)."""

    url: str
    timestamp: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    cdx_digest: str | None
    digest: str  # the digest it is kept under: the CDX one, else the body's
    source: str | None = None  # the archive URL it came from
    revisitable: bool = True  # a repeat of a kept payload may be a revisit record


@dataclass(frozen=True)
class Fetch:
    """What fetching one payload gave, as the corpus records it: a ``fetches`` row, its text
    (stored once under its hash) and where its snapshot record is."""

    payload_key: str
    timestamp: str
    url: str
    status: int | None
    digest: str
    outcome: Outcome
    http_status: int | None = None
    location: str | None = None
    location_timestamp: str | None = None
    text_hash: str | None = None
    reason: str | None = None
    digest_ok: bool | None = None
    size: int | None = None
    extracted: ExtractedText | None = None
    sites: tuple[str, ...] = ()  # the sites whose versions it changes
    snapshot: SnapshotRef | None = None
    snapshot_kind: str = SnapshotKind.RESPONSE
    keep: SnapshotBody | None = None  # a distributed worker's payload, kept by the coordinator
    archive: str | None = None  # the archive that served it


@dataclass
class Payload:
    """One distinct payload of a capture as the archive answered it: the bytes to extract
    (``outcome`` :attr:`Outcome.PAYLOAD`) or a final outcome (redirect, missing, ...)."""

    site: str
    payload_key: str
    timestamp: str  # exact 14-digit timestamp of the capture fetched
    url: str  # the capture's original URL
    status: int | None  # CDX status
    digest: str  # CDX digest
    outcome: Outcome
    http_status: int | None = None  # status the archive answered with
    size: int = 0
    source: str | None = None  # the archive URL it came from
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None  # raw payload (only for Outcome.PAYLOAD)
    content_type: str | None = None
    digest_ok: bool | None = None  # body SHA-1 equals the CDX digest
    reason: str | None = None
    location: str | None = None  # archived redirect target, or the capture the archive sent us to
    location_timestamp: str | None = None
    # filled by the stages, in order:
    snapshot: SnapshotRef | None = None
    snapshot_kind: str = SnapshotKind.RESPONSE
    keep: SnapshotBody | None = None  # shipped instead of written (a distributed job)
    extracted: ExtractedText | None = None
    extraction_error: str | None = None
    lease: str | None = None  # a distributed request's lease, acknowledged once stored
    archive: str | None = None  # the archive that served it


@dataclass
class LiveCheck:
    """One check of a live policy page (``palimpsest watch``)."""

    site: str
    seed_url: str
    url: str
    asked_url: str
    status: int
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    moved_from: list[str] = field(default_factory=list)  # the redirect chain, when it moved
