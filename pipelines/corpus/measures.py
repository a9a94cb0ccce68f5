"""Caches of what is computed from texts, which never change under a hash: the change measures
(:func:`pipelines.changes.measure.compare` of two texts) and each text's analysis figures
(:mod:`pipelines.analysis.figures`: words, readability, hashes, terms). A new table name when
what is measured changes; the older table is dropped by the schema."""

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


class TextFigures(Repository):
    """Each text's analysis figures (JSON), by text hash."""

    def get_many(self, hashes) -> dict[str, dict]:
        found: dict[str, dict] = {}
        hashes = list(hashes)
        for i in range(0, len(hashes), 500):
            chunk = hashes[i:i + 500]
            rows = self.db.execute("SELECT text_hash, figures FROM text_figures_v1 WHERE text_hash IN "
                                   f"({','.join('?' * len(chunk))})", chunk)
            found.update((h, json.loads(f)) for h, f in rows)
        return found

    def put(self, rows: list[tuple[str, dict]]) -> None:
        with self.transaction():
            self.db.executemany("INSERT OR REPLACE INTO text_figures_v1 VALUES (?,?)",
                                [(h, json.dumps(f)) for h, f in rows])
