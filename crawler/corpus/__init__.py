"""The corpus of one crawl: the one place a crawl opens its store.

Spiders, stages, middlewares and extensions receive it from the crawler with
``Corpus.of(crawler)`` (in their ``from_crawler`` or ``open_spider``); none of them constructs a
store or reaches into another component for it. Which store it is follows the settings:

- one process: a :class:`~pipelines.corpus.recorder.Recorder` on the corpus in ``PALIMPSEST_OUT``;
- ``PALIMPSEST_DISTRIBUTED``: an :class:`~pipelines.corpus.oplog.OpLogRecorder` whose writes go to
  the job's op log in Redis (``REDIS_URL``, ``PALIMPSEST_JOB``); the coordinator
  (``PALIMPSEST_ROLE=coordinator``) also opens the one corpus the op log is applied to (through a
  :class:`~pipelines.corpus.oplog.Replay`, which keeps the payloads the op log carries in its
  OUT/snapshots/), and finalizes it.

It is opened by the first component that asks and closed when the engine stops, after every
pipeline has closed.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scrapy import signals

from pipelines.corpus.oplog import OpLogRecorder, Replay
from pipelines.corpus.recorder import Recorder
from pipelines.corpus.store import CorpusStore
from pipelines.corpus.warcfiles import SnapshotStore

if TYPE_CHECKING:  # redis is an optional dependency: the job module is imported when distributed
    from crawler.corpus.job import JobCoordination

_ATTR = "_palimpsest_corpus"


class CorpusAlreadyOpen(RuntimeError):
    """``Corpus.of(crawler, out)`` asked for another folder than the one this crawl opened."""


@dataclass
class Corpus:
    recorder: Recorder  # what this process writes through (a Recorder, or an OpLogRecorder)
    main: CorpusStore | None = None  # the corpus that is finalized here (None for a worker)
    job: JobCoordination | None = None  # the distributed job this process works in
    is_coordinator: bool = False
    worker_id: str = ""
    replay: Replay | None = None  # the coordinator's: the op log applied to ``main``
    _closed: bool = field(default=False, repr=False)

    @property
    def out(self):
        return self.recorder.out

    @classmethod
    def of(cls, crawler, out: str | None = None) -> "Corpus":
        """The crawl's corpus, opened on first use from the settings (``out`` overrides
        ``PALIMPSEST_OUT``: the spider's ``-a out=``; asking later for another folder is an
        error, not silently the first one)."""
        corpus = getattr(crawler, _ATTR, None)
        if corpus is None:
            corpus = cls.open(crawler.settings, out)
            setattr(crawler, _ATTR, corpus)
            crawler.signals.connect(corpus.close, signal=signals.engine_stopped)
        elif out is not None and corpus.main is not None and \
                corpus.main.out.resolve() != Path(out).resolve():
            raise CorpusAlreadyOpen(f"this crawl's corpus is {corpus.main.out}, not {out}")
        return corpus

    @classmethod
    def opened(cls, crawler) -> "Corpus | None":
        """The crawl's corpus if one was opened (a discovery crawl has none)."""
        return getattr(crawler, _ATTR, None)

    @classmethod
    def open(cls, settings, out: str | None = None) -> "Corpus":
        out = out or settings["PALIMPSEST_OUT"]
        if not settings.getbool("PALIMPSEST_DISTRIBUTED"):
            store = CorpusStore(out)
            return cls(recorder=Recorder(store), main=store)
        from crawler.corpus.job import JobCoordination, worker_id

        wid = worker_id()
        job = JobCoordination.connect(settings["REDIS_URL"], settings["PALIMPSEST_JOB"], wid)
        is_coordinator = settings["PALIMPSEST_ROLE"] == "coordinator"
        # A worker's own reads (and its last_run.json) live in a scratch corpus: in OUT for a
        # worker (a temporary folder), beside the corpus for the coordinator.
        scratch = CorpusStore(tempfile.mkdtemp(prefix="palimpsest-scratch-") if is_coordinator else out)
        main = CorpusStore(out) if is_coordinator else None
        replay = None
        if main is not None:
            snapshots = (SnapshotStore(out, settings.getint("PALIMPSEST_SNAPSHOT_MAX_BYTES"))
                         if settings.getbool("PALIMPSEST_SNAPSHOTS") else None)
            replay = Replay(main, snapshots)
        return cls(recorder=OpLogRecorder(scratch, job, main=main), main=main, job=job,
                   is_coordinator=is_coordinator, worker_id=wid, replay=replay)

    @property
    def summary_recorder(self) -> Recorder:
        """What this process reports on: the corpus, or a worker's scratch corpus."""
        return Recorder(self.main) if self.main is not None else self.recorder

    def apply_ops(self) -> int:
        """The coordinator: replay a batch of the workers' writes on the corpus."""
        return self.job.apply_ops(self.replay)

    def apply_all_ops(self) -> None:
        while self.job.apply_ops(self.replay):
            pass

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.recorder.close()
        if self.replay is not None:  # its snapshot file closed and moved into place, then main
            self.replay.close()
        elif self.main is not None and self.main is not self.recorder.store:
            self.main.close()
