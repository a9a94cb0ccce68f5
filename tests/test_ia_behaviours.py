"""Internet Archive behaviours pywb lacks, against a local fixture server: JSON-array CDX with
resumeKey paging, rewritten redirects, 302-to-nearest, 429 storms, refused connections, 5xx."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

import subprocess
import sys

from conftest import REPO, citp, last_run, run_palimpsest
from crawler.demo.pywb import free_port
from ia_fixture import FixtureCapture, IAFixture

POLICY = "http://www.example-shop.test/privacy"
MOVED = "http://www.example-shop.test/legal/privacy-notice"


def page(text: str) -> bytes:
    return (f"<html><head><title>Example Shop Privacy</title></head><body><div id='main'>"
            f"<h1>Privacy</h1><p>{text}</p><p>We keep your order history for six years and never "
            f"sell your personal data to advertisers or brokers.</p></div></body></html>").encode()


def history() -> list[FixtureCapture]:
    return [
        FixtureCapture(POLICY, "20100101000000", page("Version one of our policy text.")),
        FixtureCapture(POLICY, "20100601000000", page("Version one of our policy text.")),
        FixtureCapture(POLICY, "20110101000000", page("Version two of our policy text.")),
        FixtureCapture(POLICY, "20120101000000", status=301, location=MOVED),
        FixtureCapture(POLICY, "20130101000000", status=301, location=MOVED),
        FixtureCapture(MOVED, "20120101000003", page("Version three, at a new address.")),
    ]


@pytest.fixture
def fixture():
    f = IAFixture(history()).start()
    yield f
    f.stop()


def seeds(tmp_path: Path) -> str:
    p = tmp_path / "seeds.txt"
    p.write_text(f"# plain list of URLs\n{POLICY}\n")
    return str(p)


def crawl(fixture_url: str, tmp_path: Path, *settings: str, rates=("0", "0")):
    out = tmp_path / "out"
    args = ["crawl", seeds(tmp_path), "--out", str(out), "--archive", fixture_url, "--dialect", "ia",
            "--cdx-per-minute", rates[0], "--snapshots-per-second", rates[1]]
    for s in settings:
        args += ["-s", s]
    result = run_palimpsest(*args)
    assert result.returncode == 0, result.stderr[-3000:]
    return out, last_run(out), result


def test_ia_dialect_paging_and_rewritten_redirects(fixture, tmp_path):
    out, summary, _ = crawl(fixture.url, tmp_path, "PALIMPSEST_CDX_PAGE_SIZE=2")
    # 5 rows of the policy URL at 2 per page: 3 pages, plus the last second of each of the 2 full
    # pages asked again (IA's resumeKey skips a same-second capture); 1 page for the moved URL
    assert len(fixture.requests("cdx")) == 6
    # distinct payloads: v1, v2, the redirect (both 301s share digest and URL), v3 at the new URL
    assert len(fixture.requests("web")) == 4
    versions = sorted(p.stem for p in (out / "policies" / "example-shop.test").glob("*.md"))
    assert versions == ["20100101000000", "20110101000000", "20120101000003"]
    db = sqlite3.connect(out / "corpus.sqlite")
    assert db.execute("SELECT count(*) FROM captures").fetchone()[0] == 6  # page-edge repeats dropped
    assert db.execute("SELECT location FROM fetches WHERE outcome='redirect'").fetchone()[0] == MOVED


def test_request_spacing_respects_rates(fixture, tmp_path):
    crawl(fixture.url, tmp_path, rates=("120", "4"))  # 0.5 s between CDX, 0.25 s between snapshots
    for kind, gap in (("cdx", 0.5), ("web", 0.25)):
        times = [t for t, *_ in fixture.requests(kind)]
        assert len(times) >= 2
        assert min(b - a for a, b in zip(times, times[1:])) >= gap * 0.95, (kind, times)
    # keep-alive: many new TCP connections alone can get an IP refused by the archive
    assert len(fixture.connections) <= 2 < len(fixture.requests()), fixture.connections


def test_429_pauses_the_slot_with_growing_backoff(fixture, tmp_path):
    fixture.script.queue["web"] = [429] * 8  # two waves of 429s at concurrency 4
    _, summary, result = crawl(fixture.url, tmp_path, "PALIMPSEST_429_PAUSE=1.5")
    web = fixture.requests("web")
    refused = [t for t, _, _, status in web if status == 429]
    assert len(refused) == 8 and summary["rate_limited_429"] == 8
    # No request was sent during a pause: none arrived between a 429 and the pause's end
    # (requests already in flight when the 429 came back arrive within milliseconds).
    for t429 in refused:
        assert not [t for t, *_ in web if t429 + 0.1 < t < t429 + 1.5 * 0.95], t429
    # The archive kept refusing after the first pause: the next pause doubled.
    waves = [refused[0]] + [b for a, b in zip(refused, refused[1:]) if b - a > 0.5]
    assert len(waves) >= 3, refused
    assert waves[1] - waves[0] >= 1.5 * 0.95 and waves[2] - waves[1] >= 3.0 * 0.95
    assert len([r for r in web if r[3] != 429]) == 4  # every payload (3 pages, 1 redirect) once
    assert "429" in result.stderr and "pausing" in result.stderr


def test_5xx_retried_later(fixture, tmp_path):
    fixture.script.queue["cdx"] = [504]
    fixture.script.queue["web"] = [503]
    out, summary, _ = crawl(fixture.url, tmp_path, "PALIMPSEST_RETRY_DELAY=0.5")
    cdx = fixture.requests("cdx")
    assert cdx[0][3] == 504 and cdx[1][3] == 200 and cdx[1][0] - cdx[0][0] >= 0.45
    assert summary["errors"] == 0
    assert len(list((out / "policies").rglob("*.md"))) == 3


def test_refused_connection_pauses_long_on_the_internet_archive(tmp_path):
    """On the Internet Archive a refused connection is an IP block: one refusal, then a long
    pause, not a retry storm. The archive starts listening only once the crawl has logged the
    refusal (read from its stderr), so no timing is assumed."""
    port = free_port()
    out = tmp_path / "out"
    args = [sys.executable, "-m", "crawler.cli", "crawl", seeds(tmp_path), "--out", str(out),
            "--archive", f"http://127.0.0.1:{port}", "--dialect", "ia", "--cdx-per-minute", "0",
            "--snapshots-per-second", "0", "-s", "PALIMPSEST_REFUSED_PAUSE=3",
            "-s", "PALIMPSEST_REFUSED_IS_BLOCK=true"]
    proc = subprocess.Popen(args, cwd=REPO, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            text=True)
    lines, fixture = [], None
    try:
        for line in proc.stderr:
            lines.append(line)
            if fixture is None and "Connection to the archive refused" in line:
                refused_at = time.time()
                fixture = IAFixture(history(), port=port).start()
        assert proc.wait(timeout=120) == 0, "".join(lines)[-3000:]
        assert fixture is not None, "".join(lines)[-3000:]
        summary = last_run(out)
        assert summary["connection_refused"] == 1, (summary, "".join(lines)[-3000:])
        assert fixture.requests()[0][0] - refused_at >= 2.5  # the pause held the slot
        assert len(list((out / "policies").rglob("*.md"))) == 3
    finally:
        if proc.poll() is None:
            proc.kill()
        if fixture:
            fixture.stop()


def test_refused_connection_to_own_archive_fails_fast(tmp_path):
    """Nothing listens at a local archive: every site fails within seconds with a message that
    says so (no hour-long pause), and the run's exit code says nothing was crawled."""
    port = free_port()
    out = tmp_path / "out"
    t0 = time.time()
    result = run_palimpsest("crawl", seeds(tmp_path), "--out", str(out), "--archive",
                            f"http://127.0.0.1:{port}/coll", "--cdx-per-minute", "0", timeout=60)
    assert time.time() - t0 < 30
    assert result.returncode == 3, result.stderr[-2000:]  # nothing could be crawled
    assert f"Nothing listens at 127.0.0.1:{port}" in result.stderr
    assert "pausing" not in result.stderr
    summary = last_run(out)
    assert summary["archive_unreachable"] == 1 and summary["errors"] >= 1


