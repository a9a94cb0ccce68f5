"""Stage 1: keep what the crawl fetched in OUT/snapshots/ (WARC), before extraction."""

from __future__ import annotations

import collections

from crawler.corpus import Corpus
from pipelines.captures import Outcome, payload_digest
from pipelines.corpus.warcfiles import SnapshotStore
from pipelines.items import Payload, SnapshotBody, SnapshotKind


def snapshot_body(item: Payload) -> SnapshotBody:
    """What to keep of one archived response."""
    body = item.body or b""
    return SnapshotBody(item.url, item.timestamp, item.http_status or 200, tuple(item.headers), body,
                        item.digest, item.digest or payload_digest(body), item.source,
                        revisitable=item.outcome == Outcome.PAYLOAD and item.digest_ok is not False)


class SnapshotPipeline:
    """Archived responses (pages, redirects, archived error pages) go to OUT/snapshots/; the
    storage stage indexes where each one is. In a distributed job every process (coordinator
    and workers) ships them with its fetches through the op log instead, and the coordinator's
    one writer keeps them in its OUT/snapshots/ as it applies the op log.

    Settings: ``PALIMPSEST_SNAPSHOTS`` (default on; ``--no-snapshots``),
    ``PALIMPSEST_SNAPSHOT_MAX_BYTES`` (a file is closed and a new one begun past this size)."""

    KEPT = (Outcome.PAYLOAD, Outcome.REDIRECT, Outcome.HTTP_STATUS)
    # far more than the items between this stage and the storage stage at any moment
    # (CONCURRENT_ITEMS per response, the scraper's byte limit)
    KEPT_IN_MEMORY = 10_000

    def __init__(self, crawler, enabled: bool, ship: bool, max_bytes: int):
        self.crawler = crawler
        self.enabled = enabled
        self.ship = ship
        self.max_bytes = max_bytes
        self.writer: SnapshotStore | None = None
        # digest -> (url, ts) of the latest responses kept, until the storage stage has indexed
        # them (the index answers for older ones): bounded, so memory does not grow with the run
        self.kept_digests: collections.OrderedDict[str, tuple[str, str]] = collections.OrderedDict()

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        return cls(crawler, s.getbool("PALIMPSEST_SNAPSHOTS"), s.getbool("PALIMPSEST_DISTRIBUTED"),
                   s.getint("PALIMPSEST_SNAPSHOT_MAX_BYTES"))

    def open_spider(self, spider=None):
        if self.enabled and not self.ship:
            self.corpus = Corpus.of(self.crawler)
            self.writer = SnapshotStore(self.corpus.out, self.max_bytes)

    def close_spider(self, spider=None):
        if self.writer is not None:
            self.writer.close()

    def process_item(self, item, spider=None):
        if not self.enabled or not isinstance(item, Payload) or item.outcome not in self.KEPT:
            return item
        payload = snapshot_body(item)
        if self.ship:
            item.keep = payload
            return item
        earlier = (self.kept_digests.get(payload.digest)
                   or self.corpus.recorder.snapshot_of_digest(payload.digest))
        item.snapshot, item.snapshot_kind = self.writer.keep(payload, earlier)
        if item.outcome == Outcome.PAYLOAD and item.snapshot_kind == SnapshotKind.RESPONSE:
            self.kept_digests.setdefault(payload.digest, (item.url, item.timestamp))
            if len(self.kept_digests) > self.KEPT_IN_MEMORY:
                self.kept_digests.popitem(last=False)
        return item
