"""Fetches (what fetching each distinct payload gave), the texts extracted from them (stored once
under their identity hash), and the snapshot index (where each payload's WARC record is)."""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from typing import Iterable

from pipelines.captures import Outcome
from pipelines.corpus.db import Repository
from pipelines.items import ExtractedText, Fetch, SnapshotKind, SnapshotRef


@dataclass(frozen=True)
class SnapshotRow:
    """One payload's record in OUT/snapshots/."""

    payload_key: str
    file: str
    offset: int
    length: int | None
    kind: str  # SnapshotKind
    url: str
    timestamp: str
    digest: str | None


class Fetches(Repository):
    def record(self, fetch: Fetch) -> None:
        """Store the outcome of one payload fetch (its text, and where its snapshot is) in one
        transaction."""
        f = fetch
        with self.transaction():
            if f.snapshot is not None:
                self.db.execute("INSERT OR REPLACE INTO snapshots VALUES (?,?,?,?,?,?,?,?)",
                                (f.payload_key, f.snapshot.file, f.snapshot.offset, f.snapshot.length,
                                 f.snapshot_kind, f.url, f.timestamp, f.digest))
            if f.extracted is not None and f.extracted.has_text:
                self._add_text(f.extracted)
            self.db.execute(
                "INSERT OR REPLACE INTO fetches VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (f.payload_key, f.timestamp, f.url, f.status, f.digest, f.outcome, f.http_status,
                 f.location, f.location_timestamp, f.text_hash, f.reason,
                 None if f.digest_ok is None else int(f.digest_ok), f.size, time.time(), f.archive))
            self.mark_dirty(*f.sites)

    def _add_text(self, extracted: ExtractedText) -> None:
        """An extracted text, stored once under its identity hash (zlib-compressed markdown). A
        hash stored already is not compressed again only to be ignored: many payloads share a
        text (HTML-only changes, URL spellings), and a reextract mostly finds the texts it had."""
        if self.db.execute("SELECT 1 FROM texts WHERE text_hash=?", (extracted.text_hash,)).fetchone():
            return
        self.db.execute("INSERT OR IGNORE INTO texts VALUES (?,?,?,?,?,?,?)",
                        (extracted.text_hash, extracted.title,
                         zlib.compress(extracted.markdown.encode("utf-8"), 6), extracted.words,
                         extracted.language, extracted.encoding, extracted.extractor))

    def replace_text(self, payload_key: str, extracted: ExtractedText) -> bool:
        """A payload's text from a new extraction (reextract); True when its text changed."""
        old = self.db.execute("SELECT text_hash FROM fetches WHERE payload_key=?", (payload_key,)).fetchone()
        new_hash = extracted.text_hash if extracted.has_text else None
        if old is None or old[0] == new_hash:
            return False
        with self.transaction():
            if new_hash:
                self._add_text(extracted)
            self.db.execute("UPDATE fetches SET outcome=?, text_hash=?, reason=? WHERE payload_key=?",
                            (Outcome.TEXT if new_hash else Outcome.NO_TEXT, new_hash,
                             None if new_hash else extracted.reason, payload_key))
            self.db.execute("INSERT OR IGNORE INTO dirty_sites SELECT DISTINCT site FROM captures "
                            "WHERE payload_key=?", (payload_key,))
        return True

    def per_archive(self) -> dict[str, tuple[int, int]]:
        """archive -> (payloads it served, of which with a text)."""
        return {r[0] or "": (r[1], r[2]) for r in self.db.execute(
            "SELECT archive, count(*), sum(outcome = 'text') FROM fetches GROUP BY archive")}

    def fetched_keys(self, keys: Iterable[str]) -> set[str]:
        keys = list(keys)
        found: set[str] = set()
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            q = ",".join("?" * len(chunk))
            found.update(r[0] for r in self.db.execute(
                f"SELECT payload_key FROM fetches WHERE payload_key IN ({q})", chunk))
        return found

    def outcome(self, payload_key: str) -> Outcome | None:
        row = self.db.execute("SELECT outcome FROM fetches WHERE payload_key=?", (payload_key,)).fetchone()
        return Outcome(row[0]) if row else None

    def payload_keys(self) -> list[str]:
        """Every payload fetched (distributed crawls seed their 'fetched' set with it)."""
        return [r[0] for r in self.db.execute("SELECT payload_key FROM fetches")]

    def text(self, text_hash: str) -> str:
        row = self.db.execute("SELECT markdown FROM texts WHERE text_hash=?", (text_hash,)).fetchone()
        if row is None:
            raise KeyError(text_hash)
        return zlib.decompress(row[0]).decode("utf-8")

    def text_figures(self, text_hash: str) -> tuple[int | None, str | None]:
        """(words, language) of a stored text."""
        return self.db.execute("SELECT words, language FROM texts WHERE text_hash=?",
                               (text_hash,)).fetchone()

    # -- the snapshot index ----------------------------------------------------------------
    def snapshot_of_digest(self, digest: str) -> tuple[str, str] | None:
        """(url, timestamp) of a response record already kept with this payload digest."""
        row = self.db.execute("SELECT url, timestamp FROM snapshots WHERE digest=? AND kind=? "
                              "ORDER BY timestamp LIMIT 1", (digest, SnapshotKind.RESPONSE)).fetchone()
        return (row[0], row[1]) if row else None

    def snapshot_of_key(self, payload_key: str) -> tuple[SnapshotRef, str] | None:
        """(where, kind) of the record a payload is kept in, if it is."""
        row = self.db.execute("SELECT file, offset, length, kind FROM snapshots WHERE payload_key=?",
                              (payload_key,)).fetchone()
        return (SnapshotRef(row[0], row[1], row[2]), row[3]) if row else None

    def snapshot_rows(self, site: str | None = None) -> list[SnapshotRow]:
        """The kept payloads (of one site's captures), in file order."""
        if site:
            rows = self.db.execute(
                "SELECT s.* FROM snapshots s WHERE s.payload_key IN (SELECT payload_key FROM captures "
                "WHERE site=?) ORDER BY s.file, s.offset", (site,))
        else:
            rows = self.db.execute("SELECT * FROM snapshots ORDER BY file, offset")
        return [SnapshotRow(*r) for r in rows]
