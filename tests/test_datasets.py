"""``palimpsest export``: the corpus as Parquet (read back with pyarrow), Open Terms Archive's
layout, and a WACZ of the snapshots that py-wacz validates and that ``ingest`` turns back into the
same versions."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import change_text, citp, run_palimpsest
from crawler.demo.warcs import Capture, write_warc

OLD = "We do not provide services or sell products to children."


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("datasets")
    _, page, _ = citp("welcomegateapp.com")
    caps = []
    for n, site in enumerate(("shop.test", "news.test")):
        url = f"http://www.{site}/privacy"
        caps += [Capture(url, f"201{n}0101000000", page),
                 Capture(url, f"201{n}0601000000", page, revisit=n == 0),
                 Capture(url, f"201{n + 2}0101000000", change_text(page, OLD, f"Version two of {site}."))]
    warc = write_warc(root / "theirs.warc.gz", caps)
    seeds = root / "seeds.csv"
    seeds.write_text("site,url\nshop.test,http://www.shop.test/privacy\nnews.test,http://www.news.test/privacy\n")
    out = root / "out"
    r = run_palimpsest("ingest", str(warc), "--seeds", str(seeds), "--out", str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    return out, seeds


def versions_in(out: Path) -> list[tuple]:
    db = sqlite3.connect(out / "corpus.sqlite")
    return db.execute("SELECT site, timestamp, url, text_hash FROM versions ORDER BY site, timestamp").fetchall()


def test_parquet_tables_hold_the_corpus(corpus, tmp_path):
    out, _ = corpus
    r = run_palimpsest("export", str(out), "--parquet", str(tmp_path / "pq"))
    assert r.returncode == 0, r.stderr
    versions = pq.read_table(tmp_path / "pq" / "versions.parquet").to_pylist()
    assert [(v["site"], v["timestamp"], v["url"], v["hash"]) for v in
            sorted(versions, key=lambda v: (v["site"], v["timestamp"]))] == versions_in(out)
    first = next(v for v in versions if v["site"] == "shop.test")
    version_file = (out / "policies" / "shop.test" / f"{first['timestamp']}.md").read_text()
    assert version_file.split("\n", 2)[2].rstrip() == first["text"].rstrip()  # the file, header aside
    assert first["snapshot"].startswith("https://web.archive.org/web/") and first["source"] == "archive"
    assert first["words"] > 100 and first["extractor"] and first["captured_at"].year == 2010
    captures = pq.read_table(tmp_path / "pq" / "captures.parquet")
    assert captures.num_rows == 6 and "outcome" in captures.column_names
    changes = pq.read_table(tmp_path / "pq" / "changes.parquet").to_pylist()
    assert len(changes) == len(open(out / "changes.csv").readlines()) - 1 == 2
    assert all(isinstance(c["topics"], list) for c in changes)


def test_ota_layout(corpus, tmp_path):
    out, _ = corpus
    target = tmp_path / "ota"
    r = run_palimpsest("export", str(out), "--ota", str(target))
    assert r.returncode == 0, r.stderr
    files = sorted(str(p.relative_to(target)) for p in target.rglob("*.md"))
    assert files == ["README.md",
                     "news.test/Privacy Policy/2011-01-01T00-00-00Z.md",
                     "news.test/Privacy Policy/2013-01-01T00-00-00Z.md",
                     "shop.test/Privacy Policy/2010-01-01T00-00-00Z.md",
                     "shop.test/Privacy Policy/2012-01-01T00-00-00Z.md"]
    text = (target / "shop.test/Privacy Policy/2012-01-01T00-00-00Z.md").read_text()
    assert "Version two of shop.test." in text and not text.startswith(">")  # the text alone
    readme = (target / "README.md").read_text()
    assert "2 service providers" in readme and "## License" in readme and "## Source" in readme


def test_wacz_validates_and_ingests_back_to_the_same_versions(corpus, tmp_path):
    out, seeds = corpus
    wacz = tmp_path / "corpus.wacz"
    r = run_palimpsest("export", str(out), "--wacz", str(wacz))
    assert r.returncode == 0, r.stderr
    check = subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(wacz)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]
    with zipfile.ZipFile(wacz) as z:
        names = z.namelist()
        pages = [json.loads(line) for line in z.read("pages/pages.jsonl").decode().splitlines()]
    assert "datapackage.json" in names and any(n.startswith("archive/") for n in names)
    assert sorted((p["url"], p["ts"]) for p in pages[1:]) == sorted(
        (url, f"{ts[:4]}-{ts[4:6]}-{ts[6:8]}T{ts[8:10]}:{ts[10:12]}:{ts[12:]}Z")
        for _, ts, url, _ in versions_in(out))
    again = tmp_path / "again"
    r = run_palimpsest("ingest", str(wacz), "--seeds", str(seeds), "--out", str(again))
    assert r.returncode == 0, r.stderr[-2000:]
    assert versions_in(again) == versions_in(out)


def test_export_refuses_what_it_cannot_do(corpus, tmp_path):
    out, _ = corpus
    r = run_palimpsest("export", str(out))
    assert r.returncode == 2 and "say what to write" in r.stderr
    r = run_palimpsest("export", str(out), "--wacz", str(tmp_path / "x.zip"))
    assert r.returncode == 2 and "ending in .wacz" in r.stderr
    r = run_palimpsest("export", str(tmp_path / "nothing"), "--ota", str(tmp_path / "o"))
    assert r.returncode == 2 and "holds no corpus" in r.stderr


def test_parquet_loads_in_pandas_and_duckdb(corpus, tmp_path):
    """The one-liners the README gives, as a user runs them."""
    import duckdb
    import pandas

    out, _ = corpus
    assert run_palimpsest("export", str(out), "--parquet", str(tmp_path / "pq")).returncode == 0
    frame = pandas.read_parquet(tmp_path / "pq" / "versions.parquet")
    assert len(frame) == len(versions_in(out)) and set(frame.site) == {"shop.test", "news.test"}
    assert str(frame.captured_at.dtype).startswith("datetime64") and frame.words.min() > 100
    con = duckdb.connect()
    n, = con.execute(f"SELECT count(*) FROM '{tmp_path / 'pq'}/versions.parquet' "
                     "WHERE text LIKE '%Version two of%'").fetchone()
    assert n == 2
    kinds = con.execute(f"SELECT kind, count(*) FROM '{tmp_path / 'pq'}/changes.parquet' GROUP BY kind").fetchall()
    assert sum(c for _, c in kinds) == 2
