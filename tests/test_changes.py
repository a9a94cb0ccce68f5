"""Change tracking on a real page turned into a multi-capture history served by pywb."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from conftest import EZINE_URL, UNLIMITED, headless_chromium, run_palimpsest
from pipelines.changes.measure import compare


@pytest.fixture(scope="module")
def history_out(pywb, tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("changes")
    seeds = tmp / "seeds.csv"
    seeds.write_text(f"site,url\nezinearticlesnetwork.com,{EZINE_URL}\n")
    out = tmp / "out"
    result = run_palimpsest("crawl", str(seeds), "--out", str(out), "--archive",
                            f"{pywb.url}/history", *UNLIMITED)
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def test_changes_found_with_brackets(history_out):
    rows = list(csv.DictReader((history_out / "changes.csv").open()))
    got = [(r["changed_after"], r["changed_by"], r["kind"]) for r in rows]
    assert got == [
        ("20121201000000", "20130301000000", "substantive"),  # after the HTML-only capture
        ("20130601000000", "20130901000000", "minor"),  # the moved section
        ("20130901000000", "20140101000000", "cosmetic"),  # the typo
        ("20140101000000", "20140601000000", "minor"),  # a short note added
    ]
    sharing, moved, typo, _ = rows
    assert float(sharing["score"]) > 0.6 and "third parties" in sharing["topics"]
    assert int(sharing["words_added"]) > 10 and sharing["previous_timestamp"] == "20120630050010"
    assert int(moved["moved_paragraphs"]) >= 1 and moved["words_added"] == moved["words_removed"] == "0"
    assert float(typo["score"]) < 0.1
    jsonl = [json.loads(line) for line in (history_out / "changes.jsonl").read_text().splitlines()]
    assert [j["changed_by"] for j in jsonl] == [r["changed_by"] for r in rows]
    # whitespace-only and HTML-only captures made no version
    versions = sorted(p.stem for p in (history_out / "policies" / "ezinearticlesnetwork.com").glob("*.md"))
    assert versions == ["20120630050010", "20130301000000", "20130901000000", "20140101000000",
                        "20140601000000"]


def test_atom_feed(history_out):
    feed = ET.parse(history_out / "feeds" / "ezinearticlesnetwork.com.xml").getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = feed.findall("a:entry", ns)
    assert len(entries) == 4
    assert entries[-1].find("a:updated", ns).text == "2013-03-01T00:00:00Z"
    assert "substantive" in entries[-1].find("a:title", ns).text


def test_changes_and_diff_commands(history_out):
    r = run_palimpsest("changes", str(history_out), "--kind", "substantive")
    assert r.returncode == 0 and r.stdout.count("substantive") == 1 and "2012-12-01 .. 2013-03-01" in r.stdout
    r = run_palimpsest("diff", str(history_out), "ezinearticlesnetwork.com", "2013-01", "2013-07",
                       "--color", "never")
    assert r.returncode == 0
    assert "We respect your privacy and [-do not-] share your information {+only+} with [-anyone.-] " \
        "{+our advertising partners and data brokers, who may combine it with your location history.+}" in r.stdout
    r = run_palimpsest("diff", str(history_out), "ezinearticlesnetwork.com", "20130601", "20130901",
                       "--color", "never")
    assert "moved here:" in r.stdout and "{+" not in r.stdout  # a move, not delete + add
    r = run_palimpsest("diff", str(history_out), "nosuch.example")
    assert r.returncode == 2 and "nosuch.example" in r.stderr


def test_export_git_history(history_out, tmp_path):
    repo = tmp_path / "corpus-git"
    r = run_palimpsest("export-git", str(history_out), str(repo))
    assert r.returncode == 0, r.stderr
    log = subprocess.run(["git", "-C", str(repo), "log", "--format=%aI|%cI|%s", "--", "e/ez/ezi/ezinearticlesnetwork.com.md"],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(log) == 5
    assert log[-1] == ("2012-06-30T05:00:10Z|2012-06-30T05:00:10Z|ezinearticlesnetwork.com "
                       "(archived on 2012-06-30)").replace("Z", "+00:00")
    body = subprocess.run(["git", "-C", str(repo), "log", "-1", "--format=%b"], capture_output=True,
                          text=True, check=True).stdout
    assert json.loads(body)["timestamp"] == "20140601000000"
    again = run_palimpsest("export-git", str(history_out), str(repo))
    assert "exported 0 new" in again.stderr
    patch = subprocess.run(["git", "-C", str(repo), "log", "-p", "--", "e/ez/ezi/ezinearticlesnetwork.com.md"],
                           capture_output=True, text=True, check=True).stdout
    added = [line for line in patch.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert any("share your information only with our advertising partners" in line for line in added)


def test_report_in_headless_chromium(history_out, tmp_path):
    r = run_palimpsest("report", str(history_out))
    assert r.returncode == 0, r.stderr
    page = history_out / "report" / "ezinearticlesnetwork.com.html"
    html = page.read_text()
    assert "&lt;script&gt;alert(" in html and "<script" not in html.lower()
    browser, flags = headless_chromium(tmp_path)
    flags += ["--enable-logging=stderr", "--v=0"]
    dom = subprocess.run([browser, *flags, "--dump-dom", page.as_uri()], capture_output=True,
                         text=True, timeout=120)
    assert "id=\"timeline\"" in dom.stdout and "class=\"change\"" in dom.stdout
    assert "<script" not in dom.stdout.lower()  # the policy's look-alike markup stayed text
    assert "CONSOLE" not in dom.stderr and "Uncaught" not in dom.stderr
    shot = tmp_path / "report.png"
    subprocess.run([browser, *flags, "--window-size=1200,1600", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 10_000


def test_whitespace_quotes_and_html_never_count():
    a = "# T\n\nWe \u201cshare\u201d data with partners.\n\nSecond paragraph here."
    b = "# T\n\nWe  \"share\"\u00a0data with partners.\n\n\nSecond   paragraph here."
    m = compare(a, b)
    assert m["words_added"] == m["words_removed"] == 0


def test_score_ranks_changes_instead_of_saturating():
    """From a non-policy line to a whole new policy, scores rise in order (they used to reach
    ~0.94 for any large change touching a heavy topic)."""
    from conftest import citp

    base = citp("joyentcloud.com")[2].split("\n", 2)[2]
    other = citp("hydeparkbooks.com")[2].split("\n", 2)[2]
    paras, other_paras = base.split("\n\n"), other.split("\n\n")
    mid = len(paras) // 2
    ladder = [
        base + "\n\nOur office moved to 200 Fifth Avenue, New York, in March.",
        base + "\n\nWe may sell your personal information to data brokers.",
        base + "\n\nWe use cookies and web beacons from analytics providers to track how you use "
               "the site and to show you advertising.",
        "\n\n".join(paras[:mid] + ["## Sharing\n\nWe share your contacts, location and browsing "
                                   "history with advertising partners and affiliates. You can opt "
                                   "out by contacting us; we retain data for five years and "
                                   "transfer it outside the EU."] + paras[mid + 3:]),
        "\n\n".join(paras[:mid] + other_paras[len(other_paras) // 2:]),
    ]
    measured = [compare(base, new) for new in ladder]
    scores = [m["score"] for m in measured]
    assert scores == sorted(scores) and len(set(scores)) == len(scores), scores
    assert [m["kind"] for m in measured] == ["minor"] + ["substantive"] * 4
    assert scores[0] < 0.1 and 0.5 < scores[1] < 0.7 and scores[-1] > 0.9
    # On a short policy (229 words) a 40-word addition touching four topics stays well below a
    # wholly new policy (the old score put them 0.09 apart, at 0.85 and 0.94).
    short = citp("hydeparkbooks.com")[2].split("\n", 2)[2]
    forty = (short + "\n\nWe share your e-mail address with our marketing partners. Our advertising "
             "partners may use cookies to track you across other websites. We also collect your "
             "precise location when you use our mobile app, and keep it for two years.")
    assert compare(short, base)["score"] - compare(short, forty)["score"] >= 0.12


def test_change_logs_are_written_whole_or_left_as_they_were(tmp_path):
    """The change logs are streamed a row at a time (one site's changes in memory): a run that
    fails half-way leaves the last complete logs, never a half-written one."""
    from pipelines.changes.history import Change
    from pipelines.publish.changelogs import ChangeLogs

    def change(site: str, ts: str) -> Change:
        return Change(site=site, url=f"https://{site}/privacy", previous_timestamp="20100101000000",
                      timestamp=ts, changed_after="20100101000000", changed_by=ts, similarity=0.9,
                      words_added=3, words_removed=1, sections_changed=1, kind="minor", score=0.2)

    with ChangeLogs(tmp_path) as logs:
        logs.add(change("a.example", "20110101000000"))
        logs.add(change("b.example", "20120101000000"))
    assert logs.rows == 2
    before = {name: (tmp_path / name).read_text() for name in ("changes.csv", "changes.jsonl")}
    assert len(before["changes.jsonl"].splitlines()) == 2
    with pytest.raises(RuntimeError):
        with ChangeLogs(tmp_path) as logs:
            logs.add(change("a.example", "20110101000000"))
            raise RuntimeError("killed half-way")
    assert {name: (tmp_path / name).read_text() for name in before} == before
    assert not list(tmp_path.glob(".tmp-*"))
    rows = list(csv.DictReader((tmp_path / "changes.csv").open()))
    assert [r["site"] for r in rows] == ["a.example", "b.example"]


def test_the_feed_of_a_site_with_no_change_is_the_same_file_every_run(tmp_path):
    """A site with one version has an empty feed dated by that version (not by the run's clock),
    so a run with nothing new does not rewrite (and sync) the feeds of sites that never changed."""
    from pipelines.publish.feeds import write_site_feed

    assert write_site_feed(tmp_path, "quiet.example", [], "20150301120000") is True
    feed = (tmp_path / "feeds" / "quiet.example.xml").read_text()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert ET.fromstring(feed).find("a:updated", ns).text == "2015-03-01T12:00:00Z"
    assert write_site_feed(tmp_path, "quiet.example", [], "20150301120000") is False


def test_sections_under_a_repeated_heading_pair_in_order():
    """The title repeated as the first heading ("# Privacy Policy" then "## Privacy Policy"), or
    "Your rights" in each region's part: sections sharing a heading were paired with the last
    of them, so an unchanged text showed its first section deleted and inserted again, and a
    moved section was not shown as a move."""
    from pipelines.changes.diffs import render_terminal, section_diffs
    from pipelines.changes.measure import compare

    text = ("# Privacy Policy\n\n## Privacy Policy\n\nWe run this site.\n\n## Children\n\nNo data "
            "from children under 13.\n\n## Your rights\n\nEU: access and erasure.\n\n## Data\n\nWe "
            "keep your e-mail address.\n\n## Your rights\n\nCalifornia: to know and to opt out.\n")
    assert compare(text, text)["sections_changed"] == 0
    assert all(d.status == "same" for d in section_diffs(text, text))
    moved = text.replace("## Children\n\nNo data from children under 13.\n\n", "") + \
        "\n## Children\n\nNo data from children under 13.\n"
    shown = render_terminal(section_diffs(text, moved), color=False)
    assert "moved here: No data from children" in shown and "[-" not in shown and "{+" not in shown
    assert compare(text, moved)["words_added"] == compare(text, moved)["words_removed"] == 0
