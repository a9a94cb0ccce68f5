"""Versions: the version files in OUT/policies/ derived from the index, and their rows.

A capture starts a new version when its text differs from the previous capture's text. Files and
rows are reconciled with what the index says, so a killed run is completed by the next one."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipelines.captures import capture_link
from pipelines.corpus.archives import Archives
from pipelines.corpus.captures import Captures
from pipelines.corpus.db import Repository
from pipelines.corpus.fetches import Fetches
from pipelines.corpus.live import Live
from pipelines.files import atomic_write
from pipelines.seedformat import render_document, version_path


@dataclass(frozen=True)
class Version:
    """One version of a site's policy: the capture that began it and its text."""

    site: str
    timestamp: str
    url: str
    text_hash: str
    words: int | None
    language: str | None
    extractor: str | None
    archive: str | None = None  # where the capture that began it lives
    link: str | None = None  # that capture's link (the header's); None: the Wayback link

    @property
    def snapshot_link(self) -> str:
        return self.link or capture_link(None, self.timestamp, self.url)


class Versions(Repository):
    def __init__(self, db, out: Path, captures: Captures, fetches: Fetches, live: Live,
                 archives: Archives):
        super().__init__(db)
        self.archives = archives
        self.out = out
        self.captures = captures
        self.fetches = fetches
        self.live = live

    def dirty_sites(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT site FROM dirty_sites ORDER BY site")]

    def build_dirty(self) -> tuple[int, int]:
        """Every site whose index changed: see :meth:`build`."""
        return self.build(self.dirty_sites())

    def build(self, sites: list[str]) -> tuple[int, int]:
        """These sites' version files written, made durable with one sync (not one fsync per
        file on the crawl's thread), then recorded in the index with the sites' dirty marks
        cleared. A crash before the sync leaves the sites dirty: rebuilt. Returns (files
        written, files removed)."""
        rows: list = []
        total_w = total_r = 0
        for site in sites:
            site_rows, w, r = self._write(site)
            rows += site_rows
            total_w += w
            total_r += r
        if total_w:
            os.sync()
        self._record(sites, rows)
        return total_w, total_r

    def _write(self, site: str) -> tuple[list, int, int]:
        """The version files of one site brought in line with its timeline; returns the index
        rows to record (("put", row) / ("delete", site, timestamp)), files written, removed."""
        wanted: dict[str, tuple[str, str, str, str | None]] = {}
        previous = None  # the text of the last version before the current second
        current = None  # the text the current second ends with
        last_ts = last_key = None
        for timestamp, url, thash, archive, locator in self.captures.placed_timeline(site):
            if (timestamp, url, thash) == last_key:
                continue  # the same capture in another archive: the first-named one links it
            last_key = (timestamp, url, thash)
            if timestamp != last_ts:
                previous, last_ts = current, timestamp
            # One version file per second: two captures of one second with different texts (two
            # digests of one timestamp) leave the second's last text, when it is new.
            if thash != previous:
                wanted[timestamp] = (url, thash, archive, locator)
            else:
                wanted.pop(timestamp, None)
            current = thash
        have = {ts: (url, th, link, path) for ts, url, th, link, path in self.db.execute(
            "SELECT timestamp, url, text_hash, link, path FROM versions WHERE site=?", (site,))}
        rows: list = []
        written = removed = 0
        out = self.out.resolve()
        for ts, (url, thash, archive, locator) in wanted.items():
            path = version_path(self.out, site, ts)
            rel = str(path.relative_to(out))
            live = self.live.capture(site, ts)
            phrase, link = self.archives.where(archive, ts, url, locator)
            if (have.get(ts, (None,) * 4)[:3] == (url, thash, link) and path.exists()
                    and live is None):
                continue
            document = render_document(site, ts, url, self.fetches.text(thash), live=live,
                                       where=(phrase, link))
            if live is not None and path.exists() and path.read_text(encoding="utf-8") == document:
                continue
            atomic_write(path, document, durable=False)
            words, language = self.fetches.text_figures(thash)
            rows.append(("put", (site, ts, url, thash, words, language, rel, archive, link)))
            written += 1
        for ts in set(have) - set(wanted):
            (self.out / have[ts][3]).unlink(missing_ok=True)
            rows.append(("delete", site, ts))
            removed += 1
        return rows, written, removed

    def _record(self, sites: list[str], rows: list) -> None:
        with self.transaction():
            for op in rows:
                if op[0] == "put":
                    self.db.execute("INSERT OR REPLACE INTO versions VALUES (?,?,?,?,?,?,?,?,?)", op[1])
                else:
                    self.db.execute("DELETE FROM versions WHERE site=? AND timestamp=?", op[1:])
            self.db.executemany("DELETE FROM dirty_sites WHERE site=?", [(s,) for s in sites])

    def of(self, site: str | None = None) -> list[Version]:
        """Versions (of one site, or all by time then site), with their text's extractor."""
        sql = ("SELECT v.site, v.timestamp, v.url, v.text_hash, v.words, v.language, t.extractor, "
               "v.archive, v.link FROM versions v JOIN texts t ON t.text_hash = v.text_hash")
        if site is not None:
            return [Version(*r) for r in self.db.execute(sql + " WHERE v.site=? ORDER BY v.timestamp",
                                                          (site,))]
        return [Version(*r) for r in self.db.execute(sql + " ORDER BY v.timestamp, v.site")]

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM versions").fetchone()[0]

    def sites(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT site FROM versions ORDER BY site")]
