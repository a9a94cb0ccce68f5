"""What the real Wayback Machine serves (../shared/reference/wayback-facts.md, issue #10), replayed
by the IA fixture with the shapes real recorded answers have: URL spellings of one urlkey,
per-capture link noise, captures at CDX page edges, two digests in one second, revisit rows of a
PDF, a CDX digest that never matches, archived 429s, blocked URLs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from conftest import last_run, run_palimpsest
from pipelines.captures import payload_digest
from ia_fixture import FixtureCapture, IAFixture

POLICY_TEXT = ("<h2>What we collect</h2><p>We collect your name, e-mail address and the pages you "
               "visit on our shop. We keep order records for six years.</p>"
               "<h2>Sharing</h2><p>We never sell your personal data to advertisers or brokers. "
               "Payment processors receive what they need to charge your card.</p>")


def shop_page(extra: str = "", sid: str = "a1b2c3", cf_hex: str = "", policy: str = POLICY_TEXT) -> bytes:
    """A real-looking osCommerce policy page: session ids in every own link, Cloudflare's e-mail
    protection (its hex changes on every capture), relative links."""
    email = (f'<a href="/cdn-cgi/l/email-protection#{cf_hex}">[email&#160;protected]</a>'
             if cf_hex else '<a href="mailto:privacy@shop.test">privacy@shop.test</a>')
    return (f"<html><head><title>Privacy Notice - Shop</title></head><body>"
            f"<div id='nav'><a href='/index.php?osCsid={sid}'>Home</a></div>"
            f"<div id='content'><h1>Privacy Notice</h1>{policy}"
            f"<p>Questions? Write to {email} or see our <a href='/conditions.php?osCsid={sid}'>"
            f"conditions of use</a> and <a href='http://www.shop.test/contact.php;jsessionid={sid}'>"
            f"contact page</a>.</p>{extra}</div></body></html>").encode()


def cf_hex(email: str, key: int) -> str:
    return f"{key:02x}" + "".join(f"{ord(c) ^ key:02x}" for c in email)


def crawl(archive: str, tmp_path: Path, urls: list[str], *settings: str, out: Path | None = None):
    seeds = tmp_path / "seeds.csv"
    seeds.write_text("site,url\n" + "".join(f"shop.test,{u}\n" for u in urls))
    out = out or tmp_path / "out"
    args = ["crawl", str(seeds), "--out", str(out), "--archive", archive, "--dialect", "ia",
            "--cdx-per-minute", "0", "--snapshots-per-second", "0"]
    for s in settings:
        args += ["-s", s]
    result = run_palimpsest(*args)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "internal meta keys" not in result.stderr
    return out, last_run(out), result


def versions(out: Path) -> list[str]:
    return sorted(p.stem for p in (out / "policies").rglob("*.md"))


def changes(out: Path) -> list[dict]:
    text = (out / "changes.jsonl").read_text() if (out / "changes.jsonl").exists() else ""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def web_paths(fixture: IAFixture) -> list[str]:
    return [p for _, _, p, _ in fixture.requests("web")]


def test_spellings_and_noise_make_no_versions_and_real_changes_are_found(tmp_path):
    """One urlkey, captured as http://www.shop.test:80/..., https://shop.test/..., http://shop.test/...:
    each digest fetched once; session ids and Cloudflare hex make new digests but no version and
    no change; the one real change is found."""
    a = "http://www.shop.test:80/privacy.php"
    b = "https://shop.test/privacy.php"
    c = "http://shop.test/privacy.php"
    v1 = shop_page(sid="a1b2c3", cf_hex=cf_hex("privacy@shop.test", 0x4b))
    changed = POLICY_TEXT.replace("never sell", "sell")
    caps = [
        FixtureCapture(a, "20100101000000", v1),
        FixtureCapture(b, "20100301000000", v1),  # same digest, other spelling: no fetch
        FixtureCapture(c, "20100501000000", v1),  # again
        FixtureCapture(c, "20100701000000", shop_page(sid="ffee9911", cf_hex=cf_hex("privacy@shop.test", 0x12))),
        FixtureCapture(b, "20100901000000", shop_page(sid="0099aabb", cf_hex=cf_hex("privacy@shop.test", 0x77))),
        FixtureCapture(a, "20110101000000", shop_page(sid="77665544", cf_hex=cf_hex("privacy@shop.test", 0x3c),
                                                     policy=changed)),
        FixtureCapture(b, "20110601000000", shop_page(sid="12121212", cf_hex=cf_hex("privacy@shop.test", 0x5d),
                                                     policy=changed)),
    ]
    fixture = IAFixture(caps).start()
    try:
        out, summary, _ = crawl(fixture.url, tmp_path, [a])
        # 5 distinct digests in the urlkey: 5 fetches, whatever the spellings
        assert len({c.digest for c in caps}) == 5
        assert len(fixture.requests("web")) == 5, web_paths(fixture)
        assert len(fixture.requests("cdx")) == 1
        assert versions(out) == ["20100101000000", "20110101000000"]
        rows = changes(out)
        assert [(r["previous_timestamp"], r["timestamp"]) for r in rows] == \
            [("20100101000000", "20110101000000")]
        assert rows[0]["changed_after"] == "20100901000000"  # the bracket: last old capture
        first = (out / "policies" / "shop.test" / "20100101000000.md").read_text()
        assert "privacy@shop.test" in first and "email-protection" not in first  # decoded
        assert "osCsid=" in first  # the links themselves are kept, as captured
        assert first.startswith("> *The following text is extracted and transformed from the "
                                "shop.test privacy policy that was archived on 2010-01-01. Please "
                                "check the [original snapshot on the Wayback Machine]"
                                "(https://web.archive.org/web/20100101000000id_/http%3A//www.shop.test%3A80/privacy.php)")
        db = sqlite3.connect(out / "corpus.sqlite")
        assert db.execute("SELECT count(*) FROM captures").fetchone()[0] == 7
        # a re-run fetches nothing and asks from the last second seen
        _, summary2, _ = crawl(fixture.url, tmp_path, [a])
        assert summary2["snapshot_requests"] == 0 and summary2["captures_new"] == 0
    finally:
        fixture.stop()


@pytest.mark.parametrize("opaque", [False, True], ids=["old-style-key", "opaque-key"])
def test_capture_at_a_cdx_page_edge_is_not_lost(tmp_path, opaque):
    """The real case: `http://cnn.com:80/ 20010507180422` ends a page; `http://www.cnn.com:80/
    20010507180422` with another digest is on neither page under IA's resumeKey."""
    first, second = "http://cnn.com:80/", "http://www.cnn.com:80/"
    pages = [FixtureCapture(first, f"200105071{n:05d}", shop_page(sid=f"s{n}")) for n in range(3)]
    edge = [FixtureCapture(first, "20010507180422", shop_page(extra="<p>Edition one.</p>")),
            FixtureCapture(second, "20010507180422", shop_page(extra="<p>Edition two.</p>"))]
    later = [FixtureCapture(second, "20010508000000", shop_page(extra="<p>Edition three.</p>"))]
    caps = pages + edge + later
    fixture = IAFixture(caps, opaque_keys=opaque, repeat_edge_rows=False).start()
    try:
        out, summary, _ = crawl(fixture.url, tmp_path, [first], "PALIMPSEST_CDX_PAGE_SIZE=4")
        db = sqlite3.connect(out / "corpus.sqlite")
        listed = set(db.execute("SELECT timestamp, original, digest FROM captures"))
        assert (("20010507180422", second, edge[1].digest)) in listed
        assert len(listed) == len(caps)
        assert summary["cdx_edge_queries"] >= 1
        assert f"/web/20010507180422id_/{second}" in web_paths(fixture)
    finally:
        fixture.stop()


