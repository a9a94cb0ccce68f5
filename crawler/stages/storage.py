"""Stage 3: each fetch outcome (and its text) recorded in the corpus; at the end of the crawl, the
one end-of-run step (:func:`pipelines.publish.finalize.finalize`) on the corpus this process owns."""

from __future__ import annotations

import logging

from crawler.corpus import Corpus
from crawler.stages import end_step_begins
from crawler.stages.extraction import extract_workers
from pipelines.captures import Outcome
from pipelines.corpus.recorder import Recorder
from pipelines.items import Fetch, Payload
from pipelines.publish.finalize import finalize

logger = logging.getLogger(__name__)


def fetch_outcome(item: Payload) -> tuple[Outcome, str | None, str | None]:
    """(outcome, text hash, reason) to store for a payload item: a fetched payload becomes TEXT
    or NO_TEXT by what extraction made of it."""
    if item.outcome != Outcome.PAYLOAD:
        return item.outcome, None, item.reason
    extracted = item.extracted
    if extracted is not None and extracted.has_text:
        return Outcome.TEXT, extracted.text_hash, extracted.reason
    return Outcome.NO_TEXT, None, (extracted.reason if extracted else None) or item.reason or "no text"


def record_payload(recorder: Recorder, item: Payload) -> Outcome:
    """Store one fetch outcome (and its text)."""
    outcome, thash, reason = fetch_outcome(item)
    if outcome == Outcome.NO_TEXT and item.outcome == Outcome.PAYLOAD:
        logger.warning("No text from %s at %s (site %s): %s", item.url, item.timestamp, item.site,
                       reason)
    recorder.record_fetch(Fetch(
        item.payload_key, item.timestamp, item.url, item.status, item.digest, outcome,
        http_status=item.http_status, location=item.location,
        location_timestamp=item.location_timestamp, text_hash=thash, reason=reason,
        digest_ok=item.digest_ok, size=item.size,
        extracted=item.extracted if outcome == Outcome.TEXT else None,
        sites=tuple(recorder.sites_of_key(item.payload_key) or [item.site]),
        snapshot=item.snapshot, snapshot_kind=item.snapshot_kind, keep=item.keep,
        archive=item.archive))
    return outcome


class StoragePipeline:
    """Records fetch outcomes; acknowledges a distributed request's lease once its writes are
    safe; finalizes the corpus when the crawl closes (the coordinator's, in a distributed job)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self, spider=None):
        self.corpus = Corpus.of(self.crawler)

    def process_item(self, item, spider=None):
        if not isinstance(item, Payload):
            return item
        if item.extraction_error:
            # Nothing is stored for this payload: the next run fetches and extracts it again.
            self.crawler.spider.error(
                item.site, item.url, item.timestamp,
                f"text extraction failed: {item.extraction_error}; nothing stored, "
                "re-run the same command to retry")
        else:
            outcome = record_payload(self.corpus.recorder, item)
            self.stats.inc_value(f"palimpsest/fetch_outcome/{outcome}")
        item.body = item.keep = None
        if self.corpus.job is not None:  # the writes are in Redis now
            self.corpus.job.ack(item.lease)
        return item

    def close_spider(self, spider=None):
        c = self.corpus
        if c.is_coordinator:  # apply the last writes of the workers first
            c.apply_all_ops()
        if c.main is None:
            return  # a worker: the coordinator finalizes the one corpus
        self.crawler.signals.send_catch_log(signal=end_step_begins)
        figures = finalize(c.main, extract_workers(self.crawler.settings) or None)
        for name, value in figures.items():
            self.stats.set_value(f"palimpsest/{name}", value)
