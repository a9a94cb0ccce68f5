"""The extension that keeps a distributed job's worker alive, its orphans re-queued and, on the
coordinator, the workers' writes applied; the spider closes only when the whole job is done."""

from __future__ import annotations

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from twisted.internet import task

from crawler.corpus import Corpus


class JobLifecycle:
    """Extension: heartbeats, re-queueing orphans, applying ops (coordinator), and closing the
    spider only when the whole job is done."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.loop = None

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider):
        self.corpus = Corpus.of(self.crawler)
        if self.corpus.job is None:
            return
        self.corpus.job.heartbeat()
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(0.5, now=False)

    def tick(self):
        c = self.corpus.job
        c.heartbeat()
        if self.corpus.is_coordinator:
            self.corpus.apply_ops()
        # An idle engine looks at its scheduler only every 5 s; work others just queued in Redis
        # is picked up at once instead.
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None and c.has_queued():
            slot.nextcall.schedule()

    def spider_idle(self, spider):
        corpus = Corpus.of(self.crawler)
        c = corpus.job
        if c is None:
            return
        c.requeue_orphans(include_own=True)
        if corpus.is_coordinator:
            corpus.apply_ops()
        queued, leased, ops = c.pending()
        if queued or leased or (corpus.is_coordinator and ops):
            raise DontCloseSpider("the job still has work")
        if not corpus.is_coordinator and c.state() == "starting":
            raise DontCloseSpider("waiting for the coordinator to push the seeds")

    def spider_closed(self, spider, reason):
        if self.loop and self.loop.running:
            self.loop.stop()
        corpus = Corpus.of(self.crawler)
        c = corpus.job
        if c is None:
            return
        if corpus.is_coordinator:
            corpus.apply_all_ops()
            if reason == "finished":
                c.finish()
        c.leave()
