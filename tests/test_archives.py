"""Several archives, one history (issue #22): two pywb collections on loopback as two archives,
and a loopback Common Crawl, merged into the timeline of each policy URL."""

from __future__ import annotations

import csv
import sqlite3

import pytest

from cc_fixture import CommonCrawlFixture
from conftest import EZINE_URL, UNLIMITED, change_history_captures, last_run, run_palimpsest
from crawler.archive.registry import ArchiveSpecError, parse_archives
from crawler.demo.pywb import PywbServer, free_port, make_collection
from crawler.demo.warcs import Capture, write_warc

SEEDS = f"site,url\nezinearticlesnetwork.com,{EZINE_URL}\n"


def _split():
    """The ezine history spread over two archives: A has the first capture, the substantive
    change and the typo; B the rest (so the bracket of the 'moved' change is B's), both hold the
    capture of 2013-06 (the same record in two archives), and B repeats A's changed payload at a
    time of its own (a digest A served: never fetched from B)."""
    caps = change_history_captures()
    again = Capture(EZINE_URL, "20130415000000", caps[3].body)
    a = [caps[0], caps[3], caps[4], caps[6]]
    b = [caps[1], caps[2], again, caps[4], caps[5], caps[7]]
    every = sorted([*caps, again], key=lambda c: c.timestamp)
    return a, b, every


@pytest.fixture(scope="module")
def two_archives(tmp_path_factory, wayback_bin):
    root = tmp_path_factory.mktemp("two-archives")
    a, b, every = _split()
    for name, caps in (("a", a), ("b", b), ("every", every)):
        make_collection(root, name, [write_warc(root / f"{name}.warc.gz", caps)], wayback_bin)
    with PywbServer(root, wayback_bin) as server:
        yield server


def _versions(out):
    rows = {}
    for f in sorted((out / "policies" / "ezinearticlesnetwork.com").glob("*.md")):
        header, _, body = f.read_text(encoding="utf-8").partition("\n")
        rows[f.stem] = (header, body)
    return rows


def _changes(out):
    with (out / "changes.csv").open(newline="") as fh:
        return [{k: r[k] for k in ("previous_timestamp", "timestamp", "changed_after", "changed_by",
                                   "kind", "words_added", "words_removed")} for r in csv.DictReader(fh)]


def test_two_archives_make_the_history_of_one(two_archives, tmp_path):
    seeds = tmp_path / "sites.csv"
    seeds.write_text(SEEDS)
    one, two = tmp_path / "one", tmp_path / "two"
    r = run_palimpsest("crawl", str(seeds), "--out", str(one), "--archive",
                       f"{two_archives.url}/every", *UNLIMITED)
    assert r.returncode == 0, r.stderr
    r = run_palimpsest("crawl", str(seeds), "--out", str(two), "--archive", f"{two_archives.url}/a",
                       "--archive", f"{two_archives.url}/b", *UNLIMITED)
    assert r.returncode == 0, r.stderr
    v1, v2 = _versions(one), _versions(two)
    assert list(v1) == list(v2) == ["20120630050010", "20130301000000", "20130901000000",
                                    "20140101000000", "20140601000000"]
    assert [b for _, b in v1.values()] == [b for _, b in v2.values()]
    # the first archive's captures link web.archive.org, as a one-archive crawl's; B's its own
    assert "on the Wayback Machine](https://web.archive.org/web/20130301000000id_/" in v2["20130301000000"][0]
    assert (f"[original snapshot in the archive at {two_archives.url.split('://')[1]}/b]"
            f"({two_archives.url}/b/20130901000000id_/http%3A//www.ezinearticlesnetwork.com/"
            "privacy-policy)") in v2["20130901000000"][0]
    assert _changes(one) == _changes(two)
    moved = next(c for c in _changes(two) if c["timestamp"] == "20130901000000")
    assert moved["changed_after"] == "20130601000000"  # the bracket closes on the shared capture
    typo = next(c for c in _changes(two) if c["timestamp"] == "20140101000000")
    assert typo["changed_after"] == "20130901000000"  # B's capture brackets A's change
    # one fetch per distinct payload, whichever archive lists it
    s1, s2 = last_run(one), last_run(two)
    assert s1["snapshot_requests"] == s2["snapshot_requests"] == 7
    db = sqlite3.connect(two / "corpus.sqlite")
    assert db.execute("SELECT count(*), count(DISTINCT digest) FROM fetches").fetchone() == (7, 7)
    per = dict(db.execute("SELECT archive, count(*) FROM captures GROUP BY archive"))
    assert per == {f"{two_archives.url}/a": 4, f"{two_archives.url}/b": 6}
    # the figures users compare: per archive, and the half-year slots each one fills
    a, b = s2["archives"]
    assert (a["captures"], b["captures"]) == (4, 6) and not a["failed"] and not b["failed"]
    assert a["payloads_served"] + b["payloads_served"] == 7
    cov = s2["coverage"]
    assert (cov["slots_first_archive"], cov["slots_all_archives"]) == (3, 5)
    # the report shows the same figures
    r = run_palimpsest("report", str(two))
    assert r.returncode == 0, r.stderr
    index = (two / "report" / "index.html").read_text(encoding="utf-8")
    assert "<h2>Archives</h2>" in index and "<strong>5</strong> with every archive, 3 with" in index
    r = run_palimpsest("report", str(one))
    assert "<h2>Archives</h2>" not in (one / "report" / "index.html").read_text(encoding="utf-8")
    # a second run asks each archive once per URL and fetches nothing
    r = run_palimpsest("crawl", str(seeds), "--out", str(two), "--archive", f"{two_archives.url}/a",
                       "--archive", f"{two_archives.url}/b", *UNLIMITED)
    assert r.returncode == 0, r.stderr
    again = last_run(two)
    assert (again["cdx_requests"], again["snapshot_requests"], again["captures_new"]) == (2, 0, 0)