def test_archive_redirect_to_nearest_is_recorded_not_followed(tmp_path):
    _, body, _ = citp("kickerstart.com")
    caps = [FixtureCapture(POLICY, "20140714044142", body),
            FixtureCapture(POLICY, "20150101000000", page("a capture IA cannot replay"),
                           served_timestamp="20140714044142")]
    fixture = IAFixture(caps).start()
    try:
        out, summary, result = crawl(fixture.url, tmp_path)
        paths = sorted(p for _, kind, p, _ in fixture.requests("web"))
        assert paths == [f"/web/20140714044142id_/{POLICY}", f"/web/20150101000000id_/{POLICY}"]
        db = sqlite3.connect(out / "corpus.sqlite")
        row = db.execute("SELECT outcome, location_timestamp FROM fetches WHERE timestamp='20150101000000'"
                         ).fetchone()
        assert row == ("archive-redirect", "20140714044142")
        assert "not followed" in result.stderr
        versions = sorted(p.stem for p in (out / "policies").rglob("*.md"))
        assert versions == ["20140714044142"]
    finally:
        fixture.stop()


BACKLOG_PROBE = '''
import json
from scrapy import signals


class BacklogProbe:
    """Requests the scheduler holds (scheduled, not yet handed to the downloader): the largest."""

    def __init__(self, crawler, path):
        self.path, self.now, self.most = path, 0, 0
        crawler.signals.connect(self.scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(self.left, signal=signals.request_reached_downloader)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, crawler.settings.get("BACKLOG_PROBE_FILE"))

    def scheduled(self, request, spider):
        self.now += 1
        self.most = max(self.most, self.now)

    def left(self, request, spider):
        self.now -= 1

    def closed(self, spider):
        with open(self.path, "w") as f:
            json.dump({"most": self.most}, f)
'''


