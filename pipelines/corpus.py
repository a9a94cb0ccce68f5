"""The corpus of one crawl: the one place a crawl opens its store.

Spiders, pipelines, middlewares and extensions receive it from the crawler with
``Corpus.of(crawler)`` (in their ``from_crawler`` or ``open_spider``); none of them constructs a
store or reaches into another component for it. Which store it is follows the settings:

- one process: a ``CorpusStore`` in ``PALIMPSEST_OUT`` (or the spider's ``-a out=``);
- ``PALIMPSEST_DISTRIBUTED``: a ``DistributedStore`` whose writes go to the job's op-log in Redis
  (``REDIS_URL``, ``PALIMPSEST_JOB``); the coordinator (``PALIMPSEST_ROLE=coordinator``) also
  opens the one corpus the op-log is applied to, and finalizes it.

It is closed when the engine stops, after every pipeline has closed.
"""
from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field

from scrapy import signals

from pipelines.storage import CorpusStore

logger = logging.getLogger(__name__)

_ATTR = "_palimpsest_corpus"


@dataclass
class Corpus:
    store: object  # what this process writes: CorpusStore, or DistributedStore (op-log)
    main: CorpusStore | None = None  # the corpus that is finalized here (None for a worker)
    coordination: object | None = None  # JobCoordination of a distributed job
    is_coordinator: bool = False
    worker_id: str = ""
    _closed: bool = field(default=False, repr=False)

    @property
    def out(self):
        return self.store.out

    @property
    def distributed(self) -> bool:
        return self.coordination is not None

    @classmethod
    def of(cls, crawler, out: str | None = None) -> "Corpus":
        """The crawl's corpus, opened on first use from the settings (``out`` overrides
        ``PALIMPSEST_OUT``: the spider's ``-a out=``)."""
        corpus = getattr(crawler, _ATTR, None)
        if corpus is None:
            corpus = cls.open(crawler.settings, out)
            setattr(crawler, _ATTR, corpus)
            crawler.signals.connect(corpus.close, signal=signals.engine_stopped)
        return corpus

    @classmethod
    def opened(cls, crawler) -> "Corpus | None":
        """The crawl's corpus if one was opened (a discovery crawl has none)."""
        return getattr(crawler, _ATTR, None)

    @property
    def reads(self):
        """The store this process reports on: the corpus, or a worker's scratch store."""
        return self.main if self.main is not None else self.store

    @classmethod
    def open(cls, settings, out: str | None = None) -> "Corpus":
        out = out or settings.get("PALIMPSEST_OUT")
        if not settings.getbool("PALIMPSEST_DISTRIBUTED"):
            store = CorpusStore(out)
            return cls(store=store, main=store)
        import redis

        from crawler.distributed import DistributedStore, JobCoordination, worker_id

        wid = worker_id()
        coordination = JobCoordination(redis.Redis.from_url(settings.get("REDIS_URL")),
                                       settings.get("PALIMPSEST_JOB"), wid)
        is_coordinator = settings.get("PALIMPSEST_ROLE") == "coordinator"
        # A worker's own reads (and its last_run.json) live in a scratch store: in OUT for a
        # worker (a temporary folder), beside the corpus for the coordinator.
        scratch = CorpusStore(tempfile.mkdtemp(prefix="palimpsest-scratch-") if is_coordinator else out)
        main = CorpusStore(out) if is_coordinator else None
        return cls(store=DistributedStore(scratch, coordination, main=main), main=main,
                   coordination=coordination, is_coordinator=is_coordinator, worker_id=wid)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.store.close()
        if self.main is not None and self.main is not self.store:
            self.main.close()
