"""``palimpsest analyze``: the paper's definitions (pure, in milliseconds), readability equal to
py-readability-metrics itself (run from its own folder: it cannot share an environment with the
extractor), and the tables of a corpus whose history is known, by hand."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, change_text, citp, run_palimpsest
from crawler.demo.warcs import Capture, write_warc
from pipelines.analysis import definitions as d
from pipelines.analysis.language import lemmatized, word_tokens
from pipelines.analysis.scores import readability

OLD = "We do not provide services or sell products to children."
GDPR = ("Under the General Data Protection Regulation (GDPR) you have the right to data portability, "
        "to erasure and to rectification of your data. We process your data on the basis of our "
        "legitimate interests and of the performance of a contract. You may lodge a complaint with a "
        "supervisory authority, and you may withdraw consent at any time. When we transfer your data to "
        "a third country, we use standard contractual clauses. ") * 3


# -- the definitions ----------------------------------------------------------------------------
def test_half_years():
    assert d.interval_of("20180630235959") == "2018A" and d.interval_of("20180701000000") == "2018B"
    assert d.interval_end("2018A") == "20180630235959" and d.interval_end("2018B") == "20181231235959"
    assert d.intervals_between("2016B", "2018A") == ["2016B", "2017A", "2017B", "2018A"]
    assert d.previous_interval("2018A") == "2017B" and d.previous_interval("2018B") == "2018A"


def test_text_words_and_percentiles():
    assert d.policy_text("# Privacy\n\nWe collect data.") == "We collect data."
    assert d.word_count("We don't sell e-mail addresses (ever).") == 8  # \w+ splits don't, e-mail
    values = list(range(1, 101))
    assert d.percentile(values, 0.05) == 6 and d.percentile(values, 0.95) == 96  # sorted[int(n*q)]
    assert d.percentile([], 0.5) is None and d.median([3, 1, 2]) == 2


def test_simhash_near_and_far():
    _, page, ref = citp("welcomegateapp.com")
    text = ref.split("\n", 2)[2]
    tokens = word_tokens(text)
    one_word = word_tokens(text.replace("information", "informations", 1))
    other = word_tokens(citp("joyentcloud.com")[2])
    assert d.simhash(tokens) == d.simhash(list(tokens))
    assert not d.simhash_differs(d.simhash(tokens), d.simhash(one_word))
    assert d.simhash_differs(d.simhash(tokens), d.simhash(other))


def test_terms_as_the_paper_matches_them():
    found = d.matched_terms("We use cookies and web beacons. See our partners at Google. DNT signals.",
                            "https://www.google.com/policies https://www.networkadvertising.org/choices",
                            "", [])
    assert "tracking_technologies|Cookies" in found and "tracking_technologies|Do not track" in found
    assert "tracking_technologies|Web Beacon" not in found  # \bweb\s(?:bug|beacon)\b: not 'beacons'
    assert {"third_parties|Google", "trackers|Google.com", "self_regulation|NAI"} <= set(found)
    assert "laws|Regulation" not in d.matched_terms("the General Data Protection Regulation", "", "", [])
    phrases = [" ".join(p.split(" ")) for p in d.GDPR_PHRASES]
    lemmas = lemmatized("Supervisory Authorities in third countries; our legitimate interests.")
    got = d.matched_terms("", "", lemmas, [lemmatized(p) for p in phrases])
    assert {"gdpr_phrases|supervisory authority", "gdpr_phrases|third country",
            "gdpr_phrases|legitimate interest"} <= set(got)
    assert len(d.GDPR_PHRASES) == 19 and d.rank_bin(999) == "1-1k" and d.rank_bin(1_000_000) == "1M+"


# -- readability: the package's own numbers -------------------------------------------------------
REFERENCE = """
import json, sys
import nltk
nltk.data.path.insert(0, sys.argv[1])
from readability import Readability
from readability.exceptions import ReadabilityException
out = []
for text in json.load(sys.stdin):
    r = Readability(text)
    row = []
    for name in ("flesch_kincaid", "flesch", "smog"):
        try:
            res = getattr(r, name)()
            row.append(res.score)
            if name == "flesch":
                row.append(res.ease)
        except ReadabilityException:
            row += [None, None] if name == "flesch" else [None]
    out.append(row)
