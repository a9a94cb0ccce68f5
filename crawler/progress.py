"""Progress lines while a crawl runs and a summary when it ends (also OUT/last_run.json)."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from scrapy import signals
from twisted.internet import task

from pipelines.corpus import Corpus

logger = logging.getLogger("palimpsest.progress")


class ProgressReporter:
    def __init__(self, crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self.loop: task.LoopingCall | None = None
        self.started = time.time()

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler, crawler.settings.getfloat("PALIMPSEST_PROGRESS_INTERVAL", 15))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider):
        self.started = time.time()
        if self.interval > 0:
            self.loop = task.LoopingCall(self.report, spider)
            self.loop.start(self.interval, now=False)

    def figures(self, spider) -> dict:
        stats = self.crawler.stats.get_stats()
        get = lambda k: stats.get(f"palimpsest/{k}", 0)  # noqa: E731
        progress = getattr(spider, "progress", None)
        return {
            "sites_total": progress.sites_total if progress else 0,
            "sites_done": progress.sites_done if progress else 0,
            "cdx_requests": get("requests/cdx"),
            "snapshot_requests": get("requests/snapshot"),
            "captures_new": get("captures_new"),
            "payloads_scheduled": get("fetch_scheduled"),
            "texts": get("fetch_outcome/text"),
            "no_text": get("fetch_outcome/no-text"),
            "redirects_followed": get("redirects_followed"),
            "rate_limited_429": get("rate_limited_429"),
            "connection_refused": get("connection_refused"),
            "archived_429": get("archived_429"),
            "archive_unreachable": get("archive_unreachable"),
            "urls_blocked": get("urls_blocked"),
            "snapshots_blocked": get("snapshots_blocked"),
            "cdx_edge_queries": get("cdx_edge_queries"),
            "digest_mismatch_kept": get("digest_mismatch_kept"),
            "pause_seconds": get("pause_seconds"),
            "errors": get("errors"),
            "live_checked": get("live_changed") + get("live_unchanged") + get("live_http_error"),
            "live_changed": get("live_changed"),
            "live_unchanged": get("live_unchanged"),
            "live_saved": get("live_saved"),
            "live_save_failed": get("live_save_failed"),
            "save_requests": get("save_requests"),
            "cdx_answered": get("cdx_answered"),
            "failed_sites": sorted(getattr(spider, "failed_sites", ())),
            "seed_errors": get("seed_errors"),
            "versions_written": get("versions_written"),
            "elapsed_s": round(time.time() - self.started, 1),
        }

    def report(self, spider):
        f = self.figures(spider)
        logger.info(
            "progress: sites %d/%d done | CDX %d | snapshots %d | new captures %d | texts %d | "
            "429s %d | refused %d | paused %ds | errors %d",
            f["sites_done"], f["sites_total"], f["cdx_requests"], f["snapshot_requests"],
            f["captures_new"], f["texts"], f["rate_limited_429"], f["connection_refused"],
            f["pause_seconds"], f["errors"])

    def spider_closed(self, spider, reason):
        if self.loop and self.loop.running:
            self.loop.stop()
        f = self.figures(spider)
        f["finish_reason"] = reason
        corpus = Corpus.opened(self.crawler)
        if corpus is not None:
            store = corpus.reads
            f["corpus"] = store.counts()
            f["blocked"] = [{"site": s, "url": u, "archive_said": m} for s, u, m in
                            store.blocked_urls()]
            Path(store.out, "last_run.json").write_text(json.dumps(f, indent=2) + "\n")
        logger.info("summary: %s", json.dumps(f))
