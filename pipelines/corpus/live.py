"""Live checks (``palimpsest watch``): where each seed's live policy is now, its validators for
conditional requests, and the live captures with whether the Wayback Machine saved them."""

from __future__ import annotations

from datetime import timedelta

from pipelines.captures import CdxRecord, Outcome, format_timestamp, parse_timestamp, surt_key
from pipelines.corpus.captures import Captures
from pipelines.corpus.db import Repository
from pipelines.corpus.fetches import Fetches
from pipelines.items import ExtractedText, Fetch

LIVE_SEEN = "live-seen"  # digest of a 'last seen unchanged' capture (it shares a version's text)


LIVE = "live"  # the archive id of live checks' captures (palimpsest watch)


class Live(Repository):
    def __init__(self, db, captures: Captures, fetches: Fetches):
        super().__init__(db)
        self.captures = captures
        self.fetches = fetches

    def url(self, site: str, seed_url: str) -> str:
        """Where a seed's live policy is now (it may have moved)."""
        row = self.db.execute("SELECT url FROM live WHERE site=? AND seed_url=?", (site, seed_url)).fetchone()
        return row[0] if row else seed_url

    def validators(self, site: str, url: str) -> tuple[str | None, str | None]:
        row = self.db.execute("SELECT etag, last_modified FROM live WHERE site=? AND url=?",
                              (site, url)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def set_validators(self, site: str, seed_url: str, url: str, etag: str | None,
                       last_modified: str | None) -> None:
        """The validators of a seed's live page (for conditional requests) and where it is now."""
        with self.transaction():
            self.db.execute("INSERT OR REPLACE INTO live VALUES (?,?,?,?,?)",
                            (site, seed_url, url, etag, last_modified))

    def next_timestamp(self, site: str, now: str) -> str:
        """``now``, or one second after the site's latest capture (two checks in one second)."""
        row = self.db.execute("SELECT max(timestamp) FROM captures WHERE site=?", (site,)).fetchone()
        if row and row[0] and row[0] >= now:
            return format_timestamp(parse_timestamp(row[0]) + timedelta(seconds=1))
        return now

    def latest_text_hash(self, site: str) -> str | None:
        row = self.db.execute(
            "SELECT f.text_hash FROM captures c JOIN fetches f ON f.payload_key = c.payload_key "
            "WHERE c.site=? AND f.outcome=? ORDER BY c.timestamp DESC LIMIT 1",
            (site, Outcome.TEXT)).fetchone()
        return row[0] if row else None

    def seen(self, site: str, url: str, ts: str) -> None:
        """The live text is unchanged at ``ts``: the site's one 'last seen' capture moves here."""
        row = self.db.execute(
            "SELECT c.payload_key, c.timestamp FROM captures c JOIN fetches f ON f.payload_key = "
            "c.payload_key WHERE c.site=? AND f.outcome=? AND c.digest != ? "
            "ORDER BY c.timestamp DESC LIMIT 1", (site, Outcome.TEXT, LIVE_SEEN)).fetchone()
        if row is None:
            return
        key, since = row
        with self.transaction():
            self.db.execute("DELETE FROM captures WHERE site=? AND digest=? AND timestamp > ?",
                            (site, LIVE_SEEN, since))
            self.db.execute("INSERT OR IGNORE INTO captures VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                            (site, ts, url, url, surt_key(url), "text/html", 200, LIVE_SEEN,
                             None, key, LIVE, None))
            self.mark_dirty(site)

    def add_version(self, site: str, seed_url: str, url: str, ts: str, digest: str,
                    extracted: ExtractedText, saved_ts: str | None, save_error: str | None) -> None:
        """A changed live text: a capture, its text, and whether the Wayback Machine saved it."""
        key = f"live:{digest}:{surt_key(url)}"
        rec = CdxRecord(surt_key(url), ts, url, "text/html", 200, digest, None, LIVE)
        with self.transaction():
            self.db.execute("INSERT OR IGNORE INTO urls (site, url, hops) VALUES (?,?,0)", (site, url))
            self.captures.add(site, url, [(rec, key)])
            if not self.fetches.fetched_keys([key]):
                self.fetches.record(Fetch(key, ts, url, 200, digest, Outcome.TEXT, http_status=200,
                                          text_hash=extracted.text_hash, extracted=extracted,
                                          sites=(site,), reason="live check"))
            self.db.execute("INSERT OR REPLACE INTO live_captures VALUES (?,?,?,?,?)",
                            (site, ts, url, saved_ts, save_error))
            self.db.execute("INSERT INTO live (site, seed_url, url) VALUES (?,?,?) ON CONFLICT "
                            "(site, seed_url) DO UPDATE SET url=excluded.url", (site, seed_url, url))

    def pending_saves(self) -> list[tuple[str, str, str]]:
        return list(self.db.execute("SELECT site, timestamp, url FROM live_captures WHERE "
                                    "saved_timestamp IS NULL ORDER BY timestamp"))

    def saved(self, site: str, ts: str, saved_ts: str) -> None:
        with self.transaction():
            self.db.execute("UPDATE live_captures SET saved_timestamp=?, save_error=NULL WHERE site=? "
                            "AND timestamp=?", (saved_ts, site, ts))
            self.mark_dirty(site)

    def capture(self, site: str, ts: str) -> tuple[str, str | None] | None:
        """(url, saved timestamp or None) when the capture at ``ts`` was a live check."""
        row = self.db.execute("SELECT url, saved_timestamp FROM live_captures WHERE site=? AND "
                              "timestamp=?", (site, ts)).fetchone()
        return (row[0], row[1]) if row else None