def test_a_full_last_page_with_an_empty_next_page(tmp_path):
    caps = [FixtureCapture("http://shop.test/p", f"2010010{n}000000", shop_page(sid=f"x{n}"))
            for n in range(1, 5)]
    fixture = IAFixture(caps).start()
    try:
        out, summary, _ = crawl(fixture.url, tmp_path, ["http://shop.test/p"], "PALIMPSEST_CDX_PAGE_SIZE=2")
        assert summary["errors"] == 0 and summary["captures_new"] == 4
    finally:
        fixture.stop()


def test_same_second_same_url_two_digests_both_kept_one_extra_request(tmp_path):
    """Both rows are captures. The archive serves one body for that timestamp and URL, so the
    second's body never matches its digest: asked again once, the same bytes kept and flagged."""
    url = "http://shop.test/privacy.php"
    a = FixtureCapture(url, "20120101000000", shop_page(extra="<p>A.</p>"))
    b = FixtureCapture(url, "20120101000000", shop_page(extra="<p>B.</p>"))
    fixture = IAFixture([a, b]).start()
    try:
        out, summary, result = crawl(fixture.url, tmp_path, [url])
        db = sqlite3.connect(out / "corpus.sqlite")
        assert sorted(r[0] for r in db.execute("SELECT digest FROM captures")) == sorted([a.digest, b.digest])
        assert len(fixture.requests("web")) == 3  # two payloads, one re-ask for the mismatch
        assert summary["digest_mismatch_kept"] == 1
        assert db.execute("SELECT count(*) FROM fetches WHERE digest_ok=0").fetchone()[0] == 1
    finally:
        fixture.stop()


