"""The change logs: OUT/changes.csv and OUT/changes.jsonl, one row per change."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from pathlib import Path
from typing import Iterable

from pipelines.changes.history import Change, all_changes
from pipelines.files import atomic_write

CSV_FIELDS = ["site", "url", "previous_timestamp", "timestamp", "changed_after", "changed_by",
              "similarity", "words_added", "words_removed", "sections_changed", "kind", "score",
              "topics", "moved_paragraphs", "extractor_changed", "source"]


def write_change_logs(store, changes: Iterable[Change] | None = None) -> int:
    """Write OUT/changes.csv and OUT/changes.jsonl (atomically); returns the number of rows."""
    rows = list(changes if changes is not None else all_changes(store))
    rows.sort(key=lambda c: (c.site, c.timestamp))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    for c in rows:
        w.writerow(c.row())
    atomic_write(Path(store.out) / "changes.csv", buf.getvalue())
    atomic_write(Path(store.out) / "changes.jsonl",
                 "".join(json.dumps(asdict(c), ensure_ascii=False) + "\n" for c in rows))
    return len(rows)
