"""The corpus: version files in the seed format plus a SQLite index of everything seen.

Layout of OUT::

    OUT/corpus.sqlite                       captures, fetches, texts, versions, urls, errors
    OUT/policies/<site>/<timestamp>.md      one file per distinct text version

Every write is crash-safe: SQLite in WAL mode with one transaction per unit of work, version
files written to a temporary name and renamed. Version files are derived from the index
(:meth:`CorpusStore.build_versions`), so a killed run is completed by the next one.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import tempfile
import time
import zlib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Iterable, Iterator

from crawler.items import LEASE_META
from crawler.wayback import CdxRecord, TextEnum, format_timestamp, parse_timestamp, surt_key
from pipelines.seedformat import IDENTITY_VERSION, render_document, text_hash, version_path

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS seeds (
    site TEXT NOT NULL, url TEXT NOT NULL, added_at REAL, PRIMARY KEY (site, url));
CREATE TABLE IF NOT EXISTS urls (
    site TEXT NOT NULL, url TEXT NOT NULL, via_url TEXT, via_timestamp TEXT, hops INTEGER DEFAULT 0,
    last_timestamp TEXT, cdx_checked_at REAL, blocked TEXT, blocked_at REAL,
    PRIMARY KEY (site, url));
CREATE TABLE IF NOT EXISTS captures (
    site TEXT NOT NULL, timestamp TEXT NOT NULL, original TEXT NOT NULL, query_url TEXT NOT NULL,
    urlkey TEXT, mimetype TEXT, status INTEGER, digest TEXT, length INTEGER,
    payload_key TEXT NOT NULL, PRIMARY KEY (site, timestamp, original, digest));
CREATE INDEX IF NOT EXISTS captures_key ON captures (payload_key);
CREATE INDEX IF NOT EXISTS captures_digest ON captures (digest);
CREATE TABLE IF NOT EXISTS fetches (
    payload_key TEXT PRIMARY KEY, timestamp TEXT NOT NULL, url TEXT NOT NULL, status INTEGER,
    digest TEXT, outcome TEXT NOT NULL, http_status INTEGER, location TEXT, location_timestamp TEXT,
    text_hash TEXT, reason TEXT, digest_ok INTEGER, bytes INTEGER, fetched_at REAL);
CREATE TABLE IF NOT EXISTS texts (
    text_hash TEXT PRIMARY KEY, title TEXT, markdown BLOB NOT NULL, words INTEGER, language TEXT,
    encoding TEXT, extractor TEXT);
CREATE TABLE IF NOT EXISTS versions (
    site TEXT NOT NULL, timestamp TEXT NOT NULL, url TEXT NOT NULL, text_hash TEXT NOT NULL,
    words INTEGER, language TEXT, path TEXT NOT NULL, PRIMARY KEY (site, timestamp));
CREATE TABLE IF NOT EXISTS errors (
    site TEXT, url TEXT, timestamp TEXT, message TEXT NOT NULL, at REAL);
CREATE TABLE IF NOT EXISTS dirty_sites (site TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS snapshots (
    payload_key TEXT PRIMARY KEY, file TEXT NOT NULL, offset INTEGER NOT NULL, length INTEGER,
    kind TEXT NOT NULL, url TEXT NOT NULL, timestamp TEXT NOT NULL, digest TEXT);
CREATE INDEX IF NOT EXISTS snapshots_digest ON snapshots (digest);
CREATE TABLE IF NOT EXISTS change_measures_v2 (
    old_hash TEXT NOT NULL, new_hash TEXT NOT NULL, measures TEXT NOT NULL,
    PRIMARY KEY (old_hash, new_hash));
DROP TABLE IF EXISTS change_measures;
CREATE TABLE IF NOT EXISTS live (
    site TEXT NOT NULL, seed_url TEXT NOT NULL, url TEXT NOT NULL, etag TEXT, last_modified TEXT,
    PRIMARY KEY (site, seed_url));
CREATE TABLE IF NOT EXISTS live_captures (
    site TEXT NOT NULL, timestamp TEXT NOT NULL, url TEXT NOT NULL, saved_timestamp TEXT,
    save_error TEXT, PRIMARY KEY (site, timestamp));
"""

