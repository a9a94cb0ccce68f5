"""End to end: the real spider against pywb serving WARCs built from citp-dev pages."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import (REPO, UNLIMITED, WELCOME_CHANGE_1, WELCOME_CHANGE_2, WELCOME_NEW, citp,
                      last_run, run_palimpsest)
from pipelines.seedformat import read_document


def crawl(scenario, out: Path, *extra: str):
    result = run_palimpsest("crawl", scenario.seeds_csv, "--out", str(out), "--archive",
                            scenario.archive, *UNLIMITED, *extra)
    assert result.returncode == 0, result.stderr[-3000:]
    return result, last_run(out)


def versions_on_disk(out: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for f in sorted((out / "policies").glob("*/*.md")):
        found.setdefault(f.parent.name, []).append(f.stem)
    return found


def test_full_history_and_minimum_requests(scenario, tmp_path):
    out = tmp_path / "run"
    result, summary = crawl(scenario, out)
    assert versions_on_disk(out) == scenario.expect["versions"]
    # 1 + D per URL: one CDX query per URL, one fetch per distinct (status, digest).
    assert summary["cdx_requests"] == scenario.expect["cdx_requests"]
    assert summary["snapshot_requests"] == scenario.expect["snapshot_requests"]
    # the bad seed line is reported with its line number, the rest was crawled
    assert "sites.csv:6" in result.stderr and "ftp" in result.stderr
    db = sqlite3.connect(out / "corpus.sqlite")
    # every CDX row is indexed, including the revisit, the 404 and the identical recapture
    n = db.execute("SELECT count(*) FROM captures WHERE site='welcomegateapp.com'").fetchone()[0]
    assert n == 8
    rev = db.execute("SELECT payload_key, mimetype FROM captures WHERE timestamp='20160301000000'").fetchone()
    assert rev[1] == "warc/revisit" and rev[0].startswith("200:")  # resolved to the original payload
    moved = db.execute("SELECT outcome, location FROM fetches WHERE outcome='redirect'").fetchall()
    assert moved == [("redirect", WELCOME_NEW)]
    words, lang = db.execute("SELECT words, language FROM versions WHERE site='joyentcloud.com'").fetchone()
    assert words > 300 and lang == "en"


def test_version_files_match_reference_corpus(scenario, tmp_path):
    out = tmp_path / "run"
    crawl(scenario, out)
    for site in ("welcomegateapp.com", "joyentcloud.com", "hydeparkbooks.com"):
        meta, _, reference = citp(site)
        mine = (out / "policies" / site / f"{meta['timestamp']}.md").read_text(encoding="utf-8")
        assert mine.split("\n", 1)[0] == reference.split("\n", 1)[0], site  # header exact
        assert read_document(mine).site == site
    meta, _, reference = citp("welcomegateapp.com")
    mine = (out / "policies" / "welcomegateapp.com" / f"{meta['timestamp']}.md").read_text()
    assert mine == reference  # this page is reproduced byte for byte
    changed = (out / "policies" / "welcomegateapp.com" / "20170101000000.md").read_text()
    assert WELCOME_CHANGE_1 in changed and WELCOME_CHANGE_2 not in changed
    moved = (out / "policies" / "welcomegateapp.com" / "20180101000010.md").read_text()
    assert WELCOME_CHANGE_2 in moved
    assert "https://web.archive.org/web/20180101000010id_/http%3A//www.welcomegateapp.com/legal/privacy" in moved


def test_second_run_is_incremental(scenario, tmp_path):
    out = tmp_path / "run"
    crawl(scenario, out)
    before = {p: p.read_bytes() for p in (out / "policies").rglob("*.md")}
    _, summary = crawl(scenario, out)
    assert summary["snapshot_requests"] == 0
    assert summary["captures_new"] == 0
    assert summary["versions_written"] == 0
    assert {p: p.read_bytes() for p in (out / "policies").rglob("*.md")} == before


def test_date_range_and_sampling(scenario, tmp_path):
    out = tmp_path / "run"
    crawl(scenario, out, "--from", "2016", "--to", "2017")
    assert versions_on_disk(out) == {"welcomegateapp.com": ["20160301000000", "20170101000000"]}
    out2 = tmp_path / "sampled"
    _, summary = crawl(scenario, out2, "--every", "1y")
    # The first content capture of each year: welcome 2015; 2016 is the revisit of the 2015
    # payload (not fetched again; the HTML-only change later in 2016 is not picked); 2017; the
    # 2018 redirect and the new URL's 2018 capture. joyent 2011 (2012 is the same payload), hyde.
    assert summary["snapshot_requests"] == 6
    assert versions_on_disk(out2)["welcomegateapp.com"] == [
        "20150909233027", "20170101000000", "20180101000010"]


def test_scrapy_crawl_entry_point(scenario, tmp_path):
    out = tmp_path / "scrapy-run"
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "history", "-a", f"seeds={scenario.seeds_csv}",
         "-a", f"archive={scenario.archive}", "-s", f"PALIMPSEST_OUT={out}",
         "-s", "PALIMPSEST_CDX_PER_MINUTE=0", "-s", "PALIMPSEST_SNAPSHOTS_PER_SECOND=0"],
        cwd=REPO, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    assert versions_on_disk(out) == {
        "welcomegateapp.com": ["20150909233027", "20170101000000", "20180101000010"],
        "joyentcloud.com": ["20110611185923"], "hydeparkbooks.com": ["20081013214612"]}


def test_killed_runs_resume_without_loss_or_duplicates(scenario, tmp_path):
    import os
    import signal
    import time

    clean = tmp_path / "clean"
    crawl(scenario, clean)
    out = tmp_path / "killed"
    args = [sys.executable, "-m", "crawler.cli", "crawl", scenario.seeds_csv, "--out", str(out),
            "--archive", scenario.archive, "--cdx-per-minute", "120", "--snapshots-per-second", "2"]
    import random

    seed = int(os.environ.get("PALIMPSEST_KILL_SEED", time.time()))  # printed on failure
    rng = random.Random(seed)
    total = scenario.expect["snapshot_requests"]

    def fetched() -> int:
        try:
            db = sqlite3.connect(f"file:{out / 'corpus.sqlite'}?mode=ro", uri=True, timeout=0.2)
            try:
                return db.execute("SELECT count(*) FROM fetches").fetchone()[0]
            finally:
                db.close()
        except sqlite3.Error:  # not created yet, or its schema not yet
            return 0

    partial = []
    # kill -9 at random points of the work: once the index exists, then as soon as the corpus
    # holds a random number of fetches (polled: the kill point is a state, not a time)
    targets = [0] + sorted(rng.sample(range(1, total), 3))
    for target in targets:
        proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline and not (
                (out / "corpus.sqlite").exists() and fetched() >= target):
            time.sleep(0.01)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        partial.append(fetched())
    assert any(0 < n < scenario.expect["snapshot_requests"] for n in partial), (partial, seed)
    crawl(scenario, out)
    files = lambda root: {p.relative_to(root): p.read_bytes() for p in (root / "policies").rglob("*")  # noqa: E731
                          if p.is_file()}
    assert files(out) == files(clean), seed  # nothing lost, nothing extra, no temp files left
    db = sqlite3.connect(out / "corpus.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    ref = sqlite3.connect(clean / "corpus.sqlite")
    for table in ("captures", "fetches", "versions", "texts"):
        assert db.execute(f"SELECT count(*) FROM {table}").fetchone() == \
            ref.execute(f"SELECT count(*) FROM {table}").fetchone(), table


def test_demo_runs_the_whole_pipeline(wayback_bin, tmp_path):
    out = tmp_path / "demo"
    r = run_palimpsest("demo", "--out", str(out), env={"PALIMPSEST_PYWB": str(wayback_bin)})
    assert r.returncode == 0, r.stderr[-3000:]
    assert versions_on_disk(out) == {
        "acme-books.example": ["20150314101500", "20170517140000", "20180302110005"],
        "tinyapp.example": ["20190601120000", "20210707120000"]}
    assert len((out / "changes.csv").read_text().splitlines()) == 4  # header + 3 changes
    assert (out / "report" / "index.html").exists() and (out / "feeds" / "tinyapp.example.xml").exists()
    assert "2016-10-11 .. 2017-05-17" in r.stdout


def test_paused_with_jobdir_and_resumed(scenario, tmp_path):
    """Scrapy's JOBDIR works as Scrapy users expect: Ctrl-C keeps the queue on disk, the same
    command resumes it, and no payload is fetched twice across the two runs."""
    import os
    import signal
    import time

    clean = tmp_path / "clean"
    crawl(scenario, clean)
    out, jobdir = tmp_path / "paused", tmp_path / "job"
    args = [sys.executable, "-m", "crawler.cli", "crawl", scenario.seeds_csv, "--out", str(out),
            "--archive", scenario.archive, "--cdx-per-minute", "0", "--snapshots-per-second", "1",
            "-s", f"JOBDIR={jobdir}", "-s", "CONCURRENT_REQUESTS=1"]  # the rest waits on disk
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:  # interrupt once some but not all payloads are in
        time.sleep(0.3)
        try:  # the file can exist before its tables do
            if (out / "corpus.sqlite").exists() and sqlite3.connect(out / "corpus.sqlite").execute(
                    "SELECT count(*) FROM fetches").fetchone()[0] >= 2:
                break
        except sqlite3.OperationalError:
            continue
    os.kill(proc.pid, signal.SIGINT)  # Ctrl-C: Scrapy closes gracefully and keeps the queue
    _, stderr = proc.communicate(timeout=120)
    first = last_run(out)
    assert first["finish_reason"] == "shutdown", stderr[-2000:]
    assert 0 < first["snapshot_requests"] < scenario.expect["snapshot_requests"], stderr[-6000:]
    assert list((jobdir / "requests.queue").iterdir())  # the queue is on disk
    _, second = crawl(scenario, out, "-s", f"JOBDIR={jobdir}")
    assert second["finish_reason"] == "finished"
    assert first["snapshot_requests"] + second["snapshot_requests"] == scenario.expect["snapshot_requests"]
    assert first["cdx_requests"] + second["cdx_requests"] == scenario.expect["cdx_requests"]
    assert second["sites_done"] == second["sites_total"]  # restored requests are counted too
    _, third = crawl(scenario, out, "-s", f"JOBDIR={jobdir}")  # the job is over: a new incremental run
    assert (third["cdx_requests"], third["snapshot_requests"]) == (scenario.expect["cdx_requests"], 0)
    files = lambda root: {p.relative_to(root): p.read_bytes() for p in (root / "policies").rglob("*")  # noqa: E731
                          if p.is_file()}
    assert files(out) == files(clean)
