"""``ingest`` on files other tools write, each written here at test time in its real shape: WARC
1.0 (wget, gzip per record, request records first, a POST), WARC 1.1 plain with a ``resource``
record, a chunked response, pywb/webrecorder revisits (a url-agnostic one naming another URL's
record in another file, a hex SHA-1 digest), Browsertrix's sha256 digests, IA-style ARC and
ARC.GZ, a WACZ package, and broken files (one gzip stream for a whole WARC, a cut file, bytes
that are no record, a text file)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from conftest import change_text, citp, run_palimpsest
from pipelines.archivefiles import (ArchiveRecord, OneGzipStream, UnreadableStretch, digest_matches,
                                    normal_digest, read_archives)

SEED = "http://www.shop.test/privacy"
OLD = "We do not provide services or sell products to children."


def version(n: int) -> bytes:
    """A real policy page with one sentence of its own: each n is another text."""
    _, page, _ = citp("welcomegateapp.com")
    return change_text(page, OLD, f"Amendment {n}: we keep the records of order {n} for {n + 2} years.")


def sha1_b32(body: bytes) -> str:
    return base64.b32encode(hashlib.sha1(body).digest()).decode()


def http(status: int = 200, ctype: str = "text/html; charset=utf-8", extra=()) -> StatusAndHeaders:
    reason = {200: "OK", 301: "Moved Permanently", 302: "Found"}.get(status, "Status")
    return StatusAndHeaders(f"{status} {reason}", [("Content-Type", ctype), *extra], protocol="HTTP/1.1")


def date(ts: str) -> str:
    return f"{ts[:4]}-{ts[4:6]}-{ts[6:8]}T{ts[8:10]}:{ts[10:12]}:{ts[12:14]}Z"


class Warc:
    """A WARC written record by record with warcio (gzip per record, or plain)."""

    def __init__(self, gz: bool = True, version: str = "WARC/1.1"):
        self.buf = io.BytesIO()
        self.w = WARCWriter(self.buf, gzip=gz, warc_version=version)

    def response(self, url, ts, body, status=200, headers=None, extra=None, raw=None):
        headers = headers or http(status)
        payload = raw if raw is not None else body
        rec = self.w.create_warc_record(url, "response", payload=io.BytesIO(payload), length=len(payload),
                                        http_headers=headers,
                                        warc_headers_dict={"WARC-Date": date(ts), **(extra or {})})
        self.w.write_record(rec)
        return rec.rec_headers.get_header("WARC-Record-ID")

    def request(self, url, ts, method="GET", concurrent_to=None):
        req = StatusAndHeaders(f"{method} /privacy HTTP/1.1", [("Host", "www.shop.test")], is_http_request=True)
        extra = {"WARC-Date": date(ts)}
        if concurrent_to:
            extra["WARC-Concurrent-To"] = concurrent_to
        body = b"q=1" if method == "POST" else b""
        rec = self.w.create_warc_record(url, "request", payload=io.BytesIO(body), length=len(body),
                                        http_headers=req, warc_headers_dict=extra)
        self.w.write_record(rec)
        return rec.rec_headers.get_header("WARC-Record-ID")

    def resource(self, url, ts, body, ctype="text/html"):
        rec = self.w.create_warc_record(url, "resource", payload=io.BytesIO(body), length=len(body),
                                        warc_content_type=ctype, warc_headers_dict={"WARC-Date": date(ts)})
        self.w.write_record(rec)

    def revisit(self, url, ts, digest, refers_url, refers_ts):
        rec = self.w.create_revisit_record(url, digest or "sha1:X", refers_url, date(refers_ts),
                                           http_headers=http())
        rec.rec_headers.replace_header("WARC-Date", date(ts))
        if digest is None:  # a server-not-modified revisit that names its record only by URL and date
            rec.rec_headers.remove_header("WARC-Payload-Digest")
            rec.rec_headers.replace_header(
                "WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/server-not-modified")
        self.w.write_record(rec)

    def metadata(self, url, ts):
        rec = self.w.create_warc_record(url, "metadata", payload=io.BytesIO(b"outlinks: none\n"),
                                        warc_content_type="application/warc-fields",
                                        warc_headers_dict={"WARC-Date": date(ts)})
        self.w.write_record(rec)

    def bytes(self) -> bytes:
        return self.buf.getvalue()


def arc_file(records: list[tuple[str, str, bytes]], gz: bool) -> bytes:
    """An ARC v1 file as the Internet Archive wrote them: the filedesc header, then per record a
    URL-record line (URL IP date type length) and the HTTP response; ARC.GZ: one gzip member each."""
    version_block = b"1 0 InternetArchive\nURL IP-address Archive-date Content-type Archive-length\n"
    parts = [b"filedesc://IA-test-00000.arc 0.0.0.0 20050101000000 text/plain %d\n" % len(version_block)
             + version_block + b"\n"]
    for url, ts, body in records:
        response = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body)
                    + body)
        parts.append(f"{url} 192.0.2.7 {ts} text/html {len(response)}\n".encode() + response + b"\n")
    return b"".join(gzip.compress(p) for p in parts) if gz else b"".join(parts)


def chunked(body: bytes) -> bytes:
    half = len(body) // 2
    return b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (body[:half], body[half:])) + b"0\r\n\r\n"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The archive files of one site's history, as several tools wrote them, plus broken ones.
    Returns (folder, {file name: path}, {capture time of the seed URL: the text it must give})."""
    root = tmp_path_factory.mktemp("theirs")
    expect: dict[str, int | None] = {}  # capture time -> version n (None: no text expected)

    # wget 1.14: WARC/1.0, request record before each response, a POST form answer, metadata
    wget = Warc(gz=True, version="WARC/1.0")
    req = wget.request(SEED, "20090301120000")
    wget.response(SEED, "20090301120000", version(1), extra={"WARC-Concurrent-To": req})
    expect["20090301120000"] = 1
    post = wget.request(SEED, "20090301120500", method="POST")
    wget.response(SEED, "20090301120500", b"<html>Thank you for your feedback</html>",
                  extra={"WARC-Concurrent-To": post})
    wget.metadata(SEED, "20090301120000")
    # the page also under another URL (not a seed): the url-agnostic revisit in the WACZ names it
    wget.response("http://mirror.shop.test/legal/privacy.html", "20090402000000", version(2))

    # pywb / webrecorder: response then its request; a POST answer whose request follows it; a
    # chunked response; a revisit with a hex SHA-1 digest
    pywb = Warc(gz=True)
    rid = pywb.response("https://shop.test/privacy", "20100101000000", version(3))
    pywb.request("https://shop.test/privacy", "20100101000000", concurrent_to=rid)
    expect["20100101000000"] = 3
    rid = pywb.response(SEED, "20100101000100", b"<html>search results for q=1</html>")
    pywb.request(SEED, "20100101000100", method="POST", concurrent_to=rid)
    body4 = version(4)
    pywb.response(SEED, "20110101000000", body4, raw=chunked(body4),
                  headers=http(extra=[("Transfer-Encoding", "chunked")]),
                  extra={"WARC-Payload-Digest": "sha1:" + sha1_b32(chunked(body4))})
    expect["20110101000000"] = 4
    hexd = hashlib.sha1(version(3)).hexdigest()
    pywb.revisit(SEED, "20110601000000", f"sha1:{hexd}", "https://shop.test/privacy", "20100101000000")
    expect["20110601000000"] = 3
    pywb.revisit(SEED, "20110901000000", None, "https://shop.test/privacy", "20100101000000")
    expect["20110901000000"] = 3

    # plain WARC/1.1 with a resource record (an upload tool's: no HTTP response stored)
    plain = Warc(gz=False)
    plain.resource(SEED, "20120101000000", version(5))
    expect["20120101000000"] = 5

    # Browsertrix: sha256 digests, a revisit of one
    btrix = Warc(gz=True)
    body6 = version(6)
    digest6 = "sha256:" + hashlib.sha256(body6).hexdigest()
    btrix.response(SEED, "20130101000000", body6, extra={"WARC-Payload-Digest": digest6})
    expect["20130101000000"] = 6
    btrix.revisit(SEED, "20130701000000", digest6, SEED, "20130101000000")
    expect["20130701000000"] = 6

    # IA ARC and ARC.GZ (before WARC): two captures each
    arc = arc_file([(SEED, "20040101000000", version(7)), (SEED, "20040601000000", version(8))], gz=False)
    arcgz = arc_file([(SEED, "20050101000000", version(9)), (SEED, "20050601000000", version(9))], gz=True)
    expect.update({"20040101000000": 7, "20040601000000": 8, "20050101000000": 9, "20050601000000": 9})

    # WACZ: a zip of WARCs with its CDXJ index, pages.jsonl and datapackage.json; it holds a
    # url-agnostic revisit of the mirror URL's record in the wget file
    wacz_warc = Warc(gz=True)
    wacz_warc.response(SEED, "20140101000000", version(10))
    expect["20140101000000"] = 10
    wacz_warc.revisit(SEED, "20140601000000", "sha1:" + sha1_b32(version(2)),
                      "http://mirror.shop.test/legal/privacy.html", "20090402000000")
    expect["20140601000000"] = 2
    wacz = io.BytesIO()
    with zipfile.ZipFile(wacz, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.warc.gz", wacz_warc.bytes())
        z.writestr("indexes/index.cdxj", "com,shop)/privacy 20140101000000 {}\n")
        z.writestr("pages/pages.jsonl", '{"format": "json-pages-1.0"}\n'
                   + json.dumps({"url": SEED, "ts": "2014-01-01T00:00:00Z"}) + "\n")
        z.writestr("datapackage.json", json.dumps({"profile": "data-package", "wacz_version": "1.1.1"}))

    # broken: a WARC gzipped as one stream (its records are read all the same), a cut one (its
    # last record lost), garbage between two gzip members, and a text file
    one = Warc(gz=False)
    for ts, n in (("20150101000000", 11), ("20150601000000", 12)):
        one.response(SEED, ts, version(n))
        expect[ts] = n
    cut = Warc(gz=True)
    cut.response(SEED, "20160101000000", version(13))
    expect["20160101000000"] = 13
    cut.response(SEED, "20160601000000", version(14))
    cut_bytes = cut.bytes()[:-300]
    bad_first = Warc(gz=True)
    bad_first.response(SEED, "20170101000000", version(15))
    bad_second = Warc(gz=True)
    bad_second.response(SEED, "20170601000000", version(16))
    expect["20170601000000"] = 16  # after the garbage: found again at the next gzip member
    first = bad_first.bytes()
    garbled = first[:100] + b"\x00GARBAGE" * 20 + first[100:] + bad_second.bytes()

    written = {
        "wget.warc.gz": wget.bytes(), "pywb.warc.gz": pywb.bytes(), "upload.warc": plain.bytes(),
        "btrix.warc.gz": btrix.bytes(), "IA-2004.arc": arc, "IA-2005.arc.gz": arcgz,
        "crawl.wacz": wacz.getvalue(), "one-stream.warc.gz": gzip.compress(one.bytes()),
        "cut.warc.gz": cut_bytes, "garbled.warc.gz": garbled, "notes.warc": b"these are my notes\n" * 5,
    }
    paths = {}
    for name, data in written.items():
        paths[name] = root / name
        paths[name].write_bytes(data)
    return root, paths, expect


def texts_by_time(out: Path) -> dict[str, str | None]:
    db = sqlite3.connect(out / "corpus.sqlite")
    rows = db.execute("SELECT c.timestamp, t.markdown FROM captures c LEFT JOIN fetches f ON "
                      "f.payload_key = c.payload_key LEFT JOIN texts t ON t.text_hash = f.text_hash "
                      "WHERE c.site = 'shop.test'").fetchall()
    import zlib

    return {ts: (zlib.decompress(md).decode() if md else None) for ts, md in rows}


def test_ingest_reads_every_format_and_every_readable_part(files, tmp_path):
    root, paths, expect = files
    seeds = tmp_path / "seeds.csv"
    seeds.write_text(f"site,url\nshop.test,{SEED}\n")
    out = tmp_path / "out"
    args = ["ingest", *map(str, paths.values()), "--seeds", str(seeds), "--out", str(out)]
    r = run_palimpsest(*args)
    assert r.returncode == 1, r.stderr[-3000:]
    err = r.stderr
    assert "Traceback" not in err and "warcio recompress" in err
    assert "ERROR: non-chunked gzip" not in err and "WARNING: Record not followed" not in err
    # every capture of the seed URL that a readable record holds, with the text of its own payload
    got = texts_by_time(out)
    assert sorted(got) == sorted(expect), (sorted(set(got) ^ set(expect)))
    for ts, n in expect.items():
        assert got[ts] is not None, f"capture {ts} has no text"
        assert f"Amendment {n}:" in got[ts], (ts, n)
    # the POST answers, requests and metadata are no captures; the mirror URL is no seed
    assert not any("Thank you" in (t or "") or "search results" in (t or "") for t in got.values())
    # one line per broken file, naming it and the offset
    lines = [line for line in err.splitlines() if line.startswith("ERROR: ")]
    for name in ("one-stream.warc.gz", "cut.warc.gz", "garbled.warc.gz", "notes.warc"):
        mine = [line for line in lines if name in line]
        assert len(mine) == 1, (name, lines)
    assert "byte" in next(line for line in lines if "cut.warc.gz" in line)
    assert "bytes 0-" in next(line for line in lines if "garbled.warc.gz" in line)
    assert "not a WARC, ARC or WACZ file" in next(line for line in lines if "notes.warc" in line)
    summary = err.strip().splitlines()[-1]
    assert "4 file(s) with unreadable parts" in summary
    for name in ("one-stream.warc.gz", "cut.warc.gz", "garbled.warc.gz", "notes.warc"):
        assert name in summary
    for name in ("wget.warc.gz", "pywb.warc.gz", "IA-2004.arc", "crawl.wacz"):
        assert name not in summary
    # versions: one file per text change, oldest first
    versions = sorted(p.stem for p in (out / "policies" / "shop.test").glob("*.md"))
    assert versions[0] == "20040101000000" and "20140601000000" in versions
    # the same command again adds nothing
    db = sqlite3.connect(out / "corpus.sqlite")
    before = [db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("captures", "fetches", "snapshots")]
    again = run_palimpsest(*args)
    assert again.returncode == 1 and "0 new captures, 0 payloads extracted" in again.stderr
    assert [db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("captures", "fetches", "snapshots")] == before


# -- the reader, in milliseconds -------------------------------------------------------------
def read(paths) -> tuple[list[ArchiveRecord], list]:
    problems: list = []
    records = list(read_archives(paths, lambda kind, url, digest: True, problems.append))
    return records, problems


def test_reader_posts_resources_and_arc(files):
    _, paths, _ = files
    records, problems = read([paths["wget.warc.gz"], paths["pywb.warc.gz"], paths["upload.warc"],
                              paths["IA-2004.arc"], paths["IA-2005.arc.gz"]])
    assert problems == []
    seed = [(r.kind, r.timestamp) for r in records if r.url == SEED]
    assert ("response", "20090301120500") not in seed and ("response", "20100101000100") not in seed
    assert ("resource", "20120101000000") in seed and ("revisit", "20110601000000") in seed
    assert [ts for kind, ts in seed if ts.startswith(("2004", "2005"))] == [
        "20040101000000", "20040601000000", "20050101000000", "20050601000000"]
    chunky = next(r for r in records if r.timestamp == "20110101000000")
    assert b"Amendment 4:" in chunky.body and not chunky.body.startswith(b"%x" % (len(chunky.body) // 2))
    resource = next(r for r in records if r.kind == "resource")
    assert resource.status == 200 and resource.content_type == "text/html" and resource.headers == ()
    revisit = next(r for r in records if r.timestamp == "20110601000000")
    assert revisit.body is None and revisit.digest == sha1_b32(version(3))  # hex read as base32


def test_reader_tells_each_unreadable_stretch_and_reads_on(files):
    _, paths, _ = files
    records, problems = read([paths["garbled.warc.gz"], paths["cut.warc.gz"], paths["notes.warc"],
                              paths["one-stream.warc.gz"], paths["crawl.wacz"]])
    by_file = {Path(p.file.split("!")[0]).name: p for p in problems}
    assert set(by_file) == {"garbled.warc.gz", "cut.warc.gz", "notes.warc", "one-stream.warc.gz"}
    garbled = by_file["garbled.warc.gz"]
    assert isinstance(garbled, UnreadableStretch) and garbled.start == 0 and garbled.end > 100
    assert isinstance(by_file["one-stream.warc.gz"], OneGzipStream)
    assert "\n" not in "".join(map(str, problems))
    times = sorted(r.timestamp for r in records)
    assert times == ["20140101000000", "20140601000000", "20150101000000", "20150601000000",
                     "20160101000000", "20170601000000"]
    wacz = [r for r in records if r.timestamp.startswith("2014")]
    assert all(r.file.endswith("crawl.wacz!archive/data.warc.gz") for r in wacz)
    revisit = next(r for r in wacz if r.kind == "revisit")
    assert revisit.refers_to_url == "http://mirror.shop.test/legal/privacy.html"


def test_the_fast_reader_gives_what_warcio_gives(files, tmp_path, monkeypatch):
    """FastWARC reads well-formed files; the records, offsets and problems are warcio's, on files
    long enough for it to give most of their records: the tools' files one after the other
    (POST requests before and after their responses, chunked payloads, revisits, resources,
    metadata), and the same with damage in the middle, a cut end or one gzip stream."""
    import pipelines.archivefiles as archivefiles

    _, paths, _ = files
    tools = b"".join(paths[n].read_bytes() for n in ("wget.warc.gz", "pywb.warc.gz", "btrix.warc.gz"))
    plain = paths["upload.warc"].read_bytes()
    garbled = paths["garbled.warc.gz"].read_bytes()
    cut = paths["cut.warc.gz"].read_bytes()
    made = {"tools.warc.gz": tools * 4, "plain.warc": plain * 12,
            "garbled-middle.warc.gz": tools * 2 + garbled + tools * 2, "cut-end.warc.gz": tools * 3 + cut,
            "one-stream.warc.gz": gzip.compress(plain * 12)}
    given: dict[str, int] = {}
    fast = archivefiles._fast_segment

    def counting(fh, name, *args):
        before = len(args[2])
        stop = yield from fast(fh, name, *args)
        given[Path(name).name] = len(args[2]) - before
        return stop

    monkeypatch.setattr(archivefiles, "_fast_segment", counting)
    for name, data in made.items():
        (tmp_path / name).write_bytes(data)
        monkeypatch.setattr(archivefiles, "FAST_READING", False)
        records, problems = read([tmp_path / name])
        monkeypatch.setattr(archivefiles, "FAST_READING", True)
        fast_records, fast_problems = read([tmp_path / name])
        assert fast_records == records and records, name
        assert list(map(str, fast_problems)) == list(map(str, problems)), name
        assert bool(problems) == (name != "tools.warc.gz" and name != "plain.warc"), name
    assert given["tools.warc.gz"] >= 10 and given["plain.warc"] >= 4
    assert given["garbled-middle.warc.gz"] >= 4 and given["cut-end.warc.gz"] >= 4
    assert given["one-stream.warc.gz"] <= 1  # one gzip stream: past its first record, warcio reads it


def test_digests_as_the_cdx_spells_them():
    body = b"<p>x</p>"
    assert normal_digest("sha1:" + hashlib.sha1(body).hexdigest()) == sha1_b32(body)
    assert normal_digest("sha1:" + sha1_b32(body).lower()) == sha1_b32(body)
    assert normal_digest(sha1_b32(body)) == sha1_b32(body)
    s256 = hashlib.sha256(body).hexdigest()
    assert normal_digest("SHA-256:" + s256.upper()) == "sha256:" + s256
    assert digest_matches(body, "sha256:" + s256) and digest_matches(body, sha1_b32(body))
    assert digest_matches(b"other", sha1_b32(body)) is False and normal_digest(None) is None


def test_a_revisit_whose_payload_no_file_holds_is_indexed_and_told(tmp_path):
    only = Warc(gz=True)
    only.revisit(SEED, "20180101000000", "sha1:" + sha1_b32(version(20)), "http://elsewhere.test/p",
                 "20170101000000")
    path = tmp_path / "partial.warc.gz"
    path.write_bytes(only.bytes())
    seeds = tmp_path / "seeds.csv"
    seeds.write_text(f"site,url\nshop.test,{SEED}\n")
    r = run_palimpsest("ingest", str(path), "--seeds", str(seeds), "--out", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr[-2000:]  # the file is sound: it lacks the original, that is all
    assert "which no file given holds" in r.stderr and "1 revisits whose payload no file holds" in r.stderr
    assert texts_by_time(tmp_path / "out") == {"20180101000000": None}


def member_of(path: Path, offset: int, length: int) -> bytes:
    with path.open("rb") as fh:
        fh.seek(offset)
        return fh.read(length)


def test_ingest_keeps_a_plain_record_as_the_tool_stored_it(tmp_path, monkeypatch):
    """A plain response of a file of one gzip member per record is copied into OUT/snapshots
    byte for byte (its own headers, record ID and digest; not decompressed and written again);
    what is derived from it is what the rewritten record gives, and reextract finds the same
    texts. Records the fast reader does not give as they are stored (a chunked one, the last
    ones of the file) are written as before."""
    import pipelines.archivefiles as archivefiles
    from pipelines.ingest import ingest
    from pipelines.rederive import reextract

    tool = Warc(gz=True, version="WARC/1.0")  # wget's shape: a request record before each response
    ids = {}
    for n in range(24):
        ts = f"20{10 + n // 12:02d}{n % 12 + 1:02d}01000000"
        req = tool.request(SEED, ts)
        ids[ts] = tool.response(SEED, ts, version(n), extra={"WARC-Concurrent-To": req})
    body = version(99)
    tool.response(SEED, "20200101000000", body, raw=chunked(body),
                  headers=http(extra=[("Transfer-Encoding", "chunked")]))
    source = tmp_path / "wget.warc.gz"
    source.write_bytes(tool.bytes())
    seeds = tmp_path / "seeds.csv"
    seeds.write_text(f"site,url\nshop.test,{SEED}\n")

    ingest([str(source)], str(seeds), tmp_path / "copied", workers=1)
    monkeypatch.setattr(archivefiles, "FAST_READING", False)  # warcio alone: every record written
    ingest([str(source)], str(seeds), tmp_path / "written", workers=1)
    monkeypatch.setattr(archivefiles, "FAST_READING", True)

    def snapshots(out: Path) -> dict:
        db = sqlite3.connect(out / "corpus.sqlite")
        rows = db.execute("SELECT timestamp, file, offset, length FROM snapshots").fetchall()
        db.close()
        return {ts: member_of(out / "snapshots" / f, off, ln) for ts, f, off, ln in rows}

    copied, written = snapshots(tmp_path / "copied"), snapshots(tmp_path / "written")
    assert len(copied) == len(written) == 25
    from warcio.archiveiterator import ArchiveIterator
    source_members = {}
    with source.open("rb") as fh:
        it = ArchiveIterator(fh)
        for rec in it:
            rec.content_stream().read()
            if rec.rec_type == "response":
                source_members[rec.rec_headers.get_header("WARC-Record-ID")] = member_of(
                    source, it.get_record_offset(), it.get_record_length())
    same = [ts for ts, raw in copied.items() if raw == source_members.get(ids.get(ts))]
    assert len(same) >= 12  # all but the last records, which warcio reads
    assert "20200101000000" not in same  # the chunked one is written, de-chunked
    assert not any(raw in source_members.values() for raw in written.values())
    assert texts_by_time(tmp_path / "copied") == texts_by_time(tmp_path / "written")
    assert {p.name: p.read_bytes() for p in (tmp_path / "copied" / "policies").rglob("*.md")} == \
        {p.name: p.read_bytes() for p in (tmp_path / "written" / "policies").rglob("*.md")}
    assert reextract(tmp_path / "copied", workers=1)["texts_changed"] == 0


def test_a_member_that_is_not_one_whole_record_is_written_not_copied(tmp_path):
    """copy_member keeps the bytes only when they are one whole gzip member holding a WARC
    record: a cut member, two members, or a member of something else are refused (the caller
    writes the record itself), and nothing is written for them."""
    from pipelines.corpus.warcfiles import SnapshotStore

    one = Warc(gz=True)
    one.response(SEED, "20100101000000", version(1))
    one.response(SEED, "20100201000000", version(2))
    data = one.bytes()
    source = tmp_path / "src.warc.gz"
    source.write_bytes(data + gzip.compress(b"not a warc record at all\n"))
    first = next(i for i in range(2, len(data)) if data[i:i + 3] == b"\x1f\x8b\x08")
    snaps = SnapshotStore(tmp_path / "out")
    try:
        assert snaps.copy_member(source, 0, first - 1) is None  # cut short
        assert snaps.copy_member(source, 0, len(data)) is None  # two members
        assert snaps.copy_member(source, len(data), source.stat().st_size - len(data)) is None
        assert snaps.copy_member(source, 0, source.stat().st_size + 10) is None  # past the end
        ref = snaps.copy_member(source, 0, first)
        assert ref is not None and ref.length == first
        body, ctype, status, url = snaps.read(ref)
        assert body == version(1) and status == 200 and url == SEED
    finally:
        snaps.close()
