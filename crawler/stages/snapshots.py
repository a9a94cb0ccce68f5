"""Stage 1: keep what the crawl fetched in OUT/snapshots/ (WARC), before extraction."""

from __future__ import annotations

from crawler.corpus import Corpus
from pipelines.captures import Outcome, payload_digest
from pipelines.corpus.warcfiles import SnapshotStore
from pipelines.items import Payload, SnapshotKind


class SnapshotPipeline:
    """Archived responses (pages, redirects, archived error pages) go to OUT/snapshots/; the
    storage stage indexes where each one is.

    Settings: ``PALIMPSEST_SNAPSHOTS`` (default on; ``--no-snapshots``),
    ``PALIMPSEST_SNAPSHOT_MAX_BYTES`` (a file is closed and a new one begun past this size)."""

    KEPT = (Outcome.PAYLOAD, Outcome.REDIRECT, Outcome.HTTP_STATUS)

    def __init__(self, crawler, enabled: bool, max_bytes: int):
        self.crawler = crawler
        self.enabled = enabled
        self.max_bytes = max_bytes
        self.writer: SnapshotStore | None = None
        self.kept_digests: dict[str, tuple[str, str]] = {}  # digest -> (url, ts) kept this run

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        enabled = s.getbool("PALIMPSEST_SNAPSHOTS") and not s.getbool("PALIMPSEST_DISTRIBUTED")
        return cls(crawler, enabled, s.getint("PALIMPSEST_SNAPSHOT_MAX_BYTES"))

    def open_spider(self, spider=None):
        if self.enabled:
            self.corpus = Corpus.of(self.crawler)
            self.writer = SnapshotStore(self.corpus.out, self.max_bytes)

    def close_spider(self, spider=None):
        if self.writer is not None:
            self.writer.close()

    def process_item(self, item, spider=None):
        if self.writer is None or not isinstance(item, Payload) or item.outcome not in self.KEPT:
            return item
        body = item.body or b""
        digest = item.digest or payload_digest(body)
        earlier = self.kept_digests.get(digest) or self.corpus.recorder.snapshot_of_digest(digest)
        if earlier and item.outcome == Outcome.PAYLOAD and item.digest_ok is not False:
            ref = self.writer.write_revisit(item.url, item.timestamp, digest, *earlier)
            item.snapshot_kind = SnapshotKind.REVISIT
        else:
            ref = self.writer.write_response(item.url, item.timestamp, item.http_status or 200,
                                             item.headers, body, item.digest, item.source)
            if item.outcome == Outcome.PAYLOAD:
                self.kept_digests.setdefault(digest, (item.url, item.timestamp))
        item.snapshot = ref
        return item
