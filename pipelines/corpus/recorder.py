"""The Recorder: what a crawl, ingest or discovery's hand-off writes to the corpus and the few reads
it needs to decide what to ask for. One process writes through :class:`Recorder` straight into a
:class:`~pipelines.corpus.store.CorpusStore`; a distributed job's workers write through
:class:`~pipelines.corpus.oplog.OpLogRecorder`, whose writes are replayed on the coordinator by a
:class:`Recorder` (the method names in :data:`WRITES` are the op log's vocabulary)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from pipelines.captures import CdxRecord
from pipelines.corpus.captures import PendingFetch
from pipelines.corpus.store import CorpusStore
from pipelines.items import Fetch
from pipelines.payloads import Planned

# The writes, the only methods an op log may name.
WRITES = frozenset({"add_seed", "add_url", "add_captures", "cdx_checked", "set_blocked",
                    "record_fetch", "log_error", "record_archives"})


class Recorder:
    def __init__(self, store: CorpusStore):
        self.store = store

    @property
    def out(self) -> Path:
        return self.store.out

    # -- writes ------------------------------------------------------------------------------
    def add_seed(self, site: str, url: str) -> None:
        self.store.sites.add_seed(site, url)

    def add_url(self, site: str, url: str, via_url: str, via_timestamp: str, hops: int) -> bool:
        return self.store.sites.add_url(site, url, via_url, via_timestamp, hops)

    def add_captures(self, site: str, query_url: str, records: list[tuple[CdxRecord, str]]) -> int:
        return self.store.captures.add(site, query_url, records)

    def cdx_checked(self, site: str, url: str, last_timestamp: str | None, archive: str = "") -> None:
        self.store.sites.cdx_checked(site, url, last_timestamp, archive)

    def set_blocked(self, site: str, url: str, message: str, archive: str = "") -> None:
        self.store.sites.set_blocked(site, url, message, archive)

    def record_archives(self, rows: list) -> None:
        """The crawl's archives (pipelines.corpus.archives.ArchiveRow), in the order given; the
        first one takes over the rows of a corpus written before archives were recorded."""
        self.store.archives.record(rows)
        if rows:
            self.store.sites.adopt_legacy(rows[0].archive)

    def record_fetch(self, fetch: Fetch) -> None:
        self.store.fetches.record(fetch)

    def log_error(self, site: str | None, url: str | None, timestamp: str | None, message: str) -> None:
        self.store.sites.log_error(site, url, timestamp, message)

    def plan_captures(self, site: str, query_url: str, records: Iterable[CdxRecord]
                      ) -> tuple[list[Planned], list[Planned]]:
        """Plan the payload keys of a CDX listing and store the captures the index does not hold
        yet; returns (every row planned, the new ones)."""
        planned, new = self.store.captures.plan_new(records, site)
        self.add_captures(site, query_url, [(p.record, p.payload_key) for p in new])
        return planned, new

    # -- reads a crawl decides on --------------------------------------------------------------
    def site_urls(self, site: str, archive: str = "") -> list[tuple[str, int, str | None]]:
        return self.store.sites.urls(site, archive)

    def blocked(self, site: str, url: str, recheck_days: float, archive: str = "") -> str | None:
        return self.store.sites.blocked(site, url, recheck_days, archive)

    def cdx_checked_since(self, site: str, url: str, since: float, archive: str = "") -> bool:
        return self.store.sites.cdx_checked_since(site, url, since, archive)

    def checked_in(self, site: str, url: str, prefix: str) -> set[str]:
        return self.store.sites.checked_in(site, url, prefix)

    def unfetched(self, site: str, query_url: str | None = None) -> list[PendingFetch]:
        return self.store.captures.unfetched(site, query_url)

    def fetched_keys(self, keys: Iterable[str]) -> set[str]:
        return self.store.fetches.fetched_keys(keys)

    def sites_of_key(self, payload_key: str) -> list[str]:
        return self.store.captures.sites_of_key(payload_key)

    def snapshot_of_digest(self, digest: str) -> tuple[str, str] | None:
        return self.store.fetches.snapshot_of_digest(digest)

    def complete_interrupted(self) -> int:
        """Version files of the sites a killed run left dirty; returns how many were written."""
        if not self.store.versions.dirty_sites():
            return 0
        return self.store.versions.build_dirty()[0]

    def counts(self) -> dict[str, int]:
        return self.store.counts()

    def archive_figures(self, first: str) -> tuple[dict, dict, dict]:
        """(archive -> (captures, sites), archive -> (payloads served, texts), coverage): the
        coverage is the half-year slots with a text capture, in ``first`` and in every archive,
        per site and in total."""
        sites = self.store.captures.coverage(first)
        coverage = {"first_archive": first,
                    "slots_first_archive": sum(a for a, _ in sites.values()),
                    "slots_all_archives": sum(b for _, b in sites.values()),
                    "sites": {s: {"first_archive": a, "all_archives": b} for s, (a, b) in sites.items()}}
        return self.store.captures.per_archive(), self.store.fetches.per_archive(), coverage

    def blocked_urls(self) -> list[tuple[str, str, str]]:
        return self.store.sites.blocked_urls()

    def close(self) -> None:
        self.store.close()
