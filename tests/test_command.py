"""The command as people and cron meet it (issue #14): bad values, exit codes, stopping,
file modes, read-only viewing commands."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, UNLIMITED, last_run, run_palimpsest
from ia_fixture import FixtureCapture, IAFixture
from pipelines.captures import surt_key

URL = "http://www.example-shop.test/privacy"


def page(text: str) -> bytes:
    return (f"<html><head><title>Privacy</title></head><body><div><h2>Privacy</h2><p>{text}</p>"
            "<p>We keep your order history for six years and never sell your personal data to "
            "advertisers or brokers.</p></div></body></html>").encode()


@pytest.fixture
def seeds(tmp_path) -> Path:
    p = tmp_path / "seeds.csv"
    p.write_text(f"site,url\nshop.test,{URL}\nother.test,http://other.test/privacy\n")
    return p


@pytest.mark.parametrize("args, named", [
    (["--archive", "not-a-url"], "not-a-url"),
    (["--every", "7q"], "7q"),
    (["--from", "banana"], "banana"),
    (["--from", "2020", "--to", "2010"], "2020"),
    (["--from", "2018-13-45"], "2018-13-45"),
    (["-s", "FOO"], "FOO"),
])
def test_bad_values_are_one_line_and_exit_2(tmp_path, seeds, args, named):
    r = run_palimpsest("crawl", str(seeds), "--out", str(tmp_path / "out"), *args)
    assert r.returncode == 2, r.stderr[-2000:]
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and named in lines[0] and "Traceback" not in r.stderr, r.stderr
    assert not (tmp_path / "out" / "last_run.json").exists()  # nothing ran


def test_bad_files_are_one_line_and_exit_2(tmp_path, seeds):
    a_file = tmp_path / "afile"
    a_file.write_text("x")
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("http://bücher.example/datenschutz\n".encode("latin-1"))
    for args, named in ((["crawl", str(seeds), "--out", str(a_file)], "afile"),
                        (["crawl", str(tmp_path), "--out", str(tmp_path / "o")], "is a folder"),
                        (["crawl", str(latin1), "--out", str(tmp_path / "o")], "latin1.txt"),
                        (["crawl", str(seeds), "--out", str(tmp_path / "o"), "--distributed",
                          "--redis", "redis://127.0.0.1:9/0"], "127.0.0.1:9")):
        r = run_palimpsest(*args)
        assert r.returncode == 2 and named in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)


def test_version():
    r = run_palimpsest("--version")
    assert r.returncode == 0 and r.stdout.startswith("palimpsest ")


def test_exit_code_1_names_the_site_that_failed_and_files_follow_the_umask(tmp_path, seeds):
    fixture = IAFixture([FixtureCapture(URL, "20150101000000", page("One.")),
                         FixtureCapture("http://other.test/privacy", "20150101000000", page("Two."))]).start()
    fixture.script.cdx_of[surt_key(URL)] = [500]  # shop.test's CDX query fails, the other is fine
    out = tmp_path / "out"
    try:
        old = os.umask(0o022)
        try:
            r = run_palimpsest("crawl", str(seeds), "--out", str(out), "--archive", fixture.url,
                               "--dialect", "ia", *UNLIMITED, "-s", "PALIMPSEST_RETRY_TIMES=0")
        finally:
            os.umask(old)
    finally:
        fixture.stop()
    assert r.returncode == 1, r.stderr[-2000:]
    summary = last_run(out)
    assert summary["failed_sites"] == ["shop.test"]
    assert "sites that failed 1: shop.test" in r.stderr
    files = list((out / "policies").rglob("*.md")) + [out / "changes.csv", out / "changes.jsonl"]
    assert files and all(stat.S_IMODE(f.stat().st_mode) == 0o644 for f in files), \
        [(f.name, oct(f.stat().st_mode)) for f in files]
    # viewing the change log does not rewrite it
    before = (out / "changes.csv").stat().st_mtime_ns
    assert run_palimpsest("changes", str(out)).returncode == 0
    assert (out / "changes.csv").stat().st_mtime_ns == before
    assert run_palimpsest("changes", str(out), "--since", "2018-13-45").returncode == 2


def test_sigterm_stops_a_paused_crawl_quickly_and_the_next_run_resumes(tmp_path, seeds):
    """A crawl paused for ten minutes by the archive's 429s stops within seconds of SIGTERM, with
    an honest summary; the same command then finishes the work."""
    caps = [FixtureCapture(URL, f"20{y}0101000000", page(f"Version {y}.")) for y in range(10, 16)]
    caps.append(FixtureCapture("http://other.test/privacy", "20150101000000", page("Two.")))
    fixture = IAFixture(caps).start()
    fixture.script.queue["web"] = [429]
    out = tmp_path / "out"
    args = [sys.executable, "-m", "crawler.cli", "crawl", str(seeds), "--out", str(out), "--archive",
            fixture.url, "--dialect", "ia", *UNLIMITED, "-s", "PALIMPSEST_429_PAUSE=600"]
    proc = subprocess.Popen(args, cwd=REPO, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    lines = []
    try:
        for line in proc.stderr:
            lines.append(line)
            if "pausing" in line:
                break
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, rest = proc.communicate(timeout=60)
        stopped_in = time.monotonic() - sent
        log = "".join(lines) + rest
        assert stopped_in < 15, (stopped_in, log[-3000:])
        assert proc.returncode == 1, log[-3000:]
        summary = last_run(out)
        assert summary["finish_reason"] == "shutdown" and summary["rate_limited_429"] == 1
        assert "Traceback" not in log
        again = run_palimpsest("crawl", str(seeds), "--out", str(out), "--archive", fixture.url,
                               "--dialect", "ia", *UNLIMITED)
        assert again.returncode == 0, again.stderr[-2000:]
        assert len(list((out / "policies").rglob("*.md"))) == 7
    finally:
        if proc.poll() is None:
            proc.kill()
        fixture.stop()