class Outcome(TextEnum):
    """What fetching one payload gave (``fetches.outcome``); every one is final: the payload is
    never fetched again (a failed fetch stores nothing and is retried by the next run)."""

    TEXT = "text"  # a text was extracted
    NO_TEXT = "no-text"  # an archived page with no text (or a type with no text)
    REDIRECT = "redirect"  # an archived redirect (the Location is kept)
    ARCHIVE_REDIRECT = "archive-redirect"  # the archive sent us to another capture
    MISSING = "missing"  # the archive has no such capture
    HTTP_STATUS = "http-status"  # an archived 4xx/5xx answer
    BLOCKED = "blocked"  # the archive refuses to serve it



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


@dataclass(frozen=True)
class PendingFetch:
    payload_key: str
    timestamp: str
    url: str
    status: int | None
    digest: str
    mimetype: str = ""
    effective_mimetype: str | None = None  # a revisit's: the capture it repeats


def _file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


FILE_MODE = _file_mode()  # what open() would give a new file under the user's umask


def atomic_write(path: Path, data: str, durable: bool = True) -> None:
    """Write a file so that it is either absent, old, or complete: never half-written.

    ``durable=False`` leaves the fsync to the caller, who writes many files and then makes
    them durable at once (``os.sync()``) before recording that they exist."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)  # mkstemp makes 0600; corpus files follow the user's umask
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


class CorpusStore:
    """The SQLite index and version files of one output folder."""

    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "policies").mkdir(exist_ok=True)
        self.db = sqlite3.connect(self.out / "corpus.sqlite", isolation_level=None, timeout=60)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self._migrate()
        self._clean_temp_files()

    def _migrate(self) -> None:
        """Bring a corpus written by an earlier version up to this schema and text identity."""
        sql = self.db.execute("SELECT sql FROM sqlite_master WHERE name='captures'").fetchone()[0]
        if "original, digest)" not in sql.replace("\n", " "):
            # Two digests at the same timestamp and URL are two captures: widen the key.
            with self.transaction():
                self.db.execute("ALTER TABLE captures RENAME TO captures_v1")
                self.db.execute(SCHEMA.split(";", 3)[2])  # CREATE TABLE captures
                self.db.execute("INSERT INTO captures SELECT * FROM captures_v1")
                self.db.execute("DROP TABLE captures_v1")
            self.db.executescript(SCHEMA)  # its indexes
        columns = {r[1] for r in self.db.execute("PRAGMA table_info(urls)")}
        for name, kind in (("blocked", "TEXT"), ("blocked_at", "REAL")):
            if name not in columns:
                self.db.execute(f"ALTER TABLE urls ADD COLUMN {name} {kind}")
        row = self.db.execute("SELECT value FROM meta WHERE key='identity'").fetchone()
        if row is None or row[0] != IDENTITY_VERSION:
            self.rehash_texts()

    def rehash_texts(self) -> int:
        """Recompute every text's identity hash (after the identity rule changed); the sites
        whose texts merged or split are rebuilt. Returns how many texts changed hash."""
        changed = 0
        with self.transaction():
            for old, blob in self.db.execute("SELECT text_hash, markdown FROM texts").fetchall():
                new = text_hash(zlib.decompress(blob).decode("utf-8"))
                if new == old:
                    continue
                changed += 1
                if self.db.execute("SELECT 1 FROM texts WHERE text_hash=?", (new,)).fetchone():
                    self.db.execute("DELETE FROM texts WHERE text_hash=?", (old,))
                else:
                    self.db.execute("UPDATE texts SET text_hash=? WHERE text_hash=?", (new, old))
                self.db.execute("UPDATE fetches SET text_hash=? WHERE text_hash=?", (new, old))
            if changed:
                self.db.execute("INSERT OR IGNORE INTO dirty_sites SELECT DISTINCT site FROM versions")
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('identity', ?)", (IDENTITY_VERSION,))
        if changed:
            logger.info("Text identity rule is now %s: %d text(s) re-hashed; their sites' versions "
                        "are rebuilt", IDENTITY_VERSION, changed)
        return changed

    def close(self) -> None:
        self.db.close()

    def _clean_temp_files(self) -> None:
        for tmp in (self.out / "policies").glob("*/.tmp-*"):
            tmp.unlink(missing_ok=True)

    def transaction(self):
        return _Transaction(self.db)

    # -- seeds and URLs ---------------------------------------------------------------------
    def add_seed(self, site: str, url: str) -> None:
        with self.transaction():
            self.db.execute("INSERT OR IGNORE INTO seeds VALUES (?,?,?)", (site, url, time.time()))
            self.db.execute("INSERT OR IGNORE INTO urls (site, url, hops) VALUES (?,?,0)", (site, url))

    def add_url(self, site: str, url: str, via_url: str, via_timestamp: str, hops: int) -> bool:
        """Record a URL a site's policy moved to. True when it is new for that site."""
        with self.transaction():
            cur = self.db.execute(
                "INSERT OR IGNORE INTO urls (site, url, via_url, via_timestamp, hops) VALUES (?,?,?,?,?)",
                (site, url, via_url, via_timestamp, hops))
            return cur.rowcount > 0

    def site_urls(self, site: str) -> list[tuple[str, int, str | None]]:
        """(url, hops, last CDX timestamp seen) for every URL of a site."""
        return list(self.db.execute(
            "SELECT url, hops, last_timestamp FROM urls WHERE site=? ORDER BY hops, url", (site,)))

    def set_blocked(self, site: str, url: str, message: str) -> None:
        """The archive blocks this URL (its wording kept): not queried again for a while."""
        with self.transaction():
            self.db.execute("UPDATE urls SET blocked=?, blocked_at=? WHERE site=? AND url=?",
                            (message, time.time(), site, url))

    def blocked(self, site: str, url: str, recheck_days: float) -> str | None:
        """The archive's wording if ``url`` was found blocked less than ``recheck_days`` ago."""
        row = self.db.execute("SELECT blocked, blocked_at FROM urls WHERE site=? AND url=?",
                              (site, url)).fetchone()
        if not row or not row[0] or (row[1] or 0) < time.time() - recheck_days * 86400:
            return None
        return row[0]

    def blocked_urls(self) -> list[tuple[str, str, str]]:
        """(site, url, the archive's wording) of every URL the archive blocks."""
        return list(self.db.execute(
            "SELECT site, url, blocked FROM urls WHERE blocked IS NOT NULL ORDER BY site, url"))

    def cdx_checked_since(self, site: str, url: str, since: float) -> bool:
        """Whether ``url``'s CDX listing was stored at or after ``since`` (epoch seconds)."""
        row = self.db.execute("SELECT cdx_checked_at FROM urls WHERE site=? AND url=?",
                              (site, url)).fetchone()
        return bool(row and row[0] and row[0] >= since)

    def cdx_checked(self, site: str, url: str, last_timestamp: str | None) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE urls SET last_timestamp=max(coalesce(last_timestamp,''), coalesce(?,'')), "
                "cdx_checked_at=? WHERE site=? AND url=?", (last_timestamp, time.time(), site, url))

    # -- captures -------------------------------------------------------------------------------
    def resolve_revisit(self, digest: str, key_url: str) -> tuple[str, str] | None:
        """(payload key, mimetype) of the capture that a revisit of ``digest`` in the urlkey
        ``key_url`` repeats, if known (any spelling of the URL)."""
        row = self.db.execute(
            "SELECT payload_key, mimetype FROM captures WHERE digest=? AND status < 300 "
            "AND substr(payload_key, 5) = ? ORDER BY timestamp LIMIT 1",
            (digest, f"{digest}:{key_url}")).fetchone()
        return (row[0], row[1]) if row else None

    def add_captures(self, site: str, query_url: str, records: Iterable[tuple[CdxRecord, str]]) -> int:
        """Store CDX rows with their payload keys; returns how many were new."""
        new = 0
        with self.transaction():
            for rec, key in records:
                cur = self.db.execute(
                    "INSERT OR IGNORE INTO captures VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (site, rec.timestamp, rec.url, query_url, rec.urlkey, rec.mimetype, rec.status,
                     rec.digest, rec.length, key))
                new += cur.rowcount
            if new:
                self.db.execute("INSERT OR IGNORE INTO dirty_sites VALUES (?)", (site,))
        return new

    def add_new_captures(self, site: str, query_url: str,
                         records: Iterable[CdxRecord]) -> tuple[list, list]:
        """Plan the payload keys of a CDX listing (:func:`crawler.plan.plan_keys`) and store the
        captures the index does not hold yet; returns (every row planned, the new ones)."""
        from crawler.plan import plan_keys

        planned = plan_keys(records, self.resolve_revisit)
        new = [p for p in planned if not self.capture_exists(
            site, p.record.timestamp, p.record.url, p.record.digest)]
        self.add_captures(site, query_url, [(p.record, p.payload_key) for p in new])
        return planned, new

    def capture_exists(self, site: str, timestamp: str, url: str, digest: str) -> bool:
        return self.db.execute(
            "SELECT 1 FROM captures WHERE site=? AND timestamp=? AND original=? AND digest=?",
            (site, timestamp, url, digest)).fetchone() is not None

    def fetched_keys(self, keys: Iterable[str]) -> set[str]:
        keys = list(keys)
        found: set[str] = set()
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            q = ",".join("?" * len(chunk))
            found.update(r[0] for r in self.db.execute(
                f"SELECT payload_key FROM fetches WHERE payload_key IN ({q})", chunk))
        return found

    def unfetched(self, site: str, query_url: str | None = None) -> list[PendingFetch]:
        """Captures of a site (or one URL) whose payload has not been fetched, oldest first."""
        sql = ("SELECT c.payload_key, c.timestamp, c.original, c.status, c.digest, c.mimetype, "
               "(SELECT o.mimetype FROM captures o WHERE o.payload_key = c.payload_key "
               " AND o.mimetype != 'warc/revisit' LIMIT 1) FROM captures c "
               "LEFT JOIN fetches f ON f.payload_key = c.payload_key WHERE c.site=? "
               "AND f.payload_key IS NULL")
        args: list = [site]
        if query_url:
            sql += " AND c.query_url=?"
            args.append(query_url)
        sql += " ORDER BY c.timestamp"
        return [PendingFetch(*row) for row in self.db.execute(sql, args)]

    # -- fetches and texts ------------------------------------------------------------------------
    def record_fetch(self, *, payload_key: str, timestamp: str, url: str, status: int | None,
                     digest: str, outcome: str, http_status: int | None = None,
                     location: str | None = None, location_timestamp: str | None = None,
                     text_hash: str | None = None, reason: str | None = None,
                     digest_ok: bool | None = None, size: int | None = None,
                     extracted: dict | None = None, sites: Iterable[str] = (),
                     snapshot=None, snapshot_kind: str = "response") -> None:
        """Store the outcome of one payload fetch (its text, and where its snapshot is) in one
        transaction."""
        with self.transaction():
            if snapshot is not None:
                self.db.execute("INSERT OR REPLACE INTO snapshots VALUES (?,?,?,?,?,?,?,?)",
                                (payload_key, snapshot.file, snapshot.offset, snapshot.length,
                                 snapshot_kind, url, timestamp, digest))
            if extracted and extracted.get("markdown"):
                self._add_text(extracted)
            self.db.execute(
                "INSERT OR REPLACE INTO fetches VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (payload_key, timestamp, url, status, digest, outcome, http_status, location,
                 location_timestamp, text_hash, reason,
                 None if digest_ok is None else int(digest_ok), size, time.time()))
            for site in sites:
                self.db.execute("INSERT OR IGNORE INTO dirty_sites VALUES (?)", (site,))

    def _add_text(self, extracted: dict) -> None:
        """An extracted text, stored once under its identity hash (zlib-compressed markdown)."""
        self.db.execute("INSERT OR IGNORE INTO texts VALUES (?,?,?,?,?,?,?)",
                        (extracted["text_hash"], extracted["title"],
                         zlib.compress(extracted["markdown"].encode("utf-8"), 6), extracted["words"],
                         extracted["language"], extracted["encoding"], extracted["extractor"]))

    def snapshot_of_digest(self, digest: str) -> tuple[str, str] | None:
        """(url, timestamp) of a response record already kept with this payload digest."""
        row = self.db.execute("SELECT url, timestamp FROM snapshots WHERE digest=? AND kind='response' "
                              "ORDER BY timestamp LIMIT 1", (digest,)).fetchone()
        return (row[0], row[1]) if row else None

    def snapshot_rows(self, site: str | None = None) -> list[tuple]:
        """(payload key, file, offset, length, kind, url, timestamp, digest) of the kept payloads
        (of one site's captures), in file order."""
        if site:
            return list(self.db.execute(
                "SELECT s.* FROM snapshots s WHERE s.payload_key IN (SELECT payload_key FROM captures "
                "WHERE site=?) ORDER BY s.file, s.offset", (site,)))
        return list(self.db.execute("SELECT * FROM snapshots ORDER BY file, offset"))

    def replace_text(self, payload_key: str, extracted: dict) -> bool:
        """A payload's text from a new extraction (reextract); True when its text changed."""
        old = self.db.execute("SELECT text_hash FROM fetches WHERE payload_key=?", (payload_key,)).fetchone()
        new_hash = extracted["text_hash"] if extracted.get("markdown") else None
        if old is None or old[0] == new_hash:
            return False
        with self.transaction():
            if new_hash:
                self._add_text(extracted)
            self.db.execute("UPDATE fetches SET outcome=?, text_hash=?, reason=? WHERE payload_key=?",
                            (Outcome.TEXT if new_hash else Outcome.NO_TEXT, new_hash,
                             None if new_hash else extracted.get("reason"), payload_key))
            self.db.execute("INSERT OR IGNORE INTO dirty_sites SELECT DISTINCT site FROM captures "
                            "WHERE payload_key=?", (payload_key,))
        return True

    def sites_of_key(self, payload_key: str) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT DISTINCT site FROM captures WHERE payload_key=?", (payload_key,))]

    def text(self, text_hash: str) -> str:
        row = self.db.execute("SELECT markdown FROM texts WHERE text_hash=?", (text_hash,)).fetchone()
        if row is None:
            raise KeyError(text_hash)
        return zlib.decompress(row[0]).decode("utf-8")

    def log_error(self, site: str | None, url: str | None, timestamp: str | None, message: str) -> None:
        with self.transaction():
            self.db.execute("INSERT INTO errors VALUES (?,?,?,?,?)",
                            (site, url, timestamp, message, time.time()))

    # -- live checks (palimpsest watch) -----------------------------------------------------------
    LIVE_SEEN = "live-seen"  # digest of a 'last seen unchanged' capture (it shares a version's text)

    def live_url(self, site: str, seed_url: str) -> str:
        """Where a seed's live policy is now (it may have moved)."""
        row = self.db.execute("SELECT url FROM live WHERE site=? AND seed_url=?", (site, seed_url)).fetchone()
        return row[0] if row else seed_url

    def live_validators(self, site: str, url: str) -> tuple[str | None, str | None]:
        row = self.db.execute("SELECT etag, last_modified FROM live WHERE site=? AND url=?",
                              (site, url)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def set_live_validators(self, site: str, seed_url: str, url: str, etag: str | None,
                            last_modified: str | None) -> None:
        """The validators of a seed's live page (for conditional requests) and where it is now."""
        with self.transaction():
            self.db.execute("INSERT OR REPLACE INTO live VALUES (?,?,?,?,?)",
                            (site, seed_url, url, etag, last_modified))

    def next_live_timestamp(self, site: str, now: str) -> str:
        """``now``, or one second after the site's latest capture (two checks in one second)."""
        row = self.db.execute("SELECT max(timestamp) FROM captures WHERE site=?", (site,)).fetchone()
        if row and row[0] and row[0] >= now:
            return format_timestamp(parse_timestamp(row[0]) + timedelta(seconds=1))
        return now

    def latest_text_hash(self, site: str) -> str | None:
        row = self.db.execute(
            "SELECT f.text_hash FROM captures c JOIN fetches f ON f.payload_key = c.payload_key "
            "WHERE c.site=? AND f.outcome='text' ORDER BY c.timestamp DESC LIMIT 1", (site,)).fetchone()
        return row[0] if row else None

    def live_seen(self, site: str, url: str, ts: str) -> None:
        """The live text is unchanged at ``ts``: the site's one 'last seen' capture moves here."""
        row = self.db.execute(
            "SELECT c.payload_key, c.timestamp FROM captures c JOIN fetches f ON f.payload_key = "
            "c.payload_key WHERE c.site=? AND f.outcome='text' AND c.digest != ? "
            "ORDER BY c.timestamp DESC LIMIT 1", (site, self.LIVE_SEEN)).fetchone()
        if row is None:
            return
        key, since = row
        with self.transaction():
            self.db.execute("DELETE FROM captures WHERE site=? AND digest=? AND timestamp > ?",
                            (site, self.LIVE_SEEN, since))
            self.db.execute("INSERT OR IGNORE INTO captures VALUES (?,?,?,?,?,?,?,?,?,?)",
                            (site, ts, url, url, surt_key(url), "text/html", 200, self.LIVE_SEEN,
                             None, key))
            self.db.execute("INSERT OR IGNORE INTO dirty_sites VALUES (?)", (site,))

    def add_live_version(self, site: str, seed_url: str, url: str, ts: str, digest: str,
                         extracted: dict, saved_ts: str | None, save_error: str | None) -> None:
        """A changed live text: a capture, its text, and whether the Wayback Machine saved it."""
        key = f"live:{digest}:{surt_key(url)}"
        rec = CdxRecord(surt_key(url), ts, url, "text/html", 200, digest, None)
        with self.transaction():
            self.db.execute("INSERT OR IGNORE INTO urls (site, url, hops) VALUES (?,?,0)", (site, url))
            self.add_captures(site, url, [(rec, key)])
            if not self.fetched_keys([key]):
                self.record_fetch(payload_key=key, timestamp=ts, url=url, status=200, digest=digest,
                                  outcome=Outcome.TEXT, http_status=200, text_hash=extracted["text_hash"],
                                  extracted=extracted, sites=[site], reason="live check")
            self.db.execute("INSERT OR REPLACE INTO live_captures VALUES (?,?,?,?,?)",
                            (site, ts, url, saved_ts, save_error))
            self.db.execute("INSERT INTO live (site, seed_url, url) VALUES (?,?,?) ON CONFLICT "
                            "(site, seed_url) DO UPDATE SET url=excluded.url", (site, seed_url, url))

    def pending_live_saves(self) -> list[tuple[str, str, str]]:
        return list(self.db.execute("SELECT site, timestamp, url FROM live_captures WHERE "
                                    "saved_timestamp IS NULL ORDER BY timestamp"))

    def live_saved(self, site: str, ts: str, saved_ts: str) -> None:
        with self.transaction():
            self.db.execute("UPDATE live_captures SET saved_timestamp=?, save_error=NULL WHERE site=? "
                            "AND timestamp=?", (saved_ts, site, ts))
            self.db.execute("INSERT OR IGNORE INTO dirty_sites VALUES (?)", (site,))

    def live_capture(self, site: str, ts: str) -> tuple[str, str | None] | None:
        """(url, saved timestamp or None) when the capture at ``ts`` was a live check."""
        row = self.db.execute("SELECT url, saved_timestamp FROM live_captures WHERE site=? AND "
                              "timestamp=?", (site, ts)).fetchone()
        return (row[0], row[1]) if row else None

    # -- versions -------------------------------------------------------------------------------
    def dirty_sites(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT site FROM dirty_sites ORDER BY site")]

    def timeline(self, site: str) -> Iterator[tuple[str, str, str]]:
        """(timestamp, url, text_hash) of every capture of a site whose text is known."""
        return iter(self.db.execute(
            "SELECT c.timestamp, c.original, f.text_hash FROM captures c JOIN fetches f "
            "ON f.payload_key = c.payload_key WHERE c.site=? AND f.outcome='text' "
            "ORDER BY c.timestamp, c.original, c.digest", (site,)).fetchall())

    def build_versions(self, site: str) -> tuple[int, int]:
        """Derive a site's version files from its captures; returns (written, removed).

        A capture starts a new version when its text differs from the previous capture's text.
        Idempotent: files and rows are reconciled with what the index says.
        """
        rows, written, removed = self._write_versions(site, durable=True)
        self._record_versions([site], rows)
        return written, removed

    def build_all_dirty(self) -> tuple[int, int]:
        """Every site whose index changed: its version files written, made durable with one
        sync (not one fsync per file on the crawl's thread), then recorded in the index with the
        sites' dirty marks cleared. A crash before the sync leaves the sites dirty: rebuilt."""
        sites = self.dirty_sites()
        rows: list = []
        total_w = total_r = 0
        for site in sites:
            site_rows, w, r = self._write_versions(site, durable=False)
            rows += site_rows
            total_w += w
            total_r += r
        if total_w:
            os.sync()
        self._record_versions(sites, rows)
        return total_w, total_r

    def _write_versions(self, site: str, durable: bool) -> tuple[list, int, int]:
        """The version files of one site brought in line with its timeline; returns the index
        rows to record (("put", row) / ("delete", site, timestamp)), files written, removed."""
        wanted: dict[str, tuple[str, str]] = {}
        previous = None  # the text of the last version before the current second
        current = None  # the text the current second ends with
        last_ts = None
        for timestamp, url, thash in self.timeline(site):
            if timestamp != last_ts:
                previous, last_ts = current, timestamp
            # One version file per second: two captures of one second with different texts (two
            # digests of one timestamp) leave the second's last text, when it is new.
            if thash != previous:
                wanted[timestamp] = (url, thash)
            else:
                wanted.pop(timestamp, None)
            current = thash
        have = {ts: (url, th, path) for ts, url, th, path in self.db.execute(
            "SELECT timestamp, url, text_hash, path FROM versions WHERE site=?", (site,))}
        rows: list = []
        written = removed = 0
        for ts, (url, thash) in wanted.items():
            path = version_path(self.out, site, ts)
            rel = str(path.relative_to(self.out.resolve()))
            live = self.live_capture(site, ts)
            if have.get(ts, (None, None, None))[:2] == (url, thash) and path.exists() and live is None:
                continue
            document = render_document(site, ts, url, self.text(thash), live=live)
            if live is not None and path.exists() and path.read_text(encoding="utf-8") == document:
                continue
            atomic_write(path, document, durable=durable)
            words, language = self.db.execute(
                "SELECT words, language FROM texts WHERE text_hash=?", (thash,)).fetchone()
            rows.append(("put", (site, ts, url, thash, words, language, rel)))
            written += 1
        for ts in set(have) - set(wanted):
            (self.out / have[ts][2]).unlink(missing_ok=True)
            rows.append(("delete", site, ts))
            removed += 1
        return rows, written, removed

    def _record_versions(self, sites: list[str], rows: list) -> None:
        with self.transaction():
            for op in rows:
                if op[0] == "put":
                    self.db.execute("INSERT OR REPLACE INTO versions VALUES (?,?,?,?,?,?,?)", op[1])
                else:
                    self.db.execute("DELETE FROM versions WHERE site=? AND timestamp=?", op[1:])
            self.db.executemany("DELETE FROM dirty_sites WHERE site=?", [(s,) for s in sites])

    # -- reading the corpus (report, changes, exports) ----------------------------------------------
    def versions(self, site: str | None = None) -> list[Version]:
        """Versions (of one site, or all by time then site), with their text's extractor."""
        sql = ("SELECT v.site, v.timestamp, v.url, v.text_hash, v.words, v.language, t.extractor "
               "FROM versions v JOIN texts t ON t.text_hash = v.text_hash")
        if site is not None:
            return [Version(*r) for r in self.db.execute(sql + " WHERE v.site=? ORDER BY v.timestamp",
                                                          (site,))]
        return [Version(*r) for r in self.db.execute(sql + " ORDER BY v.timestamp, v.site")]

    # The cache of pipelines.changes.compare() results (texts never change under a hash). A new
    # table name when compare() changes what it measures; the older table is dropped.
    def cached_measures(self, old_hash: str, new_hash: str) -> dict | None:
        row = self.db.execute("SELECT measures FROM change_measures_v2 WHERE old_hash=? AND new_hash=?",
                              (old_hash, new_hash)).fetchone()
        return json.loads(row[0]) if row else None

    def cache_measures(self, rows: list[tuple[str, str, dict]]) -> None:
        with self.transaction():
            self.db.executemany("INSERT OR REPLACE INTO change_measures_v2 VALUES (?,?,?)",
                                [(a, b, json.dumps(m)) for a, b, m in rows])

    def measured_pairs(self) -> set[tuple[str, str]]:
        return set(self.db.execute("SELECT old_hash, new_hash FROM change_measures_v2"))

    def version_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM versions").fetchone()[0]

    def sites_with_versions(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT site FROM versions ORDER BY site")]

    def sites_with_captures(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT site FROM captures ORDER BY site")]

    def capture_statuses(self, site: str) -> list[tuple[str, int | None]]:
        """(timestamp, archived status) of every capture of a site, oldest first."""
        return [(r[0], r[1]) for r in self.db.execute(
            "SELECT timestamp, status FROM captures WHERE site=? ORDER BY timestamp", (site,))]

    def capture_span(self, site: str) -> tuple[str | None, str | None, int]:
        """(first, last capture timestamp, number of captures) of a site."""
        row = self.db.execute("SELECT min(timestamp), max(timestamp), count(*) FROM captures "
                              "WHERE site=?", (site,)).fetchone()
        return row[0], row[1], row[2]

    def payload_keys(self) -> list[str]:
        """Every payload fetched (distributed crawls seed their 'fetched' set with it)."""
        return [r[0] for r in self.db.execute("SELECT payload_key FROM fetches")]

    def fetch_outcome(self, payload_key: str) -> str | None:
        row = self.db.execute("SELECT outcome FROM fetches WHERE payload_key=?", (payload_key,)).fetchone()
        return row[0] if row else None

    # -- summaries ------------------------------------------------------------------------------
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


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self.outer = False

    def __enter__(self):
        self.outer = not self.db.in_transaction
        if self.outer:
            self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, exc, tb):
        if self.outer:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")
        return False


class StoragePipeline:
    """Writes fetch outcomes and texts to the index; builds version files at the end of a crawl."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self, spider=None):
        from pipelines.corpus import Corpus

        self.corpus = Corpus.of(self.crawler)

    def process_item(self, item, spider=None):
        if item.get("extraction_error"):
            # Nothing is stored for this payload: the next run fetches and extracts it again.
            self.crawler.spider.error(
                item["site"], item["url"], item["timestamp"],
                f"text extraction failed: {item['extraction_error']}; nothing stored, "
                "re-run the same command to retry")
        else:
            self.record(self.corpus.store, item)
        item.pop("body", None)
        if self.corpus.distributed:  # the writes are in Redis now
            self.corpus.coordination.ack(item.pop(LEASE_META, None))
        return item

    def record(self, store: CorpusStore, item) -> None:
        """Store one fetch outcome (and its text)."""
        extracted = item.get("extracted")
        outcome = item["outcome"]
        reason = item.get("reason")
        thash = None
        if outcome == "payload":
            if extracted and extracted.get("markdown"):
                outcome, thash = "text", extracted["text_hash"]
                reason = extracted.get("reason")
            else:
                outcome = "no-text"
                reason = (extracted or {}).get("reason") or reason or "no text"
                logger.warning("No text from %s at %s (site %s): %s", item["url"],
                               item["timestamp"], item["site"], reason)
        store.record_fetch(
            payload_key=item["payload_key"], timestamp=item["timestamp"], url=item["url"],
            status=item.get("status"), digest=item.get("digest", ""), outcome=outcome,
            http_status=item.get("http_status"), location=item.get("location"),
            location_timestamp=item.get("location_timestamp"), text_hash=thash, reason=reason,
            digest_ok=item.get("digest_ok"), size=item.get("size"), extracted=extracted,
            sites=store.sites_of_key(item["payload_key"]) or [item["site"]],
            snapshot=item.get("snapshot"), snapshot_kind=item.get("snapshot_kind", "response"))
        self.stats.inc_value(f"palimpsest/fetch_outcome/{outcome}")

    def close_spider(self, spider=None):
        c = self.corpus
        if c.is_coordinator:  # apply the last writes of the workers first
            while c.coordination.apply_ops(c.main):
                pass
        if c.main is None:
            return  # a worker: the coordinator finalizes the one corpus
        from pipelines.finalize import finalize

        figures = finalize(c.main, self.crawler.settings.getint("PALIMPSEST_EXTRACT_WORKERS") or None)
        for name, value in figures.items():
            self.stats.set_value(f"palimpsest/{name}", value)
