"""The corpus of one output folder: a SQLite index of everything seen plus the version files.

Layout of OUT::

    OUT/corpus.sqlite                       seeds, urls, captures, fetches, texts, snapshots,
                                            versions, live checks, change measures, errors
    OUT/policies/<site>/<timestamp>.md      one file per distinct text version

:class:`CorpusStore` opens the index and hands out one repository per concern (the only SQL of the
project is in them): ``sites``, ``archives``, ``captures``, ``fetches`` (with texts and the snapshot index),
``live``, ``versions`` and ``measures``. Every write is crash-safe: WAL mode with one transaction
per unit of work, version files written to a temporary name and renamed.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.corpus import schema
from pipelines.corpus.archives import Archives
from pipelines.corpus.captures import Captures
from pipelines.corpus.db import Batch, Transaction, connect
from pipelines.corpus.fetches import Fetches
from pipelines.corpus.live import Live
from pipelines.corpus.measures import Measures, TextFigures
from pipelines.corpus.sites import Sites
from pipelines.corpus.versions import Versions


class CorpusStore:
    """The SQLite index and version files of one output folder."""

    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "policies").mkdir(exist_ok=True)
        self.db = connect(self.out / "corpus.sqlite")
        schema.create(self.db)
        for tmp in (self.out / "policies").glob("*/.tmp-*"):  # left by a killed write
            tmp.unlink(missing_ok=True)
        self.sites = Sites(self.db)
        self.archives = Archives(self.db)
        self.captures = Captures(self.db)
        self.fetches = Fetches(self.db)
        self.live = Live(self.db, self.captures, self.fetches)
        self.versions = Versions(self.db, self.out, self.captures, self.fetches, self.live,
                                 self.archives)
        self.measures = Measures(self.db)
        self.text_figures = TextFigures(self.db)

    @classmethod
    def existing(cls, out: str | Path) -> "CorpusStore | None":
        """The corpus in ``out``, or None when it holds none (nothing is created)."""
        return cls(out) if (Path(out) / "corpus.sqlite").exists() else None

    def transaction(self) -> Transaction:
        return Transaction(self.db)

    def batch(self, size: int = 256) -> Batch:
        """Units of work committed ``size`` at a time, or each second (see
        :class:`~pipelines.corpus.db.Batch`)."""
        return Batch(self.db, size)

    def text(self, text_hash: str) -> str:
        return self.fetches.text(text_hash)

    def counts(self) -> dict[str, int]:
        q = lambda sql: self.db.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "sites": q("SELECT count(DISTINCT site) FROM seeds"),
            "captures": q("SELECT count(*) FROM captures"),
            "fetches": q("SELECT count(*) FROM fetches"),
            "texts": q("SELECT count(*) FROM texts"),
            "versions": q("SELECT count(*) FROM versions"),
            "errors": q("SELECT count(*) FROM errors"),
        }

    def close(self) -> None:
        self.db.close()
