"""The corpus index's tables, and bringing a corpus written by an earlier version up to them."""

from __future__ import annotations

import logging
import sqlite3
import zlib

from pipelines.corpus.db import Transaction
from pipelines.seedformat import IDENTITY_VERSION, text_hash

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
    payload_key TEXT NOT NULL, archive TEXT NOT NULL DEFAULT '', locator TEXT,
    PRIMARY KEY (site, timestamp, original, digest, archive));
CREATE INDEX IF NOT EXISTS captures_key ON captures (payload_key);
CREATE INDEX IF NOT EXISTS captures_digest ON captures (digest);
CREATE TABLE IF NOT EXISTS fetches (
    payload_key TEXT PRIMARY KEY, timestamp TEXT NOT NULL, url TEXT NOT NULL, status INTEGER,
    digest TEXT, outcome TEXT NOT NULL, http_status INTEGER, location TEXT, location_timestamp TEXT,
    text_hash TEXT, reason TEXT, digest_ok INTEGER, bytes INTEGER, fetched_at REAL, archive TEXT);
CREATE TABLE IF NOT EXISTS texts (
    text_hash TEXT PRIMARY KEY, title TEXT, markdown BLOB NOT NULL, words INTEGER, language TEXT,
    encoding TEXT, extractor TEXT);
CREATE TABLE IF NOT EXISTS versions (
    site TEXT NOT NULL, timestamp TEXT NOT NULL, url TEXT NOT NULL, text_hash TEXT NOT NULL,
    words INTEGER, language TEXT, path TEXT NOT NULL, archive TEXT, link TEXT,
    PRIMARY KEY (site, timestamp));
CREATE TABLE IF NOT EXISTS url_state (
    site TEXT NOT NULL, url TEXT NOT NULL, archive TEXT NOT NULL, last_timestamp TEXT,
    cdx_checked_at REAL, blocked TEXT, blocked_at REAL, PRIMARY KEY (site, url, archive));
CREATE TABLE IF NOT EXISTS archives (
    archive TEXT PRIMARY KEY, label TEXT NOT NULL, phrase TEXT NOT NULL, link TEXT,
    rank INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS errors (
    site TEXT, url TEXT, timestamp TEXT, message TEXT NOT NULL, at REAL);
CREATE TABLE IF NOT EXISTS dirty_sites (site TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS snapshots (
    payload_key TEXT PRIMARY KEY, file TEXT NOT NULL, offset INTEGER NOT NULL, length INTEGER,
    kind TEXT NOT NULL, url TEXT NOT NULL, timestamp TEXT NOT NULL, digest TEXT);
CREATE INDEX IF NOT EXISTS snapshots_digest ON snapshots (digest);
CREATE TABLE IF NOT EXISTS change_measures_v3 (
    old_hash TEXT NOT NULL, new_hash TEXT NOT NULL, measures TEXT NOT NULL,
    PRIMARY KEY (old_hash, new_hash));
DROP TABLE IF EXISTS change_measures;
DROP TABLE IF EXISTS change_measures_v2;  -- sections of a repeated heading were paired wrongly
CREATE TABLE IF NOT EXISTS text_figures_v1 (text_hash TEXT PRIMARY KEY, figures TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS live (
    site TEXT NOT NULL, seed_url TEXT NOT NULL, url TEXT NOT NULL, etag TEXT, last_modified TEXT,
    PRIMARY KEY (site, seed_url));
CREATE TABLE IF NOT EXISTS live_captures (
    site TEXT NOT NULL, timestamp TEXT NOT NULL, url TEXT NOT NULL, saved_timestamp TEXT,
    save_error TEXT, PRIMARY KEY (site, timestamp));
"""

def create(db: sqlite3.Connection) -> None:
    """Create the tables, then migrate what an earlier version wrote."""
    db.executescript(SCHEMA)
    migrate(db)


def migrate(db: sqlite3.Connection) -> None:
    """Bring a corpus written by an earlier version up to this schema and text identity."""
    columns = [r[1] for r in db.execute("PRAGMA table_info(captures)")]
    if "archive" not in columns:
        # Two digests at the same timestamp and URL are two captures, and so is one capture
        # listed by two archives: widen the key. The rows of a corpus written before archives
        # were recorded have archive '' until a crawl adopts them (Sites.adopt_legacy).
        with Transaction(db):
            db.execute("ALTER TABLE captures RENAME TO captures_v1")
            db.execute(SCHEMA.split(";", 3)[2])  # CREATE TABLE captures
            db.execute("INSERT OR IGNORE INTO captures SELECT *, '', NULL FROM captures_v1")
            db.execute("DROP TABLE captures_v1")
        db.executescript(SCHEMA)  # its indexes
    columns = {r[1] for r in db.execute("PRAGMA table_info(urls)")}
    for name, kind in (("blocked", "TEXT"), ("blocked_at", "REAL")):
        if name not in columns:
            db.execute(f"ALTER TABLE urls ADD COLUMN {name} {kind}")
    if not db.execute("SELECT 1 FROM meta WHERE key='url_state'").fetchone():
        with Transaction(db):  # each archive's listing state, from the one-archive columns
            db.execute("INSERT OR IGNORE INTO url_state SELECT site, url, '', last_timestamp, "
                       "cdx_checked_at, blocked, blocked_at FROM urls WHERE cdx_checked_at IS NOT NULL "
                       "OR blocked IS NOT NULL")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('url_state', '1')")
    for table, added in (("fetches", (("archive", "TEXT"),)),
                         ("versions", (("archive", "TEXT"), ("link", "TEXT")))):
        have = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
        for name, kind in added:
            if name not in have:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
    row = db.execute("SELECT value FROM meta WHERE key='identity'").fetchone()
    if row is None or row[0] != IDENTITY_VERSION:
        rehash_texts(db)


def rehash_texts(db: sqlite3.Connection) -> int:
    """Recompute every text's identity hash (after the identity rule changed); the sites
    whose texts merged or split are rebuilt. Returns how many texts changed hash."""
    changed = 0
    with Transaction(db):
        for old, blob in db.execute("SELECT text_hash, markdown FROM texts").fetchall():
            new = text_hash(zlib.decompress(blob).decode("utf-8"))
            if new == old:
                continue
            changed += 1
            if db.execute("SELECT 1 FROM texts WHERE text_hash=?", (new,)).fetchone():
                db.execute("DELETE FROM texts WHERE text_hash=?", (old,))
            else:
                db.execute("UPDATE texts SET text_hash=? WHERE text_hash=?", (new, old))
            db.execute("UPDATE fetches SET text_hash=? WHERE text_hash=?", (new, old))
        if changed:
            db.execute("INSERT OR IGNORE INTO dirty_sites SELECT DISTINCT site FROM versions")
        db.execute("INSERT OR REPLACE INTO meta VALUES ('identity', ?)", (IDENTITY_VERSION,))
    if changed:
        logger.info("Text identity rule is now %s: %d text(s) re-hashed; their sites' versions "
                    "are rebuilt", IDENTITY_VERSION, changed)
    return changed