def test_a_failing_archive_leaves_the_others_history(two_archives, tmp_path):
    seeds = tmp_path / "sites.csv"
    seeds.write_text(SEEDS)
    out = tmp_path / "out"
    dead = f"http://127.0.0.1:{free_port()}/gone"
    r = run_palimpsest("crawl", str(seeds), "--out", str(out), "--archive", f"{two_archives.url}/a",
                       "--archive", dead, *UNLIMITED)
    assert r.returncode == 1, r.stderr
    summary = last_run(out)
    failed = [a for a in summary["archives"] if a["failed"]]
    assert [a["archive"] for a in failed] == [dead] and failed[0]["unreachable"]
    assert "FAILED: nothing listens there" in r.stderr
    assert len(_versions(out)) == 3  # A's history is all there


def test_common_crawl_joins_the_timeline(two_archives, tmp_path):
    caps = change_history_captures()
    cc = CommonCrawlFixture(tmp_path / "cc", {
        "CC-MAIN-2013-20": [Capture(EZINE_URL, "20130515101010", caps[3].body),  # A's payload
                            Capture(EZINE_URL, "20130605101010", caps[5].body)],  # the move, earlier
        "CC-MAIN-2013-48": [],  # a crawl that never saw the URL: 404 'No Captures found'
        "CC-MAIN-2014-15": [Capture(EZINE_URL, "20140410101010", caps[7].body)],
    }, page_lines=1).start()  # one line a page: page 0 looks full, showNumPages, then page 1
    try:
        seeds = tmp_path / "sites.csv"
        seeds.write_text(SEEDS)
        out = tmp_path / "out"
        args = ["crawl", str(seeds), "--out", str(out), "--archive", f"{two_archives.url}/a",
                "--archive", f"cc={cc.url}", *UNLIMITED, "-s", "PALIMPSEST_429_PAUSE=0.2",
                "-s", "PALIMPSEST_CC_PAGE_CHECK=1"]
        r = run_palimpsest(*args)
        assert r.returncode == 0, r.stderr
        versions = _versions(out)
        assert list(versions) == ["20120630050010", "20130301000000", "20130605101010",
                                  "20140101000000", "20140410101010"]
        header = versions["20130605101010"][0]
        assert ("[original capture in Common Crawl](https://index.commoncrawl.org/CC-MAIN-2013-20-index"
                "?url=http%3A//www.ezinearticlesnetwork.com/privacy-policy&from=20130605101010"
                "&to=20130605101010&output=json)") in header
        changes = _changes(out)
        moved = next(c for c in changes if c["timestamp"] == "20130605101010")
        assert moved["changed_after"] == "20130601000000"
        typo = next(c for c in changes if c["timestamp"] == "20140101000000")
        assert typo["changed_after"] == "20130605101010"  # a Common Crawl capture brackets it
        summary = last_run(out)
        assert summary["rate_limited_429"] == 1  # the 503: paused and asked again
        figures = {a["archive"]: a for a in summary["archives"]}
        assert figures["cc"]["captures"] == 3
        # each distinct payload fetched once, from whichever archive listed it first (the one
        # A and Common Crawl both hold: from one of them)
        assert figures["cc"]["payloads"] + figures[f"{two_archives.url}/a"]["payloads"] == 5
        assert figures["cc"]["payloads"] in (2, 3)
        assert len(cc.data_requests()) == figures["cc"]["payloads"] + 1
        # page 0 of each crawl; 2013-20 and 2014-15 look full: their page count, 2013-20's page 1
        asked = cc.index_requests()
        assert len(asked) == 6 and sum("showNumPages=true" in p for p in asked) == 2
        assert sum("page=1" in p for p in asked) == 1
        # a crawl's index never changes: the next run asks only collinfo.json
        before = len(cc.requests)
        r = run_palimpsest(*args)
        assert r.returncode == 0, r.stderr
        assert cc.requests[before:] == ["/collinfo.json"]
    finally:
        cc.stop()


