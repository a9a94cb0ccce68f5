"""Watch live policies and archive every change with Save Page Now (issue #15), against a local
live site and a local Save Page Now (tests/live_fixture.py)."""

from __future__ import annotations

import csv
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, last_run, run_palimpsest
from live_fixture import LiveSite, SavePageNow

POLICY = ("<h2>What we collect</h2><p>We collect your name and e-mail address when you sign up, and "
          "the pages you read on our site.</p><h2>Sharing</h2><p>We never sell your personal data. "
          "Our hosting provider processes it on our behalf.</p>")


def page(extra: str = "") -> bytes:
    return (f"<html><head><title>Privacy Policy</title></head><body><nav><a href='/'>Home</a></nav>"
            f"<main><h1>Privacy Policy</h1>{POLICY}{extra}</main></body></html>").encode()


@pytest.fixture
def servers():
    site, spn = LiveSite().start(), SavePageNow().start()
    yield site, spn
    site.stop()
    spn.stop()


def seeds_file(tmp_path: Path, site: LiveSite, rows: list[tuple[str, str]]) -> Path:
    p = tmp_path / "seeds.csv"
    p.write_text("site,url\n" + "".join(f"{name},{site.url}{path}\n" for name, path in rows))
    return p


def watch(seeds: Path, out: Path, spn: SavePageNow, *extra: str):
    r = run_palimpsest("watch", str(seeds), "--out", str(out), "--save-api", f"{spn.url}/save/",
                       "-s", "PALIMPSEST_SAVES_PER_MINUTE=0", "-s", "PALIMPSEST_SAVE_RETRY_DELAY=0",
                       "-s", "PALIMPSEST_SAVE_TRIES=1", *extra)
    return r


def versions(out: Path, site: str) -> list[Path]:
    return sorted((out / "policies" / site).glob("*.md"))


def test_watch_lifecycle(servers, tmp_path):
    site, spn = servers
    site.pages["/privacy"] = page()
    site.pages["/legal/privacy"] = page("<p>Moved here.</p>")
    site.moved["/old-privacy"] = "/legal/privacy"
    site.pages["/private/policy"] = page()
    seeds = seeds_file(tmp_path, site, [("a.test", "/privacy"), ("b.test", "/old-privacy"),
                                        ("c.test", "/private/policy"), ("d.test", "/gone")])
    out = tmp_path / "out"

    # 1. first check: two policies, each saved once; robots.txt and a 404 respected
    r = watch(seeds, out, spn)
    assert r.returncode == 0, r.stderr[-3000:]
    assert len(spn.saved) == 2
    first = versions(out, "a.test")
    assert len(first) == 1
    saved_ts = dict((u, t) for u, t in spn.saved)[f"{site.url}/privacy"]
    assert first[0].read_text().startswith(
        "> *The following text is extracted and transformed from the a.test privacy policy that was "
        f"archived on {saved_ts[:4]}-{saved_ts[4:6]}-{saved_ts[6:8]}. Please check the [original "
        f"snapshot on the Wayback Machine](https://web.archive.org/web/{saved_ts}id_/")
    assert "Moved here." in versions(out, "b.test")[0].read_text()
    db = sqlite3.connect(out / "corpus.sqlite")
    assert (f"{site.url}/legal/privacy",) in db.execute("SELECT url FROM urls WHERE site='b.test'").fetchall()
    assert not site.requests("/private/") and "disallowed by robots.txt" in r.stderr
    assert not (out / "policies" / "d.test").exists() and "HTTP 404" in r.stderr
    db.close()

    # 2. nothing changed: conditional requests, no save, only "last seen" moves
    r = watch(seeds, out, spn)
    assert r.returncode == 0, r.stderr[-3000:]
    assert len(spn.saved) == 2 and len(versions(out, "a.test")) == 1
    assert site.requests("/privacy")[-1][1].get("if-none-match")
    summary = last_run(out)
    assert summary["live_unchanged"] == 2 and summary["save_requests"] == 0
    db = sqlite3.connect(out / "corpus.sqlite")
    seen = db.execute("SELECT timestamp FROM captures WHERE site='a.test' AND digest='live-seen'").fetchall()
    assert len(seen) == 1
    db.close()

    # 3. the policy changes: a new version, saved, a change bracketed by the last unchanged check
    site.pages["/privacy"] = page("<h2>Advertising</h2><p>We now share your e-mail address with "
                                  "advertising partners.</p>")
    r = watch(seeds, out, spn)
    assert r.returncode == 0, r.stderr[-3000:]
    assert len(spn.saved) == 3 and len(versions(out, "a.test")) == 2
    rows = [row for row in csv.DictReader((out / "changes.csv").open()) if row["site"] == "a.test"]
    assert len(rows) == 1 and rows[0]["source"] == "live"
    assert rows[0]["changed_after"] == seen[0][0]
    assert rows[0]["changed_by"] == versions(out, "a.test")[-1].stem
    assert run_palimpsest("report", str(out)).returncode == 0
    assert "seen live" in (out / "report" / "a.test.html").read_text()
    assert "seen live" in (out / "feeds" / "a.test.xml").read_text()

    # 4. Save Page Now refuses (429): the version is kept, marked live, and not hammered
    spn.script = [429]
    site.pages["/privacy"] = page("<p>A third version.</p>")
    r = watch(seeds, out, spn)
    assert r.returncode == 0, r.stderr[-3000:]
    newest = versions(out, "a.test")[-1].read_text()
    assert "as served live at" in newest and "not archived in the Wayback Machine yet" in newest
    assert len(spn.requests("/save/")) == 4  # one refused request, no retry storm

    # 5. the next run asks again and the header becomes the snapshot's
    r = watch(seeds, out, spn)
    assert r.returncode == 0, r.stderr[-3000:]
    newest = versions(out, "a.test")[-1].read_text()
    assert newest.startswith("> *The following text is extracted") and "web.archive.org/web/" in newest


