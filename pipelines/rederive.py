"""Versions derived again from what was kept, with no archive request: ``reextract`` (the
corpus's own snapshots through the current extractor), and the extraction pool it shares with
``ingest`` (:mod:`pipelines.ingest`)."""

from __future__ import annotations

import logging
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pipelines.captures import Outcome
from pipelines.corpus.store import CorpusStore
from pipelines.corpus.warcfiles import SnapshotStore, read_record
from pipelines.extract import extract_policy, load_language_model
from pipelines.items import ExtractedText, SnapshotKind
from pipelines.publish.finalize import EarlyFinish
from pipelines.workers import worker_setup

logger = logging.getLogger(__name__)


def _extract_snapshot(job: tuple[str, str, int, str, int]) -> tuple[str, dict | None, str | None]:
    """In a worker: read one record from its file and extract it."""
    payload_key, path, offset, url, max_bytes = job
    try:
        where = Path(path)
        if not where.exists() and where.parent.name == ".open":  # closed since: moved into place
            where = where.parent.parent / where.name
        body, ctype, _, _ = read_record(where, offset)
        return payload_key, extract_policy(body, ctype, url, max_bytes).as_dict(), None
    except Exception as exc:  # one unreadable record is reported, the others go on
        return payload_key, None, f"{type(exc).__name__}: {exc}"


def _extract_batch(jobs: list) -> list:
    return [_extract_snapshot(job) for job in jobs]


def _typed(result: tuple[str, dict | None, str | None]) -> tuple[str, ExtractedText | None, str | None]:
    key, extracted, error = result
    return key, (ExtractedText(**extracted) if extracted is not None else None), error


class Extractions:
    """Snapshot records extracted in one process per core while the caller goes on (ingest
    reads and indexes the next WARC records meanwhile); results are collected as they finish."""

    BATCH = 16

    def __init__(self, workers: int | None):
        n = workers or os.cpu_count() or 1
        self.pool = None
        if n > 1:
            # The language model is loaded before the workers fork: they share it instead of
            # each one spending a second loading its own copy.
            load_language_model()
            self.pool = ProcessPoolExecutor(n, initializer=worker_setup)
        self.batch: list = []
        self.futures: set = set()
        self.ready: list = []

    def add(self, job) -> None:
        self.batch.append(job)
        if len(self.batch) >= self.BATCH:
            self._submit()

    def _submit(self) -> None:
        if not self.batch:
            return
        if self.pool is None:
            self.ready.extend(_extract_batch(self.batch))
        else:
            self.futures.add(self.pool.submit(_extract_batch, self.batch))
        self.batch = []

    def results(self, wait: bool = False):
        """(payload key, ExtractedText or None, error or None) of the jobs finished so far; with
        ``wait``, of every job added."""
        from concurrent.futures import FIRST_COMPLETED
        from concurrent.futures import wait as wait_for

        if wait:
            self._submit()
        while True:
            ready, self.ready = self.ready, []
            yield from map(_typed, ready)
            if not self.futures:
                return
            done, self.futures = wait_for(self.futures, timeout=None if wait else 0,
                                          return_when=FIRST_COMPLETED)
            for future in done:
                yield from map(_typed, future.result())
            if not wait and not done:
                return

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def reextract(out: str | Path, site: str | None = None, workers: int | None = None,
              max_bytes: int = 20_000_000, commit_every: int = 256) -> dict:
    """Run the current extractor over the kept snapshots (of one site), then rebuild versions,
    changes and feeds. No archive request. Texts are committed ``commit_every`` at a time."""
    store = CorpusStore(out)
    snaps = SnapshotStore(out)
    try:
        rows = store.fetches.snapshot_rows(site)
        # where each payload's bytes are (a revisit's original may belong to another site)
        responses = {r.digest: r for r in (store.fetches.snapshot_rows() if site else rows)
                     if r.kind == SnapshotKind.RESPONSE}
        jobs = []
        for row in rows:
            if store.fetches.outcome(row.payload_key) not in (Outcome.TEXT, Outcome.NO_TEXT):
                continue  # redirects and archived error pages have no text to re-derive
            where = row
            if row.kind == SnapshotKind.REVISIT:  # the payload is in the response record with its digest
                where = responses.get(row.digest)
                if where is None:
                    continue
            jobs.append((row.payload_key, str(snaps.path(where.file)), where.offset, row.url, max_bytes))
        changed = failed = 0
        extractions = Extractions(workers if len(jobs) >= 8 else 1)
        try:
            for job in jobs:
                extractions.add(job)
            # each site finalised as soon as its last text is in, the others still extracting
            early = EarlyFinish(store, extractions.pool)
            with store.batch(commit_every) as batch:  # a kill redoes one batch
                early.expect([job[0] for job in jobs])
                for key, extracted, error in extractions.results(wait=True):
                    if error:
                        failed += 1
                        logger.error("reextract: payload %s: %s; its text is left as it was", key, error)
                    else:
                        changed += store.fetches.replace_text(key, extracted)
                    early.arrived(key)
                    batch.done()
                figures = early.finish(workers)
        finally:
            extractions.close()
        return {"payloads": len(jobs), "texts_changed": changed, "failed": failed, **figures}
    finally:
        store.close()