def test_seeds_are_read_as_the_crawl_makes_room_for_them(tmp_path):
    """A seed file of many sites is not turned into one request per site up front: the scheduler
    holds the requests of the sites in flight only (memory flat in the number of sites), and
    every site is still crawled."""
    sites = 400
    caps = [FixtureCapture(f"http://www.site{i:04d}.test/privacy", ts, page(f"Site {i} policy, {ts[:4]}."))
            for i in range(sites) for ts in ("20150101000000", "20180101000000")]
    fixture = IAFixture(caps).start()
    try:
        (tmp_path / "probe").mkdir()
        (tmp_path / "probe" / "backlog_probe.py").write_text(BACKLOG_PROBE)
        (tmp_path / "seeds.txt").write_text("".join(f"http://www.site{i:04d}.test/privacy\n"
                                                    for i in range(sites)))
        out = tmp_path / "out"
        result = run_palimpsest(
            "crawl", str(tmp_path / "seeds.txt"), "--out", str(out), "--archive", fixture.url,
            "--dialect", "ia", "--cdx-per-minute", "0", "--snapshots-per-second", "0", "-q",
            "-s", 'EXTENSIONS={"crawler.components.progress.ProgressReporter": 500, '
                  '"backlog_probe.BacklogProbe": 0}',
            "-s", f"BACKLOG_PROBE_FILE={tmp_path / 'backlog.json'}",
            env={"PYTHONPATH": str(tmp_path / "probe")}, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
    finally:
        fixture.stop()
    summary = last_run(out)
    assert summary["corpus"]["versions"] == 2 * sites
    assert len(fixture.requests("cdx")) == sites and len(fixture.requests("web")) == 2 * sites
    # read all at once, the seeds would put one CDX query per site (400) in the scheduler; read as
    # room is made, it holds at most what the downloader's 16 slots' sites asked for
    most = json.loads((tmp_path / "backlog.json").read_text())["most"]
    assert most < 100, most
