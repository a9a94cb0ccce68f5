"""The cache of change measures (:func:`pipelines.changes.measure.compare` of two texts: texts never
change under a hash). A new table name when compare() changes what it measures; the older table is
dropped by the schema."""

from __future__ import annotations

import json

from pipelines.corpus.db import Repository


class Measures(Repository):
    def get(self, old_hash: str, new_hash: str) -> dict | None:
        row = self.db.execute("SELECT measures FROM change_measures_v2 WHERE old_hash=? AND new_hash=?",
                              (old_hash, new_hash)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, rows: list[tuple[str, str, dict]]) -> None:
        with self.transaction():
            self.db.executemany("INSERT OR REPLACE INTO change_measures_v2 VALUES (?,?,?)",
                                [(a, b, json.dumps(m)) for a, b, m in rows])

    def pairs(self) -> set[tuple[str, str]]:
        return set(self.db.execute("SELECT old_hash, new_hash FROM change_measures_v2"))