print(json.dumps(out))
"""


def test_readability_is_py_readability_metrics(tmp_path):
    venv = Path(os.environ.get("PALIMPSEST_READABILITY_VENV", REPO / ".venv-readability"))
    if not (venv / "bin" / "python").exists():
        if os.environ.get("CI"):
            pytest.fail(f"{venv} is missing (.ci/run installs py-readability-metrics there)")
        pytest.skip("py-readability-metrics' own venv is not installed")
    from pipelines.analysis.language import _data_root, ready_nltk

    ready_nltk()
    texts = [citp(name)[2].split("\n", 2)[2] for name in ("welcomegateapp.com", "joyentcloud.com",
                                                          "gyftr.com", "kickerstart.com")]
    texts += [GDPR, "Too short to score. Two sentences."]
    r = subprocess.run([str(venv / "bin" / "python"), "-c", REFERENCE, str(_data_root())],
                       input=json.dumps(texts), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    theirs = json.loads(r.stdout)
    ours = [readability(t) for t in texts]
    for (fk, fre, ease, smog), (tfk, tfre, tease, tsmog) in zip(ours, theirs):
        assert (fk is None) == (tfk is None) and (smog is None) == (tsmog is None)
        assert fk is None or abs(fk - tfk) < 1e-9
        assert fre is None or (abs(fre - tfre) < 1e-9 and ease == tease)
        assert smog is None or abs(smog - tsmog) < 1e-9
    assert ours[-1] == (None, None, None, None) and any(s[3] is not None for s in ours)


# -- the tables of a known history ----------------------------------------------------------------
PLAN = {  # site: [(timestamp, version)], the history the tables must show
    "one.test": [("20170301000000", 1), ("20180501000000", 2), ("20190201000000", 2)],
    "two.test": [("20160801000000", 1), ("20180301000000", 2)],
    "three.test": [("20180901000000", 1)],
    "four.test": [("20170101000000", 1), ("20171101000000", 1)],
}
RANKS = {"one.test": 500, "two.test": 5_000, "three.test": 50_000, "four.test": 2_000_000}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("analysis")
    _, page, _ = citp("welcomegateapp.com")
    bodies = {1: page, 2: change_text(page, OLD, GDPR)}
    caps = [Capture(f"http://www.{site}/privacy", ts, bodies[v]) for site, rows in PLAN.items()
            for ts, v in rows]
    warc = write_warc(root / "history.warc.gz", caps)
    seeds = root / "seeds.csv"
    seeds.write_text("site,url,rank\n" + "".join(f"{s},http://www.{s}/privacy,{RANKS[s]}\n" for s in PLAN))
    out = root / "out"
    r = run_palimpsest("ingest", str(warc), "--seeds", str(seeds), "--out", str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    return out, seeds


def rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def words_in_file(path: Path) -> int:
    """Words of a version file, read from disk: past the header line and the title line."""
    body = path.read_text().split("\n", 1)[1].lstrip("\n")
    return len(re.findall(r"\w+", body.split("\n", 1)[1] if body.startswith("# ") else body))


def test_intervals_of_a_known_history(corpus):
    out, _ = corpus
    r = run_palimpsest("analyze", str(out))
    assert r.returncode == 0, r.stderr
    table = {row["interval"]: row for row in rows(out / "analysis" / "intervals.csv")}
    assert list(table) == ["2016B", "2017A", "2017B", "2018A", "2018B", "2019A"]
    expect = {  # interval: (sites, eligible, strict updates)
        "2016B": (1, 0, 0), "2017A": (3, 1, 0), "2017B": (3, 3, 0), "2018A": (3, 3, 2),
        "2018B": (4, 3, 0), "2019A": (4, 4, 0)}
    for interval, (sites, eligible, strict) in expect.items():
        row = table[interval]
        assert (int(row["sites"]), int(row["eligible"]), int(row["strict_updates"])) == \
            (sites, eligible, strict), interval
    assert int(table["2018A"]["simhash_updates"]) == 2 and float(table["2018A"]["strict_pct"]) == 66.6667
    assert table["2016B"]["strict_pct"] == ""  # nobody to compare with
    v1 = words_in_file(out / "policies" / "two.test" / "20160801000000.md")
    v2 = words_in_file(out / "policies" / "two.test" / "20180301000000.md")
    assert float(table["2017B"]["median_words"]) == v1  # three v1 policies
    assert float(table["2019A"]["median_words"]) == (v1 + v2) / 2  # two v1, two v2
    assert float(table["2018A"]["p95_words"]) == v2 and float(table["2018A"]["p5_words"]) == v1
    assert float(table["2019A"]["median_flesch_kincaid"]) > 0


def test_term_shares_and_rank_bins(corpus):
    out, seeds = corpus
    r = run_palimpsest("analyze", str(out), "--by", "rank", "--seeds", str(seeds))
    assert r.returncode == 0, r.stderr
    terms = {(t["rank_bin"], t["interval"], t["group"], t["term"]): t["share_pct"]
             for t in rows(out / "analysis" / "terms.csv")}
    assert terms[("all", "2018B", "laws", "GDPR")] == "50.0"
    assert terms[("all", "2017B", "laws", "GDPR")] == "0.0"
    assert terms[("all", "2018B", "gdpr_phrases", "supervisory authority")] == "50.0"
    assert terms[("all", "2018B", "gdpr_phrases", "withdraw consent")] == "50.0"
    table = {(t["rank_bin"], t["interval"]): t for t in rows(out / "analysis" / "intervals.csv")}
    assert int(table[("1-1k", "2018A")]["sites"]) == 1 and int(table[("1-1k", "2018A")]["strict_updates"]) == 1
    assert int(table[("1M+", "2018A")]["strict_updates"]) == 0
    assert int(table[("100k-1M", "2018A")]["sites"]) == 0
    assert {k[0] for k in table} == {"all", "1-1k", "1k-10k", "10k-100k", "100k-1M", "1M+"}


def test_range_and_bad_input(corpus, tmp_path):
    out, seeds = corpus
    r = run_palimpsest("analyze", str(out), "--from", "2018", "--to", "2018")
    assert r.returncode == 0
    assert [row["interval"] for row in rows(out / "analysis" / "intervals.csv")] == ["2018A", "2018B"]
    r = run_palimpsest("analyze", str(out), "--from", "2030")
    assert r.returncode == 0 and "no version in the range" in r.stderr
    assert rows(out / "analysis" / "intervals.csv") == []
    r = run_palimpsest("analyze", str(out), "--from", "20x8")
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "not a year" in r.stderr
    no_rank = tmp_path / "seeds.csv"
    no_rank.write_text("site,url\none.test,http://www.one.test/privacy\n")
    r = run_palimpsest("analyze", str(out), "--by", "rank", "--seeds", str(no_rank))
    assert r.returncode == 2 and "no 'rank' column" in r.stderr and r.stderr.strip().count("\n") == 0
    empty = tmp_path / "empty"
    other = write_warc(tmp_path / "other.warc.gz", [Capture("http://elsewhere.test/", "20200101000000",
                                                            b"<html>not a seed</html>")])
    assert run_palimpsest("ingest", str(other), "--seeds", str(no_rank), "--out",
                          str(empty)).returncode == 0
    r = run_palimpsest("analyze", str(empty))
    assert r.returncode == 0 and rows(empty / "analysis" / "terms.csv") == []


def test_report_draws_the_tables_offline(corpus, tmp_path):
    out, _ = corpus
    assert run_palimpsest("analyze", str(out)).returncode == 0
    r = run_palimpsest("report", str(out))
    assert r.returncode == 0, r.stderr
    index = (out / "report" / "index.html").read_text()
    for chart in ("analysis-words", "analysis-readability", "analysis-updates", "analysis-terms-laws",
                  "analysis-terms-gdpr_phrases"):
        assert f"id='{chart}'" in index, chart
    assert "class='band'" in index and "class='gdpr'" in index
    assert "strict, 2018A: 66.7%" in index  # the update share of the GDPR half-year, as drawn
    assert index.count("<script") == 1 and " src=" not in index
    from conftest import headless_chromium

    browser, flags = headless_chromium(tmp_path)
    shot = tmp_path / "analysis.png"
    dom = subprocess.run([browser, *flags, "--dump-dom", (out / "report" / "index.html").as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    assert 'id="analysis-updates"' in dom
    subprocess.run([browser, *flags, "--window-size=1200,2400", f"--screenshot={shot}",
                    (out / "report" / "index.html").as_uri()], capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 20_000
