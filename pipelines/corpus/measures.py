"""Caches of what is computed from texts, which never change under a hash: the change measures
(:func:`pipelines.changes.measure.compare` of two texts) and each text's analysis figures
(:mod:`pipelines.analysis.figures`: words, readability, hashes, terms). A new table name when
what is measured changes; the older table is dropped by the schema."""

from __future__ import annotations

import json

from pipelines.corpus.db import Repository


class Measures(Repository):
    def get(self, old_hash: str, new_hash: str) -> dict | None:
        row = self.db.execute("SELECT measures FROM change_measures_v3 WHERE old_hash=? AND new_hash=?",
                              (old_hash, new_hash)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, rows: list[tuple[str, str, dict]]) -> None:
        with self.transaction():
            self.db.executemany("INSERT OR REPLACE INTO change_measures_v3 VALUES (?,?,?)",
                                [(a, b, json.dumps(m)) for a, b, m in rows])

    def unmeasured(self, sites: list[str]) -> list[tuple[str, str]]:
        """The (old, new) text hashes of these sites' successive versions with no measures yet,
        each pair once, in order."""
        if not sites:
            return []
        marks = ",".join("?" * len(sites))
        return self.db.execute(
            "SELECT DISTINCT old_hash, new_hash FROM (SELECT LAG(text_hash) OVER "
            f"(PARTITION BY site ORDER BY timestamp) AS old_hash, text_hash AS new_hash FROM versions "
            f"WHERE site IN ({marks})) AS p WHERE old_hash IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
            "change_measures_v3 m WHERE m.old_hash = p.old_hash AND m.new_hash = p.new_hash) "
            "ORDER BY old_hash, new_hash", list(sites)).fetchall()


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
