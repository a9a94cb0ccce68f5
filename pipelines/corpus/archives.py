"""The archives a corpus's captures come from: how each one is named in a version's header and
where its captures are linked. A crawl records its archives (in the order given: the first is
the crawl's own, whose slots the coverage figures compare against); versions are rendered from
these rows, so reextract and later runs link each capture where it lives without the crawl's
options."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.captures import capture_link
from pipelines.corpus.db import Repository
from pipelines.seedformat import WAYBACK_PHRASE


@dataclass(frozen=True)
class ArchiveRow:
    archive: str  # the id captures carry ('ia', 'arquivo', 'cc', a collection URL...)
    label: str  # for people: 'Internet Archive', 'Arquivo.pt'
    phrase: str  # the header's link text: 'original snapshot on Arquivo.pt'
    link: str | None  # capture link template (pipelines.captures.capture_link); None = Wayback
    rank: int  # the order the crawl named it; 0 = the crawl's first archive


class Archives(Repository):
    def __init__(self, db):
        super().__init__(db)
        self._rows: dict[str, ArchiveRow] | None = None

    def record(self, rows: list[ArchiveRow]) -> None:
        """A crawl's archives: their names, links and order (the latest crawl's order wins;
        an archive a crawl did not name keeps its row after them)."""
        with self.transaction():
            self.db.execute("UPDATE archives SET rank = rank + 1000")
            for r in rows:
                self.db.execute("INSERT OR REPLACE INTO archives VALUES (?,?,?,?,?)",
                                (r.archive, r.label, r.phrase, r.link, r.rank))
        self._rows = None

    def rows(self) -> list[ArchiveRow]:
        if self._rows is None:
            self._rows = {r[0]: ArchiveRow(*r) for r in self.db.execute(
                "SELECT archive, label, phrase, link, rank FROM archives ORDER BY rank")}
        return list(self._rows.values())

    def get(self, archive: str) -> ArchiveRow | None:
        self.rows()
        return (self._rows or {}).get(archive)

    def first(self) -> str | None:
        rows = self.rows()
        return rows[0].archive if rows else None

    def where(self, archive: str, timestamp: str, url: str, locator: str | None = None
              ) -> tuple[str, str]:
        """(the header's link text, the link) of one capture: the Wayback sentence and link for
        the Internet Archive and for captures of no recorded archive (ingested files)."""
        row = self.get(archive)
        if row is None or not row.link:
            return WAYBACK_PHRASE, capture_link(None, timestamp, url)
        return row.phrase, capture_link(row.link, timestamp, url, locator)
