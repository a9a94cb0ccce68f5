"""The corpus store: versions derived from captures, idempotent and crash-safe."""

from __future__ import annotations

from pathlib import Path

from pipelines.captures import CdxRecord, Outcome
from pipelines.items import ExtractedText, Fetch
from pipelines.seedformat import text_hash
from pipelines.corpus.store import CorpusStore


def add(store: CorpusStore, site: str, ts: str, md: str | None, status: int = 200):
    digest = f"D{abs(hash(md)) % 10**8}"
    rec = CdxRecord("k", ts, f"http://{site}/p", "text/html", status, digest, 1)
    store.captures.add(site, rec.url, [(rec, rec.payload_key)])
    extracted = None
    if md:
        extracted = ExtractedText(md, "T", text_hash(md), len(md.split()), "en", "utf-8", "x")
    store.fetches.record(Fetch(rec.payload_key, ts, rec.url, status, digest,
                               Outcome.TEXT if md else Outcome.NO_TEXT,
                               text_hash=text_hash(md) if md else None, extracted=extracted,
                               sites=(site,)))


def test_versions_only_when_text_changes(tmp_path: Path):
    store = CorpusStore(tmp_path)
    add(store, "a.example", "20100101000000", "# T\n\nOne.")
    add(store, "a.example", "20100201000000", "# T\n\nOne.  ")  # whitespace only
    add(store, "a.example", "20100301000000", None)  # no text
    add(store, "a.example", "20100401000000", "# T\n\nTwo.")
    add(store, "a.example", "20100501000000", "# T\n\nOne.")  # back to one: a new version
    assert store.versions.build_dirty() == (3, 0)
    files = sorted(p.name for p in (tmp_path / "policies" / "a.example").iterdir())
    assert files == ["20100101000000.md", "20100401000000.md", "20100501000000.md"]
    assert store.versions.build_dirty() == (0, 0)  # idempotent


def test_missing_file_is_rewritten_and_temp_files_cleaned(tmp_path: Path):
    store = CorpusStore(tmp_path)
    add(store, "a.example", "20100101000000", "# T\n\nOne.")
    store.versions.build_dirty()
    f = tmp_path / "policies" / "a.example" / "20100101000000.md"
    content = f.read_text()
    f.unlink()
    (f.parent / ".tmp-half").write_text("half a fi")
    store.close()
    store = CorpusStore(tmp_path)  # a new run after a crash
    assert not (f.parent / ".tmp-half").exists()
    store.db.execute("INSERT INTO dirty_sites VALUES ('a.example')")
    store.versions.build_dirty()
    assert f.read_text() == content


def test_revisit_resolution_uses_known_payloads(tmp_path: Path):
    store = CorpusStore(tmp_path)
    add(store, "a.example", "20100101000000", "# T\n\nOne.")
    digest = store.db.execute("SELECT digest FROM captures").fetchone()[0]
    # any spelling of the URL: one urlkey
    assert store.captures.resolve_revisit(digest, "example,a)/p") == (f"200:{digest}:example,a)/p", "text/html")
    assert store.captures.resolve_revisit(digest, "example,b)/p") is None  # another URL's payload
    assert store.captures.resolve_revisit("UNKNOWN", "example,a)/p") is None


def test_two_digests_in_one_second_are_two_captures(tmp_path: Path):
    store = CorpusStore(tmp_path)
    a = CdxRecord("k", "20100101000000", "http://a.example/p", "text/html", 200, "DA", 1)
    b = CdxRecord("k", "20100101000000", "http://a.example/p", "text/html", 200, "DB", 1)
    assert store.captures.add("a.example", a.url, [(a, a.payload_key), (b, b.payload_key)]) == 2
    assert store.captures.exists("a.example", a.timestamp, a.url, "DB")
    assert not store.captures.exists("a.example", a.timestamp, a.url, "DC")


