"""Faults and bad input: the corpus stays complete and exact, errors are clear."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from conftest import UNLIMITED, run_palimpsest
from fault_proxy import FaultProxy
from ia_fixture import FixtureCapture, IAFixture

FAST_FAULTS = ["-s", "PALIMPSEST_429_PAUSE=1", "-s", "PALIMPSEST_RETRY_DELAY=0.2",
               "-s", "DOWNLOAD_TIMEOUT=1.5", "-s", "PALIMPSEST_RETRY_TIMES=6"]


def corpus_files(out: Path) -> dict:
    files = {p.relative_to(out): p.read_bytes() for p in (out / "policies").rglob("*") if p.is_file()}
    files["changes.csv"] = (out / "changes.csv").read_bytes()
    return files


@pytest.fixture(scope="module")
def clean_run(scenario, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("clean") / "out"
    r = run_palimpsest("crawl", scenario.seeds_csv, "--out", str(out), "--archive", scenario.archive,
                       *UNLIMITED)
    assert r.returncode == 0, r.stderr[-2000:]
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_faulty_archive_gives_identical_corpus(scenario, pywb, clean_run, tmp_path, seed):
    proxy = FaultProxy(pywb.url, seed=seed, fault_rate=0.6, max_faults=2, slow_seconds=2.5,
                       storm_every=9)
    try:
        out = tmp_path / "out"
        archive = scenario.archive.replace(pywb.url, proxy.url)
        r = run_palimpsest("crawl", scenario.seeds_csv, "--out", str(out), "--archive", archive,
                           *UNLIMITED, *FAST_FAULTS, timeout=300)
        assert r.returncode == 0, r.stderr[-3000:]
        injected = [what for _, _, _, what in proxy.log if what != "pass"]
        assert len(injected) >= 5, proxy.log  # the run really met faults
        from collections import Counter
        print(f"seed {seed}: {len(proxy.log)} requests, faults injected {dict(Counter(injected))}")
        assert corpus_files(out) == corpus_files(clean_run)
        db, ref = sqlite3.connect(out / "corpus.sqlite"), sqlite3.connect(clean_run / "corpus.sqlite")
        for table in ("captures", "fetches", "texts", "versions"):
            q = f"SELECT * FROM {table} ORDER BY 1, 2"
            # the archive's id is its URL: the proxy's here, pywb's in the clean run
            strip = lambda rows: [tuple("<archive>" if c in (archive, scenario.archive) else c  # noqa: E731
                                        for c in row if not isinstance(c, float)) for row in rows]
            assert strip(db.execute(q).fetchall()) == strip(ref.execute(q).fetchall()), table
        # no request of a slot was sent while that slot was paused by a 429
        for kind in ("cdx", "snapshot"):
            log = [(t, what) for t, k, _, what in proxy.log if k == kind]
            for t429, what in log:
                if what == "429":
                    assert not [t for t, _ in log if t429 + 0.1 < t < t429 + 0.95], (kind, t429)
    finally:
        proxy.stop()


def test_bad_input_is_reported_and_the_rest_crawled(tmp_path):
    big = b"<html><head><title>Big</title></head><body><p>" + b"privacy words " * 150_000 + b"</p></body></html>"
    caps = [
        FixtureCapture("http://xn--bcher-kva.example/datenschutz", "20200101000000",
                       "<html><head><title>Datenschutz</title></head><body><div><p>Wir schützen "
                       "Ihre Daten und geben sie nicht an Dritte weiter. Sie haben das Recht auf "
                       "Auskunft und Löschung.</p></div></body></html>".encode("utf-8")),
        FixtureCapture("http://pct.example/priv%C3%A9e?lang=fr", "20200101000000",
                       "<html><head><title>Confidentialité</title></head><body><div><p>Nous "
                       "protégeons vos données personnelles et ne les vendons jamais à des tiers. "
                       "Vous pouvez demander leur suppression.</p></div></body></html>".encode("cp1252"),
                       content_type="text/html"),
        FixtureCapture("http://big.example/privacy", "20200101000000", big),
        FixtureCapture("http://pdf.example/privacy.pdf", "20200101000000", b"%PDF-1.4 binary",
                       content_type="application/pdf"),
        FixtureCapture("http://empty.example/privacy", "20200101000000",
                       b"<html><head><title>x</title></head><body><script>1</script></body></html>"),
    ]
    fixture = IAFixture(caps).start()
    seeds = tmp_path / "seeds.csv"
    seeds.write_text(
        "site,url\n"
        "bücher.example,http://bücher.example/datenschutz\n"
        "pct.example,http://pct.example/priv%C3%A9e?lang=fr\n"
        "big.example,http://big.example/privacy\n"
        "pdf.example,http://pdf.example/privacy.pdf\n"
        "empty.example,http://empty.example/privacy\n"
        "../../etc,http://evil.example/p\n"
        "slash/site,http://evil.example/q\n"
        "gopher.example,gopher://gopher.example/privacy\n"
        "\"unterminated,http://x.example/\n")
    out = tmp_path / "out"
    try:
        r = run_palimpsest("crawl", str(seeds), "--out", str(out), "--archive", fixture.url,
                           "--dialect", "ia", *UNLIMITED, "-s", "PALIMPSEST_MAX_PAGE_BYTES=1000000")
    finally:
        fixture.stop()
    assert r.returncode == 0, r.stderr[-3000:]
    for line in (7, 8, 9, 10):
        assert f"seeds.csv:{line}:" in r.stderr  # each bad line named
    assert not any(p.name in ("etc",) for p in out.rglob("*"))
    assert all(out.resolve() in p.resolve().parents for p in out.rglob("*"))
    files = sorted(str(p.relative_to(out / "policies")) for p in (out / "policies").rglob("*.md"))
    assert files == ["big.example/20200101000000.md", "pct.example/20200101000000.md",
                     "xn--bcher-kva.example/20200101000000.md"]  # IDN folder in punycode
    db = sqlite3.connect(out / "corpus.sqlite")
    reasons = dict(db.execute("SELECT url, reason FROM fetches"))
    assert "unreadable PDF" in reasons["http://pdf.example/privacy.pdf"]  # fetched, not text
    assert "no text" in reasons["http://empty.example/privacy"]
    assert "truncated" in reasons["http://big.example/privacy"]
    fr = next((out / "policies").glob("pct*/*.md")).read_text(encoding="utf-8")
    assert "protégeons vos données" in fr  # cp1252 without a charset, read right
    assert "https://web.archive.org/web/20200101000000id_/http%3A//pct.example/priv%25C3%25A9e%3Flang%3Dfr" in fr
    de = next((out / "policies").glob("xn--bcher-kva.example/*.md")).read_text(encoding="utf-8")
    assert de.startswith("> *The following text is extracted and transformed from the bücher.example privacy")


def test_credentials_never_logged_and_only_the_archive_contacted(tmp_path):
    seen_auth = []
    fixture = IAFixture([FixtureCapture("http://a.example/privacy", "20200101000000",
                                        b"<html><head><title>A</title></head><body><div><p>" +
                                        b"We keep your data safe and never sell it. " * 20 +
                                        b"</p></div></body></html>")])
    original = fixture.handle

    def handle(h):
        seen_auth.append(h.headers.get("Authorization"))
        original(h)

    fixture.handle = handle
    fixture.start()
    seeds = tmp_path / "s.txt"
    seeds.write_text("http://a.example/privacy\n")
    out = tmp_path / "out"
    archive = fixture.url.replace("http://", "http://alice:s3cr3t-pw@")
    try:
        r = run_palimpsest("crawl", str(seeds), "--out", str(out), "--archive", archive, "--dialect", "ia",
                           *UNLIMITED, "-s", "LOG_LEVEL=DEBUG")
    finally:
        fixture.stop()
    assert r.returncode == 0, r.stderr[-2000:]
    assert seen_auth and all(a == "Basic YWxpY2U6czNjcjN0LXB3" for a in seen_auth)
    everything = r.stdout + r.stderr + (out / "last_run.json").read_text()
    everything += "".join(str(row) for row in sqlite3.connect(out / "corpus.sqlite").execute("SELECT * FROM errors"))
    assert "s3cr3t-pw" not in everything
    assert len(list((out / "policies").rglob("*.md"))) == 1


def test_a_page_that_outlasts_the_extraction_timeout_is_retried_next_run(tmp_path):
    """An extraction that hangs does not stall the crawl or lose the page: its worker is stopped
    and replaced, the error is logged, nothing is stored for it, and the next run fetches it again."""
    para = b"<p>We collect your e-mail address and share it with partners when you order. " * 3 + b"</p>"
    huge = b"<html><head><title>Huge</title></head><body><div>" + para * 32_000 + b"</div></body></html>"
    small = (b"<html><head><title>Small Privacy</title></head><body><div><p>We keep your order "
             b"history for six years and never sell your personal data.</p></div></body></html>")
    caps = [FixtureCapture("http://huge.example/privacy", "20200101000000", huge),
            FixtureCapture("http://small.example/privacy", "20200101000000", small),
            FixtureCapture("http://small.example/privacy", "20210101000000", small + b"<!-- 2 -->")]
    fixture = IAFixture(caps).start()
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("http://huge.example/privacy\nhttp://small.example/privacy\n")
    out = tmp_path / "out"
    base = ["crawl", str(seeds), "--out", str(out), "--archive", fixture.url, "--dialect", "ia",
            *UNLIMITED, "-s", "PALIMPSEST_EXTRACT_WORKERS=1"]
    try:
        first = run_palimpsest(*base, "-s", "PALIMPSEST_EXTRACT_TIMEOUT=1")
        first_fetches = len(fixture.requests("web"))
        second = run_palimpsest(*base)
    finally:
        fixture.stop()
    assert first.returncode == 1, first.stderr[-3000:]  # a site failed: the summary says which
    assert "took longer than 1 s" in first.stderr and "sites that failed 1: huge.example" in first.stderr
    assert first_fetches == 3
    db = sqlite3.connect(out / "corpus.sqlite")
    assert second.returncode == 0, second.stderr[-3000:]
    assert len(fixture.requests("web")) - first_fetches == 1  # only the huge page, again
    files = sorted(str(p.relative_to(out / "policies")) for p in (out / "policies").rglob("*.md"))
    assert files == ["huge.example/20200101000000.md", "small.example/20200101000000.md"]
    assert db.execute("SELECT count(*) FROM errors WHERE message LIKE '%took longer than 1 s%'"
                      ).fetchone()[0] == 1
