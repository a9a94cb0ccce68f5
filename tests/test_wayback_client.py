"""The Wayback client: CDX parsing in both dialects, payload keys, snapshot classification."""

from __future__ import annotations

import json

import pytest

from pipelines.captures import (dedupe_records, surt_key, EMPTY_DIGEST, CdxRecord, payload_digest, wayback_link)
from crawler.archive.client import is_blocked_cdx_answer, Archive, CdxFormatError

IA = Archive("https://web.archive.org")
PYWB = Archive("http://127.0.0.1:8080/coll")


def test_dialect_from_host_and_urls():
    assert IA.dialect == "ia" and PYWB.dialect == "pywb"
    assert IA.snapshot_url("20170606181642", "https://allsales.guru/privacy-policy") == \
        "https://web.archive.org/web/20170606181642id_/https://allsales.guru/privacy-policy"
    assert PYWB.snapshot_url("20170606181642", "http://a.b/c") == \
        "http://127.0.0.1:8080/coll/20170606181642id_/http://a.b/c"
    q = IA.cdx_url("http://x.com/p?a=1&b=2", from_ts="2015")
    assert q.startswith("https://web.archive.org/cdx/search/cdx?url=http%3A%2F%2Fx.com%2Fp%3Fa%3D1%26b%3D2")
    assert "showResumeKey=true" in q and "from=2015" in q and "output=json" in q
    assert "allowFuzzy=0" in PYWB.cdx_url("http://x.com/")
    with pytest.raises(ValueError):
        Archive("ftp://archive.example")


def test_parse_ia_json_with_resume_key_and_bad_rows():
    rows = [["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"],
            ["com,x)/p", "20100101000000", "http://x.com/p", "text/html", "200", "AAA", "123"],
            ["com,x)/p", "20100201000000", "http://x.com/p", "warc/revisit", "-", "AAA", "80"],
            ["com,x)/p", "2010", "http://x.com/p", "text/html", "200", "BBB", "1"],
            ["short"], [], ["com%2Cx%29%2Fp+20100201000000"]]
    page = IA.parse_cdx(json.dumps(rows).encode())
    assert [r.timestamp for r in page.records] == ["20100101000000", "20100201000000"]
    assert page.records[1].is_revisit and page.records[1].status is None
    assert page.resume_key == "com%2Cx%29%2Fp+20100201000000"
    assert len(page.errors) == 2 and "bad timestamp" in page.errors[0]
    assert IA.parse_cdx(b"[]").records == [] and IA.parse_cdx(b"").records == []
    with pytest.raises(CdxFormatError):
        IA.parse_cdx(b"<html>504 Gateway Time-out</html>")


def test_parse_pywb_ndjson():
    body = "\n".join([
        json.dumps({"urlkey": "k", "timestamp": "20150101000000", "url": "http://e.com/p",
                    "mime": "text/html", "status": "200", "digest": "D1", "length": "356"}),
        json.dumps({"urlkey": "k", "timestamp": "20160101000000", "url": "http://e.com/p",
                    "mime": "warc/revisit", "digest": "D1", "length": "389"}),
        "{not json",
    ])
    page = PYWB.parse_cdx(body)
    assert [r.status for r in page.records] == [200, None]
    assert page.records[1].is_revisit and len(page.errors) == 1


def test_payload_keys_one_per_digest_of_a_urlkey_redirects_apart():
    ok = CdxRecord("k", "20150101000000", "http://e.com/p", "text/html", 200, "D1", 1)
    r1 = CdxRecord("k", "20150101000000", "http://e.com/p", "unk", 301, EMPTY_DIGEST, 1)
    r2 = CdxRecord("k", "20150101000000", "http://e.com/q", "unk", 301, EMPTY_DIGEST, 1)
    assert ok.payload_key == "200:D1:com,e)/p"
    assert r1.payload_key != r2.payload_key  # same empty digest, different redirects
    # other spellings of the same URL (one urlkey) share the payload: fetched once
    for spelling in ("http://www.e.com:80/p", "https://e.com/p", "http://WWW.E.COM/./p"):
        assert CdxRecord("k", "20160101000000", spelling, "text/html", 200, "D1", 1).payload_key \
            == ok.payload_key, spelling
    # the same bytes at another URL are another payload
    assert ok.payload_key != CdxRecord("k", "20150101000000", "http://f.com/p", "text/html", 200, "D1", 1).payload_key
    assert payload_digest(b"") == EMPTY_DIGEST


