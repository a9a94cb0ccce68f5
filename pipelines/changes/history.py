"""A site's changes: for each pair of successive versions, the bracket in which the change
happened (the last capture with the old text, the first with the new) and its measures
(:func:`pipelines.changes.measure.compare`, cached in the corpus); which version was in force at a
given time."""

from __future__ import annotations

import bisect
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, fields
from typing import Iterator

from pipelines.captures import TextEnum
from pipelines.changes.measure import Kind, compare
from pipelines.corpus.versions import Version
from pipelines.workers import worker_setup


class Source(TextEnum):
    ARCHIVE = "archive"
    LIVE = "live"


@dataclass
class Change:
    site: str
    url: str
    previous_timestamp: str
    timestamp: str
    changed_after: str
    changed_by: str
    similarity: float
    words_added: int
    words_removed: int
    sections_changed: int
    kind: Kind
    score: float
    topics: list[str] = field(default_factory=list)
    moved_paragraphs: int = 0
    extractor_changed: bool = False
    source: Source = Source.ARCHIVE  # LIVE: the new version is a live check (palimpsest watch)

    def __post_init__(self):
        self.kind = Kind(self.kind)  # measures come back from the cache as JSON strings
        self.source = Source(self.source)

    def as_dict(self) -> dict:
        """Its fields by name (dataclasses.asdict's answer, without its deep copy: the fields are
        scalars and one list of strings)."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["topics"] = list(self.topics)
        return d

    def row(self) -> dict:
        """The change log's CSV row: topics joined by ``;``."""
        d = self.as_dict()
        d["topics"] = ";".join(self.topics)
        return d


def measure(store, old_hash: str, new_hash: str) -> dict:
    """compare() of two stored texts, cached in the index (texts never change under a hash)."""
    cached = store.measures.get(old_hash, new_hash)
    if cached is not None:
        return cached
    result = compare(store.text(old_hash), store.text(new_hash))
    store.measures.put([(old_hash, new_hash, result)])
    return result


SITES_PER_QUERY = 500  # under SQLite's limit of bound parameters; a batch of the end step


def unmeasured_pairs(store, sites: list[str]) -> list[tuple[str, str]]:
    """The pairs of successive versions of these sites not measured yet."""
    found: set[tuple[str, str]] = set()
    for i in range(0, len(sites), SITES_PER_QUERY):
        found.update(store.measures.unmeasured(sites[i:i + SITES_PER_QUERY]))
    return sorted(found)


def compare_pairs(texts: list[tuple[str, str]]) -> list[dict]:
    """compare() of each (old text, new text): a task for a worker process."""
    return [compare(a, b) for a, b in texts]


def precompute_measures(store, workers: int | None = None) -> int:
    """Measure, in a process pool, every pair of successive versions not measured yet: a batch
    of sites at a time, so that memory does not grow with the corpus."""
    sites = store.versions.sites()
    if (workers or os.cpu_count() or 1) < 2:
        return 0  # measured one by one as needed
    pool, done = None, 0
    try:
        for i in range(0, len(sites), SITES_PER_QUERY):
            todo = unmeasured_pairs(store, sites[i:i + SITES_PER_QUERY])
            if not todo or (pool is None and len(todo) < 20 and i + SITES_PER_QUERY >= len(sites)):
                continue  # a few: measured one by one as needed
            if pool is None:
                pool = ProcessPoolExecutor(max_workers=workers, initializer=worker_setup)
            texts = [(store.text(a), store.text(b)) for a, b in todo]
            batches = pool.map(compare_pairs, [texts[j:j + 8] for j in range(0, len(texts), 8)])
            results = [m for batch in batches for m in batch]
            store.measures.put([(a, b, m) for (a, b), m in zip(todo, results)])
            done += len(todo)
    finally:
        if pool is not None:
            pool.shutdown()
    return done


def site_changes(store, site: str) -> list[Change]:
    """Every change between successive versions of a site, from the corpus index."""
    timeline = [t for t, _, _ in store.captures.timeline(site)]
    versions = store.versions.of(site)
    out: list[Change] = []
    for old, new in zip(versions, versions[1:]):
        i = bisect.bisect_left(timeline, new.timestamp)
        changed_after = timeline[i - 1] if i > 0 else old.timestamp
        out.append(Change(site=site, url=new.url, previous_timestamp=old.timestamp,
                          timestamp=new.timestamp, changed_after=changed_after,
                          changed_by=new.timestamp, extractor_changed=old.extractor != new.extractor,
                          source=Source.LIVE if store.live.capture(site, new.timestamp)
                          else Source.ARCHIVE,
                          **measure(store, old.text_hash, new.text_hash)))
    return out


def iter_changes(store) -> Iterator[Change]:
    """Every change of the corpus, site by site (sites in order, each site's by time): one
    site's versions in memory at a time."""
    for site in store.versions.sites():
        yield from site_changes(store, site)


def all_changes(store) -> list[Change]:
    return list(iter_changes(store))


def version_in_force(versions: list[Version], ts: str) -> Version | None:
    """The version in force at ``ts`` (YYYY[MM[DD[hhmmss]]]): the last one at or before it."""
    bound = ts.ljust(14, "9")
    older = [v for v in versions if v.timestamp <= bound]
    return older[-1] if older else None