def test_stable_digest_mismatch_costs_one_request(tmp_path):
    url = "http://shop.test/privacy.php"
    bad = FixtureCapture(url, "20130101000000", shop_page(), cdx_digest="A" * 32)
    fixture = IAFixture([bad]).start()
    try:
        out, summary, result = crawl(fixture.url, tmp_path, [url])
        assert len(fixture.requests("web")) == 2
        assert versions(out) == ["20130101000000"]
        assert summary["digest_mismatch_kept"] == 1 and summary["errors"] == 0
        _, again, _ = crawl(fixture.url, tmp_path, [url])
        assert again["snapshot_requests"] == 0  # kept: never asked again
    finally:
        fixture.stop()


def minimal_pdf(lines: list[str]) -> bytes:
    """A real one-page PDF (Helvetica text) written by hand: no PDF writer needed for the test."""
    stream = "BT /F1 11 Tf 72 720 Td 14 TL " + " ".join(
        f"({line.replace('(', '[').replace(')', ']')}) Tj T*" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{obj}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


PDF_LINES = ["Privacy Policy of Shop Ltd", "We collect your name and address to deliver orders.",
             "We never sell personal data to third parties."]


def test_pdf_policy_listed_only_as_revisits_is_fetched_once_and_kept(tmp_path):
    """A PDF listed as an original and as revisits: fetched once (the revisits take its key).
    With --from after the original, only revisits are listed: the PDF is fetched once and its
    text kept as a version, never downloaded to be discarded."""
    url = "http://shop.test/privacy.pdf"
    pdf = minimal_pdf(PDF_LINES)
    caps = [FixtureCapture(url, "20140101000000", pdf, content_type="application/pdf"),
            FixtureCapture(url, "20150101000000", pdf, content_type="application/pdf", revisit=True),
            FixtureCapture(url, "20160101000000", pdf, content_type="application/pdf", revisit=True)]
    fixture = IAFixture(caps).start()
    try:
        out, summary, _ = crawl(fixture.url, tmp_path, [url])
        assert web_paths(fixture) == [f"/web/20140101000000id_/{url}"]
        assert versions(out) == ["20140101000000"]
        text = (out / "policies" / "shop.test" / "20140101000000.md").read_text()
        assert "We never sell personal data to third parties." in text
        seeds = tmp_path / "seeds2.csv"
        seeds.write_text(f"site,url\nshop.test,{url}\n")
        out2 = tmp_path / "out2"
        result = run_palimpsest("crawl", str(seeds), "--out", str(out2), "--archive", fixture.url,
                                "--dialect", "ia", "--from", "2015", "--cdx-per-minute", "0",
                                "--snapshots-per-second", "0")
        assert result.returncode == 0, result.stderr[-2000:]
        assert web_paths(fixture)[1:] == [f"/web/20150101000000id_/{url}"]  # one fetch, not two
        assert versions(out2) == ["20150101000000"]
        db = sqlite3.connect(out2 / "corpus.sqlite")
        assert db.execute("SELECT outcome FROM fetches").fetchall() == [("text",)]
    finally:
        fixture.stop()


def test_images_are_skipped_without_a_fetch(tmp_path):
    url = "http://shop.test/privacy.php"
    caps = [FixtureCapture(url, "20140101000000", shop_page()),
            FixtureCapture(url, "20140201000000", b"\x89PNG fake", content_type="image/png")]
    fixture = IAFixture(caps).start()
    try:
        out, summary, _ = crawl(fixture.url, tmp_path, [url])
        assert web_paths(fixture) == [f"/web/20140101000000id_/{url}"]
    finally:
        fixture.stop()


def test_archived_429_is_a_capture_status_not_a_rate_limit(tmp_path):
    """A revisit whose id_ answer is the site's archived 429 (Memento-Datetime, x-ts: 429): recorded
    as that capture's status; the slot never pauses."""
    url = "http://shop.test/privacy.php"
    too_many = b"<html><body><h1>429 Too Many Requests</h1></body></html>"
    caps = [FixtureCapture(url, "20140101000000", shop_page()),
            FixtureCapture(url, "20150101000000", too_many, status=429, revisit=True)]
    fixture = IAFixture(caps).start()
    try:
        out, summary, result = crawl(fixture.url, tmp_path, [url], "PALIMPSEST_429_PAUSE=600")
        assert summary["rate_limited_429"] == 0 and summary["pause_seconds"] == 0
        assert summary["archived_429"] == 1
        assert len(fixture.requests("web")) == 2
        db = sqlite3.connect(out / "corpus.sqlite")
        assert db.execute("SELECT outcome, http_status FROM fetches WHERE timestamp='20150101000000'"
                          ).fetchone() == ("http-status", 429)
        assert versions(out) == ["20140101000000"]
    finally:
        fixture.stop()


def test_blocked_urls_are_recorded_and_not_asked_again(tmp_path):
    ok, blocked = "http://shop.test/privacy.php", "http://blocked.test/privacy"
    caps = [FixtureCapture(ok, "20140101000000", shop_page()),
            FixtureCapture(blocked, "20140101000000", shop_page())]
    fixture = IAFixture(caps, blocked=(blocked,)).start()
    try:
        out, summary, result = crawl(fixture.url, tmp_path, [ok, blocked])
        assert summary["blocked"] == [{"site": "shop.test", "url": blocked,
                                       "archive_said": summary["blocked"][0]["archive_said"]}]
        assert "Blocked Site Error" in summary["blocked"][0]["archive_said"]
        assert "blocked          1 URL(s)" in result.stderr
        cdx_before = len(fixture.requests("cdx"))
        _, again, _ = crawl(fixture.url, tmp_path, [ok, blocked])
        queried = [p for _, _, p, _ in fixture.requests("cdx")[cdx_before:]]
        assert len(queried) == 1 and "blocked.test" not in queried[0]
        assert again["blocked"][0]["url"] == blocked
    finally:
        fixture.stop()


def test_blocked_snapshot_served_as_200_without_memento(tmp_path):
    """The id_ of a blocked URL has been served as a 200 with no Memento-Datetime: recorded as
    blocked (final), never kept as the policy's text, not fetched again."""
    url = "http://shop.test/privacy.php"
    fixture = IAFixture([FixtureCapture(url, "20140101000000", shop_page())]).start()
    try:
        original_web = fixture.web

        def blocked_web(h, rest):
            fixture._send(h, 200, b"<html>Blocked Site Error</html>", {"Content-Type": "text/html"}, "web")
        fixture.web = blocked_web
        out, summary, _ = crawl(fixture.url, tmp_path, [url])
        assert summary["snapshots_blocked"] == 1 and versions(out) == []
        db = sqlite3.connect(out / "corpus.sqlite")
        assert db.execute("SELECT outcome FROM fetches").fetchone() == ("blocked",)
        fixture.web = original_web
        _, again, _ = crawl(fixture.url, tmp_path, [url])
        assert again["snapshot_requests"] == 0
    finally:
        fixture.stop()


def test_fixture_digest_is_the_body_sha1():
    assert FixtureCapture("http://a/", "20100101000000", b"x").digest == payload_digest(b"x")