def test_no_save_and_a_later_crawl_of_the_saved_capture(servers, tmp_path):
    site, spn = servers
    site.pages["/privacy"] = page()
    seeds = seeds_file(tmp_path, site, [("a.test", "/privacy")])
    out = tmp_path / "out"
    r = watch(seeds, out, spn, "--no-save")
    assert r.returncode == 0, r.stderr[-3000:]
    assert not spn.requests() and "as served live at" in versions(out, "a.test")[0].read_text()


def test_a_killed_watch_loses_nothing(servers, tmp_path):
    site, spn = servers
    for n in range(4):
        site.pages[f"/p{n}"] = page(f"<p>Site {n}.</p>")
    site.slow["/p3"] = 20  # the run is killed while this one is still being fetched
    seeds = seeds_file(tmp_path, site, [(f"s{n}.test", f"/p{n}") for n in range(4)])
    out = tmp_path / "out"
    args = [sys.executable, "-m", "crawler.cli", "watch", str(seeds), "--out", str(out), "--save-api",
            f"{spn.url}/save/", "-s", "PALIMPSEST_SAVES_PER_MINUTE=0"]
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(spn.saved) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    site.slow.clear()
    r = watch(seeds, out, spn)
    assert r.returncode == 0, r.stderr[-3000:]
    for n in range(4):
        files = versions(out, f"s{n}.test")
        assert len(files) == 1 and f"Site {n}." in files[0].read_text()


def test_a_watch_killed_while_save_page_now_works_keeps_the_change(servers, tmp_path):
    """Killed while Save Page Now is still answering: the page's validators must not have been
    stored before its version, or the next run's conditional request is answered 304 and the
    change is never recorded."""
    site, spn = servers
    site.pages["/privacy"] = page("<p>A policy seen live.</p>")
    spn.script = ["hang"]
    seeds = seeds_file(tmp_path, site, [("k.test", "/privacy")])
    out = tmp_path / "out"
    args = [sys.executable, "-m", "crawler.cli", "watch", str(seeds), "--out", str(out), "--save-api",
            f"{spn.url}/save/", "-s", "PALIMPSEST_SAVES_PER_MINUTE=0"]
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not spn.requests("/save/") and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)  # waits for the save request to arrive (the event), then kills
    assert spn.requests("/save/"), "the watch never asked Save Page Now"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    r = watch(seeds, out, spn)
    assert r.returncode == 0, r.stderr[-3000:]
    files = versions(out, "k.test")
    assert len(files) == 1 and "A policy seen live." in files[0].read_text()


def test_save_page_now_answers(servers):
    """The Save Page Now client on the answers it gives: a Content-Location header, a memento Link
    header, 5xx answers asked again, a 429 never retried (and no further save for a while), a hang
    given up after the timeout."""
    import asyncio

    from crawler.archive.savepagenow import SaveFailed
    from crawler.archive.savepagenow import SavePageNow as Client

    _, spn = servers

    async def main():
        client = Client(f"{spn.url}/save/", per_minute=0, tries=3, retry_delay=0, pause_429=300,
                        timeout=2)
        got = [await client.save("http://a.test/p")]
        spn.script = ["link"]
        got.append(await client.save("http://a.test/q"))
        spn.script = [503, 502]
        got.append(await client.save("http://a.test/r"))
        outcomes = []
        spn.script = ["hang"]
        try:
            await client.save("http://a.test/hang")
        except SaveFailed as exc:
            outcomes.append(str(exc))
        spn.script = [429]
        for _ in range(2):
            try:
                await client.save("http://a.test/z")
            except SaveFailed as exc:
                outcomes.append(str(exc))
        return got, outcomes

    got, outcomes = asyncio.run(main())
    assert got == [ts for _, ts in spn.saved] and all(len(ts) == 14 for ts in got)
    assert "within 2 s" in outcomes[0]
    assert "answered 429" in outcomes[1]  # the refusal itself
    assert "refused a save less than 300 s ago" in outcomes[2]  # and no request during the pause
    assert len([p for p, _ in spn.requests("/save/http://a.test/z")]) == 1  # no hammering
    assert len(spn.requests("/save/http://a.test/r")) == 3  # two 5xx, then the snapshot
