"""The op-log recorder of a distributed job's worker: every write goes to the job's op log (which
the coordinator replays on the one corpus, :func:`apply_op`, through :class:`Replay`) and to a
local scratch corpus that answers this worker's own reads; the URLs a site is known under also
come from the coordinator's corpus when this process has it.

A worker keeps no snapshot file of its own: each fetched payload travels with its fetch in the op
log (:class:`~pipelines.items.SnapshotBody`), and the coordinator's one writer keeps it in
OUT/snapshots/ as it applies the op, the record written before the index row that names it is
committed. One writer makes the files exactly a one-machine crawl's (a response record per
digest, revisits for repeats) with no shared storage and no file of a killed worker to repair."""

from __future__ import annotations

import dataclasses
import pickle
import shutil
from typing import Protocol

from pipelines.captures import CdxRecord
from pipelines.corpus.captures import PendingFetch
from pipelines.corpus.recorder import WRITES, Recorder
from pipelines.corpus.store import CorpusStore
from pipelines.corpus.warcfiles import SnapshotStore
from pipelines.items import Fetch


class OpLog(Protocol):
    """Where a worker's writes go (``crawler.corpus.job.JobCoordination`` in Redis)."""

    def push_op(self, raw: bytes) -> None: ...

    def mark_fetched(self, key: str) -> None: ...


class UnknownOp(ValueError):
    """An op log entry that names no write of the Recorder (a corrupt or foreign op log)."""


def encode_op(method: str, kwargs: dict) -> bytes:
    if method not in WRITES:
        raise UnknownOp(f"{method!r} is not a corpus write")
    return pickle.dumps((method, kwargs), protocol=4)


def apply_op(recorder: Recorder, raw: bytes) -> None:
    """Replay one op-log entry on ``recorder`` (every write is idempotent but the error log's,
    which adds a row each time)."""
    method, kwargs = pickle.loads(raw)
    if method not in WRITES:
        raise UnknownOp(f"op log entry names {method!r}, not a corpus write")
    getattr(recorder, method)(**kwargs)


class Replay(Recorder):
    """The coordinator's recorder of the op log: the workers' writes on the one corpus, and the
    payloads they shipped kept in its snapshots (none when ``snapshots`` is None:
    ``--no-snapshots``)."""

    def __init__(self, store: CorpusStore, snapshots: SnapshotStore | None):
        super().__init__(store)
        self.snapshots = snapshots

    def record_fetch(self, fetch: Fetch) -> None:
        if fetch.keep is not None:
            ref, kind = None, fetch.snapshot_kind
            if self.snapshots is not None:
                # an op applied again (the coordinator stopped between taking and applying it)
                # or a payload fetched twice (a worker killed after its op was sent) is kept once
                kept = self.store.fetches.snapshot_of_key(fetch.payload_key)
                if kept is None:
                    earlier = self.store.fetches.snapshot_of_digest(fetch.keep.digest)
                    kept = self.snapshots.keep(fetch.keep, earlier)
                ref, kind = kept
            fetch = dataclasses.replace(fetch, keep=None, snapshot=ref, snapshot_kind=kind)
        super().record_fetch(fetch)

    def close(self) -> None:
        if self.snapshots is not None:
            self.snapshots.close()
        super().close()


class OpLogRecorder(Recorder):
    def __init__(self, scratch: CorpusStore, oplog: OpLog, main: CorpusStore | None = None):
        super().__init__(scratch)
        self.oplog = oplog
        self.main = main
        self._main_reads = Recorder(main) if main is not None else None

    @property
    def out(self):
        return self.main.out if self.main is not None else self.store.out

    def _log(self, method: str, **kwargs) -> None:
        self.oplog.push_op(encode_op(method, kwargs))

    # -- writes: the op log, then the scratch corpus ---------------------------------------
    def add_seed(self, site, url):
        self._log("add_seed", site=site, url=url)
        super().add_seed(site, url)

    def add_url(self, site, url, via_url, via_timestamp, hops):
        self._log("add_url", site=site, url=url, via_url=via_url, via_timestamp=via_timestamp,
                  hops=hops)
        return super().add_url(site, url, via_url, via_timestamp, hops)

    def add_captures(self, site: str, query_url: str, records: list[tuple[CdxRecord, str]]) -> int:
        records = list(records)
        self._log("add_captures", site=site, query_url=query_url, records=records)
        return super().add_captures(site, query_url, records)

    def cdx_checked(self, site, url, last_timestamp, archive=""):
        self._log("cdx_checked", site=site, url=url, last_timestamp=last_timestamp, archive=archive)
        super().cdx_checked(site, url, last_timestamp, archive)

    def set_blocked(self, site, url, message, archive=""):
        self._log("set_blocked", site=site, url=url, message=message, archive=archive)
        super().set_blocked(site, url, message, archive)

    def record_archives(self, rows):
        self._log("record_archives", rows=rows)
        super().record_archives(rows)

    def record_fetch(self, fetch: Fetch) -> None:
        self.oplog.mark_fetched(fetch.payload_key)
        self._log("record_fetch", fetch=fetch)
        super().record_fetch(fetch)

    def log_error(self, site, url, timestamp, message):
        self._log("log_error", site=site, url=url, timestamp=timestamp, message=message)
        super().log_error(site, url, timestamp, message)

    # -- reads ------------------------------------------------------------------------------
    def site_urls(self, site: str, archive: str = "") -> list[tuple[str, int, str | None]]:
        """The site's URLs known here or in the coordinator's corpus, with the latest CDX time."""
        found: dict[str, tuple[str, int, str | None]] = {}
        for reads in (super(), self._main_reads):
            for url, hops, last in (reads.site_urls(site, archive) if reads is not None else []):
                seen = found.get(url)
                best = max(filter(None, [last, seen[2] if seen else None]), default=None)
                found[url] = (url, min(hops, seen[1]) if seen else hops, best)
        return sorted(found.values(), key=lambda r: (r[1], r[0]))

    def checked_in(self, site: str, url: str, prefix: str) -> set[str]:
        mine = super().checked_in(site, url, prefix)
        return mine | (self._main_reads.checked_in(site, url, prefix) if self._main_reads else set())

    def unfetched(self, site: str, query_url: str | None = None) -> list[PendingFetch]:
        return (self._main_reads or super()).unfetched(site, query_url)

    def complete_interrupted(self) -> int:
        return 0  # versions are built by the coordinator from the corpus in OUT

    def close(self) -> None:
        super().close()
        if self.main is not None:  # the coordinator's scratch corpus is its own, temporary
            shutil.rmtree(self.store.out, ignore_errors=True)