def test_old_corpus_is_migrated(tmp_path: Path):
    """A corpus written before captures were keyed by digest, and texts hashed without link
    canonicalisation, is brought up to date on open; nothing is lost."""
    import sqlite3
    import zlib

    db = sqlite3.connect(tmp_path / "corpus.sqlite")
    db.executescript("""
    CREATE TABLE captures (site TEXT NOT NULL, timestamp TEXT NOT NULL, original TEXT NOT NULL,
      query_url TEXT NOT NULL, urlkey TEXT, mimetype TEXT, status INTEGER, digest TEXT,
      length INTEGER, payload_key TEXT NOT NULL, PRIMARY KEY (site, timestamp, original));
    CREATE TABLE urls (site TEXT NOT NULL, url TEXT NOT NULL, via_url TEXT, via_timestamp TEXT,
      hops INTEGER DEFAULT 0, last_timestamp TEXT, cdx_checked_at REAL, PRIMARY KEY (site, url));
    CREATE TABLE texts (text_hash TEXT PRIMARY KEY, title TEXT, markdown BLOB NOT NULL,
      words INTEGER, language TEXT, encoding TEXT, extractor TEXT);
    CREATE TABLE fetches (payload_key TEXT PRIMARY KEY, timestamp TEXT NOT NULL, url TEXT NOT NULL,
      status INTEGER, digest TEXT, outcome TEXT NOT NULL, http_status INTEGER, location TEXT,
      location_timestamp TEXT, text_hash TEXT, reason TEXT, digest_ok INTEGER, bytes INTEGER,
      fetched_at REAL);
    """)
    db.execute("INSERT INTO captures VALUES ('a','20100101000000','http://a/p','http://a/p','k',"
               "'text/html',200,'D1',1,'200:D1:http://a/p')")
    md = "# T\n\nSee [us](http://www.a.example/x?osCsid=1f2e3d)."
    db.execute("INSERT INTO texts VALUES ('oldhash','T',?,3,'en','utf-8','x')",
               (zlib.compress(md.encode()),))
    db.execute("INSERT INTO fetches (payload_key, timestamp, url, outcome, text_hash) VALUES "
               "('200:D1:http://a/p','20100101000000','http://a/p','text','oldhash')")
    db.commit()
    db.close()
    store = CorpusStore(tmp_path)
    assert store.db.execute("SELECT count(*) FROM captures").fetchone()[0] == 1
    assert "blocked" in {r[1] for r in store.db.execute("PRAGMA table_info(urls)")}
    assert store.db.execute("SELECT text_hash FROM fetches").fetchone()[0] == text_hash(md)
    assert store.text(text_hash(md)) == md


def test_a_text_is_stored_once_under_its_hash(tmp_path: Path, monkeypatch):
    """Payloads that share a text (HTML-only changes, URL spellings, a reextract finding what it
    had) store it once, compressed once: the first row stays as it was."""
    import zlib

    from pipelines.corpus import fetches

    compressed = []
    real = zlib.compress
    monkeypatch.setattr(fetches.zlib, "compress", lambda data, level: compressed.append(data) or real(data, level))
    store = CorpusStore(tmp_path)
    add(store, "a.example", "20100101000000", "# T\n\nOne.")
    add(store, "a.example", "20100201000000", "# T\n\nOne.  ")  # same identity, other markdown
    add(store, "b.example", "20100101000000", "# T\n\nOne.")
    assert len(compressed) == 1
    assert store.db.execute("SELECT count(*) FROM texts").fetchone()[0] == 1
    th = text_hash("# T\n\nOne.")
    assert store.fetches.text(th) == "# T\n\nOne."
    key = store.db.execute("SELECT payload_key FROM fetches WHERE timestamp='20100201000000'").fetchone()[0]
    store.db.execute("UPDATE fetches SET text_hash='old' WHERE payload_key=?", (key,))
    again = ExtractedText("# T\n\nOne.\n", "T2", th, 1, "en", "utf-8", "newer")
    assert store.fetches.replace_text(key, again) is True  # the fetch points at it again
    assert len(compressed) == 1
    assert store.db.execute("SELECT title, extractor FROM texts").fetchall() == [("T", "x")]
    add(store, "a.example", "20100301000000", "# T\n\nTwo.")
    assert len(compressed) == 2
