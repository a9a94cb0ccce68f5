"""Progress lines while a crawl runs, and the run's summary when it ends: a
:class:`~crawler.components.summary.RunSummary`, written atomically to OUT/last_run.json and kept
on the extension for whoever ran the crawl."""

from __future__ import annotations

import json
import logging
import time

from scrapy import signals
from twisted.internet import task

from crawler.components.summary import RunSummary
from crawler.corpus import Corpus

logger = logging.getLogger("palimpsest.progress")


# palimpsest/<stat> counters by summary field (the others are the field's own name)
_STATS = {"cdx_requests": "requests/cdx", "snapshot_requests": "requests/snapshot",
          "payloads_scheduled": "fetch_scheduled", "texts": "fetch_outcome/text",
          "no_text": "fetch_outcome/no-text"}
_COUNTED = ("captures_new", "redirects_followed", "rate_limited_429", "connection_refused",
            "archived_429", "archive_unreachable", "urls_blocked", "snapshots_blocked",
            "cdx_edge_queries", "digest_mismatch_kept", "pause_seconds", "errors", "live_changed",
            "live_unchanged", "live_saved", "live_save_failed", "save_requests", "cdx_answered",
            "seed_errors", "versions_written", *_STATS)


def archive_figures(src, stats: dict) -> dict:
    """One archive's figures of this run from its ``palimpsest/archive/<slug>/*`` stats."""
    get = lambda k: stats.get(f"palimpsest/archive/{src.spec.slug}/{k}", 0)  # noqa: E731
    figures = {"archive": src.id, "label": src.spec.label, "cdx_requests": get("requests/cdx"),
               "cdx_answered": get("cdx_answered"), "snapshot_requests": get("requests/snapshot"),
               "captures_new": get("captures_new"), "captures_seen": get("captures_seen"),
               "payloads": get("payloads"), "errors": get("errors"),
               "unreachable": bool(get("unreachable"))}
    # an archive that could not be read this run: nothing listens, its list of crawls failed,
    # or it answered not one query of the many asked with errors
    figures["failed"] = bool(figures["unreachable"] or get("failed") or (
        figures["errors"] and not figures["cdx_answered"]))
    return figures


class ProgressReporter:
    def __init__(self, crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self.loop: task.LoopingCall | None = None
        self.started = time.time()
        self.summary: RunSummary | None = None  # set when the spider closes

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler, crawler.settings.getfloat("PALIMPSEST_PROGRESS_INTERVAL"))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider):
        self.started = time.time()
        if self.interval > 0:
            self.loop = task.LoopingCall(self.report, spider)
            self.loop.start(self.interval, now=False)

    def figures(self, spider) -> RunSummary:
        stats = self.crawler.stats.get_stats()
        get = lambda k: stats.get(f"palimpsest/{k}", 0)  # noqa: E731
        progress = getattr(spider, "progress", None)
        f = RunSummary(**{name: get(_STATS.get(name, name)) for name in _COUNTED})
        f.sites_total = progress.sites_total if progress else 0
        f.sites_done = progress.sites_done if progress else 0
        f.live_checked = get("live_changed") + get("live_unchanged") + get("live_http_error")
        f.failed_sites = sorted(getattr(spider, "failed_sites", ()))
        f.elapsed_s = round(time.time() - self.started, 1)
        f.archives = [archive_figures(src, stats) for src in getattr(spider, "sources", ())]
        return f

    def report(self, spider):
        f = self.figures(spider)
        logger.info(
            "progress: sites %d/%d done | CDX %d | snapshots %d | new captures %d | texts %d | "
            "429s %d | refused %d | paused %ds | errors %d",
            f.sites_done, f.sites_total, f.cdx_requests, f.snapshot_requests, f.captures_new,
            f.texts, f.rate_limited_429, f.connection_refused, f.pause_seconds, f.errors)

    def spider_closed(self, spider, reason):
        if self.loop and self.loop.running:
            self.loop.stop()
        f = self.figures(spider)
        f.finish_reason = reason
        corpus = Corpus.opened(self.crawler)
        if corpus is not None:
            reads = corpus.summary_recorder
            f.corpus = reads.counts()
            f.blocked = [{"site": s, "url": u, "archive_said": m} for s, u, m in reads.blocked_urls()]
            if f.archives:
                held, served, f.coverage = reads.archive_figures(f.archives[0]["archive"])
                for a in f.archives:
                    a["captures"] = held.get(a["archive"], (0, 0))[0]
                    a["payloads_served"], a["texts_served"] = served.get(a["archive"], (0, 0))
            f.write(reads.out)
        self.summary = f
        logger.info("summary: %s", json.dumps(f.as_dict()))
