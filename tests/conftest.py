"""Shared fixtures: the citp-dev pages, WARC histories built from them, a pywb archive serving
those WARCs, and a helper that runs the real ``palimpsest`` command in a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawler.demo.pywb import PywbServer, find_wayback, make_collection
from crawler.demo.warcs import Capture, write_warc

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PALIMPSEST_SHARED", REPO.parent / "shared"))
CITP = SHARED / "corpus" / "citp-dev"


def pytest_report_header(config):
    if not CITP.exists():
        return (f"WARNING: {SHARED} is missing: every test that reads real archived pages will be "
                "SKIPPED (put ../shared beside the repo, or set PALIMPSEST_SHARED)")
    return f"real pages from {SHARED}"


def pytest_configure(config):
    if os.environ.get("CI", "").lower() in ("1", "true") and not CITP.exists():
        raise pytest.UsageError(f"CI: {SHARED} is missing, so the tests on real pages would be "
                                "skipped; CI runs with ../shared beside the repo")


def citp(name: str) -> tuple[dict, bytes, str]:
    """(meta, page bytes, reference markdown) of one citp-dev page."""
    d = CITP / name
    if not d.exists():
        pytest.skip(f"{d} is missing: tests need ../shared beside the repo (or PALIMPSEST_SHARED)")
    return (json.loads((d / "meta.json").read_text()), (d / "page.html").read_bytes(),
            (d / "reference.md").read_text(encoding="utf-8"))


def change_text(page: bytes, old: str, new: str) -> bytes:
    assert old.encode() in page, old
    return page.replace(old.encode(), new.encode(), 1)


def html_only_change(page: bytes) -> bytes:
    """Same text, different bytes: a new script and build id in <head>, a changed attribute."""
    return re.sub(rb"(?i)</head>", b'<script>window.__BUILD__="x91f";var ads=[1,2];</script></head>',
                  page, count=1).replace(b"<body", b'<body data-build="x91f"', 1)


@dataclass
class ArchiveScenario:
    archive: str  # pywb collection URL
    seeds_csv: str
    expect: dict


WELCOME_URL = "http://www.welcomegateapp.com/privacy-policy"
WELCOME_NEW = "http://www.welcomegateapp.com/legal/privacy"
WELCOME_OLD_SENTENCE = "We do not provide services or sell products to children."
WELCOME_CHANGE_1 = "We do not knowingly collect information from children under 13."
WELCOME_CHANGE_2 = "We share your e-mail address with our marketing partners."


def scenario_captures() -> list[Capture]:
    meta_w, page_w, _ = citp("welcomegateapp.com")
    meta_j, page_j, _ = citp("joyentcloud.com")
    meta_h, page_h, _ = citp("hydeparkbooks.com")
    changed = change_text(page_w, WELCOME_OLD_SENTENCE, WELCOME_CHANGE_1)
    moved = change_text(changed, "HOW WE PROTECT YOUR PRIVACY",
                        "HOW WE PROTECT YOUR PRIVACY</strong></p><p>" + WELCOME_CHANGE_2 + "</p><p><strong>")
    redirect = [("Location", WELCOME_NEW), ("Content-Type", "text/html")]
    latin1 = [("Content-Type", "text/html")]
    return [
        Capture(WELCOME_URL, meta_w["timestamp"], page_w),  # 20150909233027
        Capture(WELCOME_URL, "20151201000000", page_w),  # identical recapture
        Capture(WELCOME_URL, "20160301000000", page_w, revisit=True),  # revisit record
        Capture(WELCOME_URL, "20160601000000", html_only_change(page_w)),  # HTML-only change
        Capture(WELCOME_URL, "20170101000000", changed),  # text change
        Capture(WELCOME_URL, "20180101000000", b"", status=301, headers=redirect),  # moved
        Capture(WELCOME_NEW, "20180101000010", moved),  # new URL, new text
        Capture(WELCOME_URL, "20190101000000", b"<html>gone</html>", status=404),
        Capture(meta_j["original_url"], meta_j["timestamp"], page_j),
        Capture(meta_j["original_url"], "20120101000000", page_j),
        Capture(meta_h["original_url"], meta_h["timestamp"], page_h, headers=latin1),
    ]


SCENARIO_SEEDS = f"""site,url
welcomegateapp.com,{WELCOME_URL}
joyentcloud.com,http://www.joyent.com/about/policies/privacy
hydeparkbooks.com,"http://www.hydeparkbooks.com/?page=shop/privacy&CLSN_1442=12238721721442cb5708aa82af929253"
never-archived.example,http://never-archived.example/privacy
bad line without a url,ftp://files.example/privacy
"""

SCENARIO_EXPECT = {
    "cdx_requests": 5,  # 4 seeds + the moved policy URL
    "snapshot_requests": 7,  # welcome: 3 texts + 1 redirect + new URL; joyent 1; hyde 1
    "versions": {"welcomegateapp.com": ["20150909233027", "20170101000000", "20180101000010"],
                 "joyentcloud.com": ["20110611185923"],
                 "hydeparkbooks.com": ["20081013214612"]},
}


EZINE_URL = "http://www.ezinearticlesnetwork.com/privacy-policy"
EZINE_SHARE_OLD = "We respect your privacy and do not share your information with anyone."
EZINE_SHARE_NEW = ("We respect your privacy and share your information only with our advertising "
                   "partners and data brokers, who may combine it with your location history.")
EZINE_INJECTION = "<p>Note: &lt;script&gt;alert('xss')&lt;/script&gt; is shown as text.</p>"


def _move_section(page: bytes, heading: bytes, before: bytes) -> bytes:
    m = re.search(rb"<h2>" + re.escape(heading) + rb"</h2>\s*<p>.*?</p>\s*", page, re.S)
    assert m, heading
    block = m.group(0)
    page = page.replace(block, b"", 1)
    return page.replace(before, block + before, 1)


def change_history_captures() -> list[Capture]:
    """A policy's history with known changes (ezinearticlesnetwork.com, 2012-2014)."""
    meta, page, _ = citp("ezinearticlesnetwork.com")
    spaced = change_text(page, "We respect your privacy and do not share",
                         "We  respect your&nbsp;privacy\n     and do not\tshare")
    changed = change_text(page, EZINE_SHARE_OLD, EZINE_SHARE_NEW)
    moved = _move_section(changed, b"Children", b"<h2>How we gather information from users</h2>")
    typo = change_text(moved, "periodically", "periodicaly")
    injected = change_text(typo, "<h2>Children</h2>", EZINE_INJECTION + "<h2>Children</h2>")
    return [
        Capture(EZINE_URL, meta["timestamp"], page),  # 20120630050010
        Capture(EZINE_URL, "20120901000000", spaced),  # whitespace / nbsp only: no change
        Capture(EZINE_URL, "20121201000000", html_only_change(page)),  # HTML only: no change
        Capture(EZINE_URL, "20130301000000", changed),  # substantive: sharing with third parties
        Capture(EZINE_URL, "20130601000000", changed),
        Capture(EZINE_URL, "20130901000000", moved),  # a section moved
        Capture(EZINE_URL, "20140101000000", typo),  # a typo: cosmetic
        Capture(EZINE_URL, "20140601000000", injected),  # policy text that looks like markup
    ]