def test_surt_keys():
    assert surt_key("http://www.cnn.com:80/") == "com,cnn)/"
    assert surt_key("http://cnn.com:80/") == surt_key("https://www.cnn.com/") == "com,cnn)/"
    assert surt_key("http://x.com:8080/P?b=2&a=1") == "com,x:8080)/p?a=1&b=2"
    assert surt_key("http://www2.x.com/p") == "com,x)/p"


def test_archived_429_and_blocked_answers():
    archived = {"memento-datetime": "Fri, 01 Jan 2016 00:00:00 GMT", "x-ts": "429"}
    out = IA.classify_snapshot(429, archived, "20160101000000")
    assert (out.kind, out.status) == ("archived", 429)  # the site's 429, not a rate limit
    assert IA.classify_snapshot(429, {"x-ts": "429"}, "x").kind == "archived"
    assert IA.classify_snapshot(429, {}, "x").kind == "rate-limited"  # the archive's own
    # a blocked URL's id_ is a 200 without Memento-Datetime on IA
    assert IA.classify_snapshot(200, {"Content-Type": "text/html"}, "x").kind == "blocked"
    assert is_blocked_cdx_answer(403, b"<h1>Blocked Site Error</h1>") == "Blocked Site Error"
    assert is_blocked_cdx_answer(200, b"[]") is None


def test_dedupe_keeps_two_digests_of_one_second():
    a = CdxRecord("k", "20010507180422", "http://cnn.com:80/", "text/html", 200, "DA", 1)
    b = CdxRecord("k", "20010507180422", "http://cnn.com:80/", "text/html", 200, "DB", 1)
    assert dedupe_records([a, b, a]) == [a, b]


def test_classify_snapshot_answers():
    memento = {"Memento-Datetime": "Fri, 01 Jan 2016 00:00:00 GMT"}
    assert IA.classify_snapshot(200, memento, "20160101000000").kind == "archived"
    out = IA.classify_snapshot(301, {**memento, "Location":
                               "https://web.archive.org/web/20160101000000id_/http://e.com/new"}, "x")
    assert (out.kind, out.location, out.location_timestamp) == \
        ("archived-redirect", "http://e.com/new", "20160101000000")
    out = IA.classify_snapshot(302, {"Location": "https://web.archive.org/web/20140101000000id_/http://e.com/"}, "x")
    assert (out.kind, out.location_timestamp) == ("archive-redirect", "20140101000000")
    assert PYWB.classify_snapshot(301, {**memento, "Location": "http://e.com/new"}, "x").location == "http://e.com/new"
    assert IA.classify_snapshot(404, {}, "x").kind == "missing"
    assert IA.classify_snapshot(404, memento, "x").kind == "archived"  # an archived 404
    assert IA.classify_snapshot(429, {}, "x").kind == "rate-limited"
    assert IA.classify_snapshot(403, {}, "x").kind == "blocked"


def test_wayback_link_encoding():
    assert wayback_link("20081013214612", "http://www.hydeparkbooks.com/?page=shop/privacy&CLSN_1442=1") == \
        "https://web.archive.org/web/20081013214612id_/http%3A//www.hydeparkbooks.com/%3Fpage%3Dshop/privacy%26CLSN_1442%3D1"


def test_typed_answers_of_the_archive():
    from crawler.archive.client import Answer

    cases = [(429, {}, Answer.RATE_LIMITED), (403, {}, Answer.BLOCKED), (404, {}, Answer.MISSING),
             (302, {"Location": "https://web.archive.org/web/20140101000000id_/http://e.com/"},
              Answer.ARCHIVE_REDIRECT), (502, {}, Answer.ERROR)]
    for status, headers, kind in cases:
        assert IA.classify_snapshot(status, headers, "20150101000000").kind == kind
    redirect = IA.classify_snapshot(*cases[3][:2], "x")
    assert (redirect.location_timestamp, redirect.location) == ("20140101000000", "http://e.com/")
    archived = IA.classify_snapshot(200, {"Memento-Datetime": "Fri, 01 Jan 2016 00:00:00 GMT"}, "x")
    assert (archived.kind, archived.memento_datetime) == (Answer.ARCHIVED, "20160101000000")