def test_archive_values():
    specs = parse_archives(["ia", "arquivo", "cc", "http://127.0.0.1:8080/coll", "mine=http://h/x"])
    assert [s.id for s in specs] == ["ia", "arquivo", "cc", "http://127.0.0.1:8080/coll", "mine"]
    assert (specs[1].cdx_per_minute, specs[2].cdx_per_minute, specs[2].slow_down) == (200, 60, (503,))
    assert specs[3].link == "http://127.0.0.1:8080/coll/{timestamp}id_/{url}"
    assert parse_archives(["http://127.0.0.1:8080/coll"])[0].link is None  # a one-archive crawl's
    for bad in (["ftp://x"], ["ia", "ia"], ["nope"]):
        with pytest.raises(ArchiveSpecError):
            parse_archives(bad)


def test_bad_archive_value_is_one_line(tmp_path):
    seeds = tmp_path / "s.csv"
    seeds.write_text(SEEDS)
    r = run_palimpsest("crawl", str(seeds), "--out", str(tmp_path / "o"), "--archive", "ia",
                       "--archive", "nowhere")
    assert r.returncode == 2 and "nowhere" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_each_archive_has_its_own_budget():
    """A 429 pause (or a block) on one archive's gate leaves the others' requests going."""
    import asyncio

    from scrapy.settings import Settings

    from crawler.archive.gates import GATE_META, RATE_META, SLOW_DOWN_META, RateGate
    from crawler.archive.registry import sources_for_crawl

    s = Settings()
    s.setmodule("crawler.settings", priority="project")
    ia, arquivo, cc = sources_for_crawl(["ia", "arquivo", "cc"], None, s)
    keys = {src.meta(kind)[GATE_META] for src in (ia, arquivo, cc) for kind in ("cdx", "snapshot")}
    assert len(keys) == 6
    assert (ia.meta("cdx")[RATE_META], arquivo.meta("cdx")[RATE_META]) == (24 / 60, 200 / 60)
    assert cc.meta("snapshot")[SLOW_DOWN_META] == (503,) and SLOW_DOWN_META not in ia.meta("cdx")
    assert ia.slot("cdx") == "wayback-cdx" and arquivo.slot("cdx") == "arquivo-cdx"
    gate = RateGate()
    gate.pause(ia.meta("cdx")[GATE_META], 3600)
    assert asyncio.run(asyncio.wait_for(gate.wait(arquivo.meta("cdx")[GATE_META]), 5))
    assert not asyncio.run(gate.wait(ia.meta("cdx")[GATE_META], stopping=lambda: True))
    # --cdx-per-minute given on the command line sets every archive's rate
    s.set("PALIMPSEST_CDX_PER_MINUTE", 0, priority="cmdline")
    assert all(src.rate("cdx") == 0 for src in sources_for_crawl(["ia", "arquivo", "cc"], None, s))
