"""The corpus store: versions derived from captures, idempotent and crash-safe."""

from __future__ import annotations

from pathlib import Path

from crawler.wayback import CdxRecord
from pipelines.seedformat import text_hash
from pipelines.storage import CorpusStore


def add(store: CorpusStore, site: str, ts: str, md: str | None, status: int = 200):
    digest = f"D{abs(hash(md)) % 10**8}"
    rec = CdxRecord("k", ts, f"http://{site}/p", "text/html", status, digest, 1)
    store.add_captures(site, rec.url, [(rec, rec.payload_key)])
    extracted = None
    if md:
        extracted = {"markdown": md, "text_hash": text_hash(md), "title": "T", "words": len(md.split()),
                     "language": "en", "encoding": "utf-8", "extractor": "x"}
    store.record_fetch(payload_key=rec.payload_key, timestamp=ts, url=rec.url, status=status,
                       digest=digest, outcome="text" if md else "no-text",
                       text_hash=text_hash(md) if md else None, extracted=extracted, sites=[site])


def test_versions_only_when_text_changes(tmp_path: Path):
    store = CorpusStore(tmp_path)
    add(store, "a.example", "20100101000000", "# T\n\nOne.")
    add(store, "a.example", "20100201000000", "# T\n\nOne.  ")  # whitespace only
    add(store, "a.example", "20100301000000", None)  # no text
    add(store, "a.example", "20100401000000", "# T\n\nTwo.")
    add(store, "a.example", "20100501000000", "# T\n\nOne.")  # back to one: a new version
    assert store.build_versions("a.example") == (3, 0)
    files = sorted(p.name for p in (tmp_path / "policies" / "a.example").iterdir())
    assert files == ["20100101000000.md", "20100401000000.md", "20100501000000.md"]
    assert store.build_versions("a.example") == (0, 0)  # idempotent


def test_missing_file_is_rewritten_and_temp_files_cleaned(tmp_path: Path):
    store = CorpusStore(tmp_path)
    add(store, "a.example", "20100101000000", "# T\n\nOne.")
    store.build_versions("a.example")
    f = tmp_path / "policies" / "a.example" / "20100101000000.md"
    content = f.read_text()
    f.unlink()
    (f.parent / ".tmp-half").write_text("half a fi")
    store.close()
    store = CorpusStore(tmp_path)  # a new run after a crash
    assert not (f.parent / ".tmp-half").exists()
    store.db.execute("INSERT INTO dirty_sites VALUES ('a.example')")
    store.build_all_dirty()
    assert f.read_text() == content


def test_revisit_resolution_uses_known_payloads(tmp_path: Path):
    store = CorpusStore(tmp_path)
    add(store, "a.example", "20100101000000", "# T\n\nOne.")
    digest = store.db.execute("SELECT digest FROM captures").fetchone()[0]
    assert store.resolve_revisit(digest, "http://a.example/p") == f"200:{digest}:http://a.example/p"
    assert store.resolve_revisit(digest, "http://b.example/p") is None  # another URL's payload
    assert store.resolve_revisit("UNKNOWN", "http://a.example/p") is None
