"""Snapshots kept, versions derived (issue #13): every fetched payload in OUT/snapshots/*.warc.gz,
valid after a kill, replayable in pywb; reextract rebuilds versions with the archive switched off;
ingest makes a corpus from WARC files with no HTTP at all."""

from __future__ import annotations

import sqlite3
import urllib.request
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from conftest import change_text, citp, run_palimpsest
from crawler.demo.pywb import PywbServer, make_collection
from crawler.demo.warcs import Capture, write_warc
from pipelines.captures import Outcome, payload_digest
from ia_fixture import FixtureCapture, IAFixture
from pipelines.corpus.warcfiles import SnapshotStore

URL = "http://www.shop.test/privacy"
OTHER = "https://shop.test/legal/privacy"  # the same payload at another urlkey: a revisit record


def pages():
    _, page, _ = citp("welcomegateapp.com")
    changed = change_text(page, "We do not provide services or sell products to children.",
                          "We do not knowingly collect information from children under 13.")
    return page, changed


def warc_records(out: Path) -> list:
    found = []
    for f in sorted((out / "snapshots").glob("*.warc.gz")):
        with f.open("rb") as fh:
            for r in ArchiveIterator(fh):
                found.append((r.rec_type, r.rec_headers.get_header("WARC-Target-URI"),
                              r.rec_headers.get_header("WARC-Date"),
                              r.rec_headers.get_header("WARC-Payload-Digest"),
                              r.http_headers.get_statuscode() if r.http_headers else None,
                              r.http_headers.get_header("Content-Type") if r.http_headers else None,
                              r.content_stream().read()))
    return found


@pytest.fixture
def crawled(tmp_path):
    page, changed = pages()
    caps = [FixtureCapture(URL, "20150909233027", page),
            FixtureCapture(URL, "20170101000000", changed),
            FixtureCapture(URL, "20180101000000", status=301, location=OTHER),
            FixtureCapture(OTHER, "20180101000010", changed)]
    fixture = IAFixture(caps).start()
    seeds = tmp_path / "seeds.csv"
    seeds.write_text(f"site,url\nshop.test,{URL}\n")
    out = tmp_path / "out"
    r = run_palimpsest("crawl", str(seeds), "--out", str(out), "--archive", fixture.url, "--dialect", "ia",
                       "--cdx-per-minute", "0", "--snapshots-per-second", "0")
    fixture.stop()  # from here on, nothing can be asked of the archive
    assert r.returncode == 0, r.stderr[-3000:]
    return out, seeds, page, changed


def test_every_fetched_payload_is_kept_as_warc(crawled):
    out, _, page, changed = crawled
    assert not list((out / "snapshots" / ".open").glob("*"))  # closed and moved into place
    records = warc_records(out)
    responses = [r for r in records if r[0] == "response"]
    assert {(r[1], r[2], r[4]) for r in responses} == {
        (URL, "2015-09-09T23:30:27Z", "200"), (URL, "2017-01-01T00:00:00Z", "200"),
        (URL, "2018-01-01T00:00:00Z", "301")}
    body = {r[2]: r for r in responses}["2015-09-09T23:30:27Z"]
    assert body[6] == page and body[3] == f"sha1:{payload_digest(page)}"
    assert body[5].startswith("text/html")  # X-Archive-Orig-Content-Type back to Content-Type
    revisit = [r for r in records if r[0] == "revisit"]
    assert [(r[1], r[3]) for r in revisit] == [(OTHER, f"sha1:{payload_digest(changed)}")]
    assert any(r[0] == "metadata" and b"via: http://127.0.0.1" in r[6] for r in records)
    assert any(r[0] == "warcinfo" for r in records)


def test_reextract_rebuilds_versions_without_the_archive(crawled):
    out, _, _, _ = crawled
    files = {p.relative_to(out): p.read_bytes() for p in (out / "policies").rglob("*.md")}
    changes = (out / "changes.csv").read_text()
    db = sqlite3.connect(out / "corpus.sqlite")
    # an older extractor's output: texts that differ, versions gone, change log stale
    db.execute("UPDATE fetches SET text_hash='stale' WHERE outcome='text'")
    db.execute("DELETE FROM versions")
    db.commit()
    db.close()
    for p in (out / "policies").rglob("*.md"):
        p.unlink()
    r = run_palimpsest("reextract", str(out))
    assert r.returncode == 0, r.stderr[-3000:]
    assert "no archive request" in r.stderr
    assert {p.relative_to(out): p.read_bytes() for p in (out / "policies").rglob("*.md")} == files
    assert (out / "changes.csv").read_text() == changes