@pytest.fixture(scope="session")
def wayback_bin() -> Path:
    return find_wayback(install=True)


@pytest.fixture(scope="session")
def pywb_root(tmp_path_factory, wayback_bin) -> Path:
    root = tmp_path_factory.mktemp("pywb")
    warc = write_warc(root / "scenario.warc.gz", scenario_captures())
    make_collection(root, "policies", [warc], wayback_bin)
    history = write_warc(root / "history.warc.gz", change_history_captures())
    make_collection(root, "history", [history], wayback_bin)
    return root


@pytest.fixture(scope="session")
def pywb(pywb_root, wayback_bin):
    with PywbServer(pywb_root, wayback_bin) as server:
        yield server


@pytest.fixture(scope="session")
def scenario(pywb, tmp_path_factory) -> ArchiveScenario:
    seeds = tmp_path_factory.mktemp("seeds") / "sites.csv"
    seeds.write_text(SCENARIO_SEEDS)
    return ArchiveScenario(f"{pywb.url}/policies", str(seeds), SCENARIO_EXPECT)


UNLIMITED = ["--cdx-per-minute", "0", "--snapshots-per-second", "0"]


def headless_chromium(tmp_path: Path) -> tuple[str, list[str]]:
    """Debian's Chromium and the flags that run it headless here (no network, a fresh profile);
    skips, or fails in CI, where it is missing."""
    import shutil

    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs Debian's chromium)")
        pytest.skip("chromium not installed")
    return browser, ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     f"--user-data-dir={tmp_path / 'profile'}"]


def run_palimpsest(*args: str, timeout: float = 180, env: dict | None = None,
                   cwd: Path = REPO) -> subprocess.CompletedProcess:
    """Run the real command line in a subprocess (Twisted's reactor cannot restart in-process)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def last_run(out: Path) -> dict:
    return json.loads((Path(out) / "last_run.json").read_text())
