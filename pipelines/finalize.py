"""The one end-of-run step, shared by crawl, reextract and ingest: versions are derived from the
index, then the change measures, the change logs (CSV, JSONL) and the Atom feeds."""

from __future__ import annotations

from pathlib import Path


def finalize(store, workers: int | None = None) -> dict:
    """Bring OUT's derived files up to date with the index; returns figures for the summary."""
    from pipelines.changes import all_changes, precompute_measures, write_change_logs
    from pipelines.feeds import write_feeds

    written, removed = store.build_all_dirty()
    precompute_measures(store, workers)
    changes = all_changes(store)
    n = write_change_logs(store, changes)
    write_feeds(Path(store.out), changes, store.sites_with_versions())
    return {"versions_written": written, "versions_removed": removed, "changes": n}
