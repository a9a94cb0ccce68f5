"""The change logs: OUT/changes.csv and OUT/changes.jsonl, one row per change."""

from __future__ import annotations

import contextlib
import csv
import json
from pathlib import Path

from pipelines.changes.history import Change
from pipelines.files import atomic_open

CSV_FIELDS = ["site", "url", "previous_timestamp", "timestamp", "changed_after", "changed_by",
              "similarity", "words_added", "words_removed", "sections_changed", "kind", "score",
              "topics", "moved_paragraphs", "extractor_changed", "source"]


class ChangeLogs:
    """OUT/changes.csv and OUT/changes.jsonl written row by row (``with ChangeLogs(out) as logs:
    logs.add(change)``); both appear whole when the block ends, the old ones stay if it raises."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self.rows = 0

    def __enter__(self) -> "ChangeLogs":
        self._stack = contextlib.ExitStack()
        csv_file = self._stack.enter_context(atomic_open(self.out / "changes.csv"))
        self._jsonl = self._stack.enter_context(atomic_open(self.out / "changes.jsonl"))
        self._csv = csv.DictWriter(csv_file, fieldnames=CSV_FIELDS, lineterminator="\n")
        self._csv.writeheader()
        return self

    def add(self, change: Change) -> None:
        self._csv.writerow(change.row())
        self._jsonl.write(json.dumps(change.as_dict(), ensure_ascii=False) + "\n")
        self.rows += 1

    def __exit__(self, *exc) -> bool:
        return self._stack.__exit__(*exc)
