"""The HTML report (issue #14): markdown rendered safely, diffs as the reader sees the policy,
timeline marks linked to their diffs, a legend that matches them, and an index a researcher
starts from (corpus charts, a filterable, sortable site table), checked in headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import headless_chromium
from pipelines.captures import CdxRecord, Outcome
from pipelines.items import ExtractedText, Fetch
from pipelines.publish.report import write_report
from pipelines.seedformat import text_hash
from pipelines.corpus.store import CorpusStore

BASE = ("# Privacy Policy\n\n1\\. Information we collect\n\n**Changes.** We may change this policy "
        "and will post the new version here.\n\n  * your name\n  * your e-mail address\n\n"
        "Contact [our office](mailto:privacy@example.test). _Last updated_ 2016.\n\n"
        "We keep order records for six years for accounting.")
GDPR = ("\n\n## Your rights under the GDPR\n\nYou have the right to access, correct and erase your "
        "personal data, to object to processing and to complain to a data protection authority.")
EVIL = "\n\nA note: <script>alert('x')</script> and [a link](javascript:alert(1))."


def add(store: CorpusStore, site: str, ts: str, md: str, n: int) -> None:
    rec = CdxRecord("", ts, f"http://www.{site}/privacy", "text/html", 200, f"D{n}{site}", 1)
    store.captures.add(site, rec.url, [(rec, rec.payload_key)])
    th = text_hash(md)
    store.fetches.record(Fetch(rec.payload_key, ts, rec.url, 200, rec.digest, Outcome.TEXT,
                               text_hash=th, sites=(site,),
                               extracted=ExtractedText(md, "Privacy Policy", th, len(md.split()),
                                                       "en", "utf-8", "test")))


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    store = CorpusStore(out)
    for i in range(12):
        site = f"site{i:02d}.example"
        add(store, site, f"2016{(i % 9) + 1:02d}10120000", BASE, 1)
        if i < 8:  # the GDPR wave of May 2018
            add(store, site, f"201805{10 + i:02d}120000", BASE + GDPR, 2)
        if i in (0, 9):
            add(store, site, "20190301120000", BASE.replace("  * your e-mail address",
                                                             "  * your e-mail address\n  * your location")
                + (GDPR if i == 0 else "") + EVIL, 3)
        store.captures.add(site, "x", [(CdxRecord("", "20200101000000", f"http://www.{site}/privacy",
                                                  "text/html", 301, "R", 1), f"301:R:{site}")])
    store.versions.build_dirty()
    index = write_report(store)
    store.close()
    return index.parent


def test_site_page_is_safe_rendered_and_linked(report):
    page = (report / "site00.example.html").read_text()
    assert "<script" not in page.lower()  # markup stayed text
    assert not re.search(r"href=[\"']javascript", page)  # and a javascript: link is no link
    assert "&lt;script&gt;" in page
    # markdown rendered: lists, bold, links, no raw markers or escapes in the diffs
    diffs = page[page.index("<h2>Changes</h2>"):]
    assert "<li>" in diffs and "<em>Last updated</em>" in diffs and '<a href="mailto:' in diffs
    assert "<strong>Changes.</strong>" in page  # the versions' text, rendered
    assert "**" not in page and "1\\." not in page and "](mailto" not in page
    assert "<ins>your location</ins>" in diffs
    # every diamond links to a change section on the page
    targets = re.findall(r"href='#change-(\d{14})'", page)
    assert targets and all(f"id='change-{t}'" in page for t in targets)
    assert "2 changes" in page and "1 changes" not in page
    assert "archived redirect" in page and "capture-redirect" in page  # legend matches the ticks


def test_index_charts_and_table(report):
    index = (report / "index.html").read_text()
    assert index.count("<script") == 1 and " src=" not in index and "<link" not in index
    bars = dict(re.findall(r"<title>(\d{4}Q\d): (\d+)</title>", index))
    assert max(bars, key=lambda q: int(bars[q])) == "2018Q2" and bars["2018Q2"] == "8"
    assert "12 sites" in index and "id='sites'" in index


def test_index_filter_and_sort_in_chromium(report, tmp_path):
    browser, flags = headless_chromium(tmp_path)
    uri = (report / "index.html").as_uri()
    dom = subprocess.run([browser, *flags, "--dump-dom", uri + "#filter=site01"],
                         capture_output=True, text=True, timeout=120).stdout
    assert '<span id="shown">1</span>' in dom, dom[-2000:]
    dom = subprocess.run([browser, *flags, "--dump-dom", uri + "#sort=versions:desc"],
                         capture_output=True, text=True, timeout=120).stdout
    first = re.search(r"<tbody>\s*<tr><td[^>]*><a href=\"([^\"]+)\"", dom)
    assert first and first.group(1) == "site00.example.html", dom[-2000:]  # 3 versions: the most
    for name, page in (("index", "index.html"), ("site", "site00.example.html")):
        shot = tmp_path / f"{name}.png"
        subprocess.run([browser, *flags, "--window-size=1200,1400", f"--screenshot={shot}",
                        (report / page).as_uri()], capture_output=True, timeout=120)
        assert shot.exists() and shot.stat().st_size > 20_000
        if os.environ.get("PALIMPSEST_KEEP_SCREENSHOTS"):
            shutil.copy(shot, Path(os.environ["PALIMPSEST_KEEP_SCREENSHOTS"]) / shot.name)
