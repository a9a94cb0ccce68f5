"""Stage 2: the text of each fetched payload, extracted in worker processes so the reactor keeps
crawling (:func:`pipelines.extract.extract_policy` in a :class:`pipelines.workers.WorkerPool`)."""

from __future__ import annotations

import asyncio
import os

from crawler.stages import end_step_begins
from pipelines.captures import Outcome
from pipelines.extract import extract_to_dict, load_language_model
from pipelines.items import ExtractedText, Payload
from pipelines.workers import ExtractionFailed, WorkerPool


class ExtractionPipeline:
    """Settings: ``PALIMPSEST_EXTRACT_WORKERS`` (0 = in the reactor's process, unset = CPU count),
    ``PALIMPSEST_EXTRACT_TIMEOUT`` (seconds one page may take), ``PALIMPSEST_MAX_PAGE_BYTES``.
    A page whose extraction fails (an exception, a worker that died or ran out of time) is not
    stored: the item carries ``extraction_error`` and the storage stage logs it, so the next run
    fetches and extracts it again."""

    def __init__(self, workers: int, max_bytes: int, timeout: float | None, crawler):
        self.workers = workers
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.crawler = crawler
        self.stats = crawler.stats
        self.pool: WorkerPool | None = None
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        stage = cls(extract_workers(s), s.getint("PALIMPSEST_MAX_PAGE_BYTES"),
                    s.getfloat("PALIMPSEST_EXTRACT_TIMEOUT") or None, crawler)
        crawler.signals.connect(stage.close_spider, signal=end_step_begins)
        return stage

    def open_spider(self, spider=None):
        if self.workers > 0:
            load_language_model()  # before the workers fork: they share its pages
            self.pool = WorkerPool(extract_to_dict, self.workers, self.timeout, self.stats)

    def close_spider(self, spider=None):
        if self.pool:
            self.pool.close()
            self.pool = None

    async def process_item(self, item, spider=None):
        if not isinstance(item, Payload) or item.outcome != Outcome.PAYLOAD or item.body is None:
            return item
        args = (item.body, item.content_type, item.url, self.max_bytes)
        try:
            result = await self.pool.run(*args) if self.pool else extract_to_dict(*args)
        except Exception as exc:  # ExtractionFailed, or the extractor's own error in-process
            item.extraction_error = str(exc) if isinstance(exc, ExtractionFailed) else \
                f"{type(exc).__name__}: {exc}"
            self.stats.inc_value("palimpsest/extraction_failed")
            if self.pool and self.pool.broken and not self.stopping:
                # no page can be extracted: stop fetching (what was stored stays; re-run to go on)
                self.stopping = True
                asyncio.ensure_future(
                    self.crawler.engine.close_spider_async(reason="extraction_unavailable"))
            return item
        item.extracted = ExtractedText(**result)
        self.stats.inc_value("palimpsest/extracted" if item.extracted.has_text else
                             "palimpsest/extracted_empty")
        return item


def extract_workers(settings) -> int:
    """PALIMPSEST_EXTRACT_WORKERS: unset = one per core, 0 = in the crawl's own process."""
    value = settings.get("PALIMPSEST_EXTRACT_WORKERS")
    return (os.cpu_count() or 1) if value in (None, "") else int(value)
