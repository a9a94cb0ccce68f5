"""The one end-of-run step, shared by crawl, reextract, ingest and watch: versions are derived
from the index, then the change measures, the change logs (CSV, JSONL) and the Atom feeds."""

from __future__ import annotations

from pipelines.changes.history import all_changes, precompute_measures
from pipelines.corpus.store import CorpusStore
from pipelines.publish.changelogs import write_change_logs
from pipelines.publish.feeds import write_feeds


def finalize(store: CorpusStore, workers: int | None = None) -> dict:
    """Bring OUT's derived files up to date with the index; returns figures for the summary."""
    written, removed = store.versions.build_dirty()
    precompute_measures(store, workers)
    changes = all_changes(store)
    n = write_change_logs(store, changes)
    write_feeds(store.out, changes, store.versions.sites())
    return {"versions_written": written, "versions_removed": removed, "changes": n}