def test_reextract_with_a_lost_snapshot_file_names_it_and_keeps_the_text(crawled):
    out, _, _, _ = crawled
    files = {p.relative_to(out): p.read_bytes() for p in (out / "policies").rglob("*.md")}
    for f in (out / "snapshots").glob("*.warc.gz"):
        f.write_bytes(b"not a warc any more")
    r = run_palimpsest("reextract", str(out))
    assert r.returncode == 1 and "its text is left as it was" in r.stderr, r.stderr[-2000:]
    assert {p.relative_to(out): p.read_bytes() for p in (out / "policies").rglob("*.md")} == files


def test_our_snapshots_replay_in_pywb(crawled, wayback_bin, tmp_path):
    out, _, page, _ = crawled
    root = tmp_path / "replay"
    make_collection(root, "mine", sorted((out / "snapshots").glob("*.warc.gz")), wayback_bin)
    with PywbServer(root, wayback_bin) as server:
        got = urllib.request.urlopen(f"{server.url}/mine/20150909233027id_/{URL}", timeout=30).read()
    assert got == page


def test_a_killed_run_leaves_valid_warcs(tmp_path):
    store = SnapshotStore(tmp_path)
    refs = [store.write_response(URL, f"2015010{i}000000", 200, [("Content-Type", "text/html")],
                                 f"<p>payload {i}</p>".encode() * 50, None) for i in range(1, 4)]
    store.fh.flush()
    open_file = store.open_dir / store.name
    data = open_file.read_bytes()
    store.fh.close()  # as a kill -9 leaves it: open, the last record cut in the middle
    open_file.write_bytes(data[: refs[-1].offset + refs[-1].length // 2])
    again = SnapshotStore(tmp_path)  # the next run
    assert not list(again.open_dir.glob("*"))
    kept = list((tmp_path / "snapshots").glob("*.warc.gz"))
    assert len(kept) == 1
    with kept[0].open("rb") as fh:
        bodies = [r.content_stream().read() for r in ArchiveIterator(fh) if r.rec_type == "response"]
    assert bodies == [f"<p>payload {i}</p>".encode() * 50 for i in (1, 2)]
    assert again.read(refs[0])[0] == bodies[0]


def test_ingest_a_warc_with_no_server(tmp_path):
    page, changed = pages()
    warc = write_warc(tmp_path / "theirs.warc.gz", [
        Capture("http://shop.test:80/privacy", "20150909233027", page),  # another spelling: same urlkey
        Capture("https://www.shop.test/privacy", "20160101000000", page, revisit=True),
        Capture("http://www.shop.test/privacy", "20170101000000", changed),
        Capture("http://www.shop.test/about", "20170101000000", b"<html>not a policy</html>"),
    ])
    seeds = tmp_path / "seeds.csv"
    seeds.write_text(f"site,url\nshop.test,{URL}\n")
    out = tmp_path / "out"
    r = run_palimpsest("ingest", str(warc), "--seeds", str(seeds), "--out", str(out))
    assert r.returncode == 0, r.stderr[-3000:]
    versions = sorted(p.stem for p in (out / "policies" / "shop.test").glob("*.md"))
    assert versions == ["20150909233027", "20170101000000"]
    db = sqlite3.connect(out / "corpus.sqlite")
    assert db.execute("SELECT count(*) FROM captures").fetchone()[0] == 3  # /about is not a seed
    assert db.execute("SELECT count(*) FROM fetches").fetchone()[0] == 2  # the revisit: no payload
    rows = list(open(out / "changes.csv"))
    assert len(rows) == 2  # header + one change
    first = (out / "policies" / "shop.test" / "20150909233027.md").read_text()
    assert "archived on 2015-09-09" in first and "http%3A//shop.test%3A80/privacy" in first
    # an ingested corpus can be re-derived too
    assert run_palimpsest("reextract", str(out)).returncode == 0


def test_no_snapshots_option(tmp_path):
    page, _ = pages()
    fixture = IAFixture([FixtureCapture(URL, "20150909233027", page)]).start()
    seeds = tmp_path / "seeds.csv"
    seeds.write_text(f"site,url\nshop.test,{URL}\n")
    try:
        r = run_palimpsest("crawl", str(seeds), "--out", str(tmp_path / "o"), "--archive", fixture.url,
                           "--dialect", "ia", "--no-snapshots", "--cdx-per-minute", "0")
    finally:
        fixture.stop()
    assert r.returncode == 0 and not (tmp_path / "o" / "snapshots").exists()


# -- kill -9 during ingest and reextract: the same command resumes to the same corpus -----------
CITP_PAGES = ["welcomegateapp.com", "gyftr.com", "joyentcloud.com", "kickerstart.com", "zaptunes.com"]


def many_sites_warc(path: Path, sites: int = 36, captures: int = 4) -> tuple[Path, Path]:
    """A WARC of ``sites`` policies with ``captures`` different versions each (a paragraph
    inserted at the policy's end, so each one is a real text change)."""
    caps = []
    for n in range(sites):
        _, page, ref = citp(CITP_PAGES[n % len(CITP_PAGES)])
        # a words-only line of the policy body, found as such in the page: the change goes there
        anchor = next(line[:40] for line in ref.splitlines()[4:]
                      if len(line) > 60 and line[:40].isascii() and line[:40].encode() in page
                      and all(ch.isalnum() or ch in " ,.'" for ch in line[:40]))
        for c in range(captures):
            body = change_text(page, anchor, f"Amendment {n}-{c}: we changed this policy on day {c}. "
                                             + anchor)
            caps.append(Capture(f"http://site{n:02d}.test/privacy", f"20{10 + c:02d}0101000000", body))
    seeds = path.parent / "many-seeds.csv"
    seeds.write_text("site,url\n" + "".join(f"site{n:02d}.test,http://site{n:02d}.test/privacy\n"
                                            for n in range(sites)))
    return write_warc(path, caps), seeds


def corpus_state(out: Path) -> dict:
    """What a user reads: version files, change log, versions and fetch outcomes."""
    db = sqlite3.connect(out / "corpus.sqlite")
    try:
        return {
            "files": {str(p.relative_to(out)): p.read_bytes()
                      for p in sorted((out / "policies").rglob("*.md"))},
            "changes": (out / "changes.csv").read_text(),
            "versions": db.execute("SELECT site, timestamp, url, text_hash FROM versions "
                                   "ORDER BY site, timestamp").fetchall(),
            "fetches": db.execute("SELECT payload_key, outcome, text_hash FROM fetches "
                                  "ORDER BY payload_key").fetchall(),
            "captures": db.execute("SELECT count(*) FROM captures").fetchone()[0],
        }
    finally:
        db.close()


def count(out: Path, sql: str) -> int:
    try:
        db = sqlite3.connect(f"file:{out / 'corpus.sqlite'}?mode=ro", uri=True, timeout=0.2)
        try:
            return db.execute(sql).fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:  # not created yet, or its schema not yet
        return 0


def kill_when(args: list[str], ready, timeout: float = 120) -> None:
    """Start the command, SIGKILL it as soon as ``ready()`` holds (polled; no fixed sleep)."""
    import subprocess
    import sys
    import time

    from conftest import REPO

    proc = subprocess.Popen([sys.executable, "-m", "crawler.cli", *args], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    try:
        while not ready():
            assert proc.poll() is None, "the command ended before the kill point: make the input bigger"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        workers = children(proc.pid)
        proc.kill()
    finally:
        proc.wait()
    # its worker processes die with it (they used to stay, idle, holding memory)
    while any(alive(pid) for pid in workers):
        assert time.monotonic() < deadline, f"workers {workers} outlived the killed command"
        time.sleep(0.01)


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def all_warcs_valid(out: Path) -> None:
    for f in (out / "snapshots").glob("*.warc.gz"):
        with f.open("rb") as fh:
            for r in ArchiveIterator(fh):
                r.content_stream().read()
    assert not list((out / "snapshots" / ".open").glob("*")) if (out / "snapshots" / ".open").exists() else True


@pytest.mark.parametrize("phase", ["indexing", "extracting"])
def test_ingest_killed_resumes_to_the_same_corpus(tmp_path, phase, monkeypatch):
    # small batches of index writes, so that the kill lands between and inside them on this
    # small input (a batch is 256 units by default; a killed run does its last one again)
    monkeypatch.setenv("PALIMPSEST_COMMIT_EVERY", "4")
    warc, seeds = many_sites_warc(tmp_path / "theirs.warc.gz")
    clean = tmp_path / "clean"
    assert run_palimpsest("ingest", str(warc), "--seeds", str(seeds), "--out", str(clean)).returncode == 0
    want = corpus_state(clean)
    assert len(want["versions"]) == 36 * 4 and want["captures"] == 36 * 4

    out = tmp_path / "killed"
    if phase == "indexing":  # captures being indexed and payloads copied, nothing extracted yet
        ready = lambda: count(out, "SELECT count(*) FROM captures") >= 20  # noqa: E731
    else:  # texts being stored
        ready = lambda: count(out, "SELECT count(*) FROM fetches") >= 20  # noqa: E731
    kill_when(["ingest", str(warc), "--seeds", str(seeds), "--out", str(out)], ready)
    r = run_palimpsest("ingest", str(warc), "--seeds", str(seeds), "--out", str(out))
    assert r.returncode == 0, r.stderr[-3000:]
    all_warcs_valid(out)
    assert corpus_state(out) == want


def test_reextract_killed_resumes_to_the_same_corpus(tmp_path, monkeypatch):
    import shutil

    monkeypatch.setenv("PALIMPSEST_COMMIT_EVERY", "4")  # kills between and inside batches

    warc, seeds = many_sites_warc(tmp_path / "theirs.warc.gz")
    base = tmp_path / "base"
    assert run_palimpsest("ingest", str(warc), "--seeds", str(seeds), "--out", str(base)).returncode == 0
    want = corpus_state(base)
    # As if an older extractor had written every text: reextract has all of them to redo.
    db = sqlite3.connect(base / "corpus.sqlite")
    with db:
        db.execute("INSERT INTO texts SELECT 'old-' || text_hash, title, markdown, words, language, "
                   "encoding, 'older/1' FROM texts")
        db.execute("UPDATE fetches SET text_hash = 'old-' || text_hash WHERE text_hash IS NOT NULL")
    db.close()
    out = tmp_path / "killed"
    shutil.copytree(base, out)
    kill_when(["reextract", str(out)],
              lambda: 0 < count(out, "SELECT count(*) FROM fetches WHERE text_hash NOT LIKE 'old-%'") < 100)
    r = run_palimpsest("reextract", str(out))
    assert r.returncode == 0, r.stderr[-3000:]
    all_warcs_valid(out)
    assert corpus_state(out) == want


def test_the_coordinator_keeps_a_shipped_payload_once(tmp_path):
    """A distributed job's fetch carries its payload; the coordinator's Replay writes it to its
    snapshots once, even when the op comes twice (a worker killed after sending it, or the
    coordinator stopped between taking and applying it), and a repeat of its digest is a revisit."""
    from pipelines.corpus.oplog import Replay, apply_op, encode_op
    from pipelines.corpus.store import CorpusStore
    from pipelines.items import Fetch, SnapshotBody

    body = b"<p>the policy</p>" * 20
    digest = payload_digest(body)

    def fetch(key, url, ts):
        keep = SnapshotBody(url, ts, 200, (("Content-Type", "text/html"),), body, digest, digest)
        return encode_op("record_fetch", {"fetch": Fetch(key, ts, url, 200, digest, Outcome.NO_TEXT,
                                                         keep=keep)})

    replay = Replay(CorpusStore(tmp_path), SnapshotStore(tmp_path))
    first = fetch("200:a", "http://a.test/p", "20200101000000")
    for raw in (first, first, fetch("200:b", "http://b.test/p", "20210101000000")):
        apply_op(replay, raw)
    replay.close()
    kinds = [(kind, url) for kind, url, *_ in warc_records(tmp_path) if kind in ("response", "revisit")]
    assert kinds == [("response", "http://a.test/p"), ("revisit", "http://b.test/p")]
    rows = CorpusStore(tmp_path).fetches.snapshot_rows()
    assert [(r.payload_key, r.kind) for r in rows] == [("200:a", "response"), ("200:b", "revisit")]
