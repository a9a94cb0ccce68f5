"""The one end-of-run step, shared by crawl, reextract, ingest and watch: versions are derived
from the index, then the change measures, the change logs (CSV, JSONL) and the Atom feeds.

:class:`EarlyFinish` begins that step while texts are still being extracted (ingest, reextract):
a site whose texts are all in is finalised at once, its change measures computed in the worker
pool beside the extractions still running, so that little is left for the end."""

from __future__ import annotations

import logging
import os
from collections import Counter

from pipelines.changes.history import compare_pairs, precompute_measures, site_changes, unmeasured_pairs
from pipelines.corpus.store import CorpusStore
from pipelines.publish.changelogs import ChangeLogs
from pipelines.publish.feeds import write_site_feed

logger = logging.getLogger(__name__)


def finalize(store: CorpusStore, workers: int | None = None) -> dict:
    """Bring OUT's derived files up to date with the index; returns figures for the summary."""
    written, removed = store.versions.build_dirty()
    precompute_measures(store, workers)
    return {"versions_written": written, "versions_removed": removed,
            "changes": publish_changes(store)}


def publish_changes(store: CorpusStore) -> int:
    """The change logs and every site's feed, one site's changes in memory at a time; returns
    the number of changes."""
    feeds = 0
    with ChangeLogs(store.out) as logs:
        for site in store.versions.sites():
            changes = site_changes(store, site)
            for change in changes:
                logs.add(change)
            first = None if changes else next(iter(store.versions.of(site)), None)
            feeds += write_site_feed(store.out, site, changes, first.timestamp if first else None)
    if feeds:
        os.sync()  # one sync for all the feeds written
    return logs.rows


class EarlyFinish:
    """The end of a run begun before the last text is in. :meth:`expect` names the payloads
    still being extracted; every site none of them belongs to is complete, and each site is
    complete when the last of its payloads :meth:`arrived`. A complete site gets its version
    files (in batches: one sync per batch) and its unmeasured version pairs go to ``pool`` (the
    extraction pool). :meth:`finish` does what is left with :func:`finalize`: the sites still
    dirty, the measures not computed, the change logs and feeds that every site's changes make.
    A crash at any point leaves the unfinished sites dirty in the index: the next run builds them."""

    BATCH = 25  # complete sites built together

    def __init__(self, store: CorpusStore, pool=None):
        self.store, self.pool = store, pool
        self.sites_of: dict[str, set[str]] = {}
        self.waiting: Counter = Counter()
        self.ready: list[str] = []
        self.measuring: list = []  # (pairs, future)
        self.written = self.removed = 0

    def expect(self, payload_keys) -> None:
        self.sites_of = self.store.captures.sites_of_keys(payload_keys)
        for sites in self.sites_of.values():
            self.waiting.update(sites)
        self.ready += [s for s in self.store.versions.dirty_sites() if not self.waiting[s]]
        self.flush()

    def arrived(self, payload_key: str) -> None:
        for site in self.sites_of.pop(payload_key, ()):
            self.waiting[site] -= 1
            if not self.waiting[site]:
                self.ready.append(site)
        if len(self.ready) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.ready:
            return
        sites, self.ready = sorted(set(self.ready)), []
        written, removed = self.store.versions.build(sites)
        self.written += written
        self.removed += removed
        if self.pool is not None:
            todo = unmeasured_pairs(self.store, sites)
            if todo:
                texts = [(self.store.text(a), self.store.text(b)) for a, b in todo]
                self.measuring.append((todo, self.pool.submit(compare_pairs, texts)))

    def finish(self, workers: int | None = None) -> dict:
        self.flush()
        for todo, future in self.measuring:
            try:
                self.store.measures.put([(a, b, m) for (a, b), m in zip(todo, future.result())])
            except Exception as exc:  # measured again below, one by one if need be
                logger.warning("change measures of %d version pairs failed in a worker (%s); "
                               "measured again", len(todo), exc)
        figures = finalize(self.store, workers)
        figures["versions_written"] += self.written
        figures["versions_removed"] += self.removed
        return figures
