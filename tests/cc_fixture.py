"""A loopback Common Crawl in the real shapes (wayback-facts.md, issue #22): ``/collinfo.json``
listing crawls (id, name, cdx-api, from, to), one pywb-style CDX index per crawl answering JSON
lines (urlkey, timestamp, url, mime, mime-detected, status, digest, length, offset, filename),
``404 {"error": "No Captures found for: ..."}`` when it has none, ``showNumPages=true`` then
``page=N``, and the WARC files under ``/crawl-data/`` read with ``Range`` requests, one gzip
member holding one WARC record each. Its first data request is answered 503 (slow down)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from warcio.archiveiterator import ArchiveIterator

from crawler.demo.warcs import Capture, write_warc
from loopback import LoopbackServer
from pipelines.captures import surt_key


class CommonCrawlFixture(LoopbackServer):
    def __init__(self, root: Path, crawls: dict[str, list[Capture]], page_lines: int = 3000,
                 slow_down_first: int = 1):
        super().__init__()
        self.files: dict[str, bytes] = {}
        self.index: dict[str, list[dict]] = {}
        self.page_lines = page_lines
        self.slow_down_left = slow_down_first
        self.requests: list[str] = []
        for crawl, captures in crawls.items():
            name = f"crawl-data/{crawl}/segments/1/warc/{crawl}-00000.warc.gz"
            path = write_warc(root / f"{crawl}.warc.gz", captures) if captures else None
            data = path.read_bytes() if path else b""
            self.files[name] = data
            rows = []
            if data:
                with path.open("rb") as fh:
                    it = ArchiveIterator(fh)
                    for record in it:
                        if record.rec_type not in ("response", "revisit"):
                            continue
                        url = record.rec_headers.get_header("WARC-Target-URI")
                        ts = re.sub(r"\D", "", record.rec_headers.get_header("WARC-Date"))[:14]
                        digest = record.rec_headers.get_header("WARC-Payload-Digest").split(":", 1)[1]
                        status = record.http_headers.get_statuscode() if record.http_headers else "-"
                        ctype = (record.http_headers.get_header("Content-Type") or "").split(";")[0]
                        record.raw_stream.read()
                        it.read_to_end(record)
                        rows.append({"urlkey": surt_key(url), "timestamp": ts, "url": url,
                                     "mime": "warc/revisit" if record.rec_type == "revisit" else ctype,
                                     "mime-detected": ctype or "text/html", "status": status,
                                     "digest": digest, "length": str(it.get_record_length()),
                                     "offset": str(it.get_record_offset()), "filename": name,
                                     "languages": "eng", "encoding": "UTF-8"})
            rows.sort(key=lambda r: (r["urlkey"], r["timestamp"]))
            self.index[crawl] = rows
        self.crawl_dates = {c: (min((r["timestamp"] for r in rows), default="20000101000000"),
                                max((r["timestamp"] for r in rows), default="20000101000000"))
                            for c, rows in self.index.items()}

    def collinfo(self) -> list[dict]:
        out = []
        for crawl, (lo, hi) in self.crawl_dates.items():
            iso = lambda t: f"{t[:4]}-{t[4:6]}-{t[6:8]}T{t[8:10]}:{t[10:12]}:{t[12:14]}"  # noqa: E731
            out.append({"id": crawl, "name": f"{crawl} Index", "timegate": f"{self.url}/{crawl}/",
                        "cdx-api": f"{self.url}/{crawl}-index", "from": iso(lo), "to": iso(hi)})
        return list(reversed(out))  # newest first, as Common Crawl lists them

    def handle(self, h) -> None:
        parts = urlsplit(h.path)
        with self.lock:
            self.requests.append(h.path)
        if parts.path == "/collinfo.json":
            return self.answer(h, 200, json.dumps(self.collinfo()).encode(),
                               {"Content-Type": "application/json"})
        m = re.fullmatch(r"/(.+)-index", parts.path)
        if m and m.group(1) in self.index:
            q = {k: v[0] for k, v in parse_qs(parts.query).items()}
            key = surt_key(q.get("url", ""))
            rows = [r for r in self.index[m.group(1)] if r["urlkey"] == key
                    and r["timestamp"] >= q.get("from", "0") and r["timestamp"] <= q.get("to", "9" * 14)]
            pages = (len(rows) + self.page_lines - 1) // self.page_lines
            if q.get("showNumPages") == "true":
                return self.answer(h, 200, json.dumps({"pages": pages, "pageSize": 5,
                                                       "blocks": pages}).encode())
            page = int(q.get("page", "0"))
            if page:
                rows = rows[page * self.page_lines:(page + 1) * self.page_lines]
            elif "page" in q:
                rows = rows[:self.page_lines]
            if not rows:
                return self.answer(h, 404, json.dumps(
                    {"error": f"No Captures found for: {q.get('url')}"}).encode(),
                    {"Content-Type": "text/x-ndjson"})
            return self.answer(h, 200, "".join(json.dumps(r) + "\n" for r in rows).encode(),
                               {"Content-Type": "text/x-ndjson"})
        name = parts.path.lstrip("/")
        if name in self.files:
            with self.lock:
                slow = self.slow_down_left > 0
                self.slow_down_left -= 1 if slow else 0
            if slow:
                return self.answer(h, 503, b"<Error><Code>SlowDown</Code></Error>")
            data = self.files[name]
            rng = re.fullmatch(r"bytes=(\d+)-(\d+)", h.headers.get("Range", ""))
            if not rng:
                return self.answer(h, 200, data, {"Content-Type": "application/octet-stream"})
            start, end = int(rng.group(1)), int(rng.group(2))
            return self.answer(h, 206, data[start:end + 1], {
                "Content-Type": "application/octet-stream",
                "Content-Range": f"bytes {start}-{end}/{len(data)}"})
        return self.answer(h, 404, b"not found")

    def data_requests(self) -> list[str]:
        return [p for p in self.requests if p.startswith("/crawl-data/")]

    def index_requests(self) -> list[str]:
        return [p for p in self.requests if "-index" in p]
