"""A small stand-in for the Internet Archive's behaviours that pywb lacks.

Serves, on 127.0.0.1, the IA CDX dialect (JSON arrays with a header row, ``showResumeKey`` paging
with rows repeated at page edges) and ``/web/<ts>id_/<url>`` with IA's answers: archived responses
with ``Memento-Datetime`` and ``X-Archive-Orig-*`` headers, archived redirects whose Location is
rewritten to another ``id_`` URL, a 302 to the nearest capture for an inexact timestamp, and
scripted 429 storms and 5xx answers. Every request is logged with its arrival time.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

from crawler.wayback import parse_timestamp, payload_digest


@dataclass
class FixtureCapture:
    url: str
    timestamp: str
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    location: str | None = None  # archived redirect target (original URL)
    served_timestamp: str | None = None  # IA answers with a 302 to this capture instead

    @property
    def digest(self) -> str:
        return payload_digest(self.body)


@dataclass
class Script:
    """Faults to play: statuses to answer instead of the real answer, per kind ('cdx'|'web')."""

    queue: dict[str, list[int]] = field(default_factory=lambda: {"cdx": [], "web": []})


class IAFixture:
    def __init__(self, captures: list[FixtureCapture], page_size: int = 1000, port: int = 0):
        self.captures = sorted(captures, key=lambda c: c.timestamp)
        self.page_size = page_size
        self.script = Script()
        self.log: list[tuple[float, str, str, int]] = []  # (time, kind, path, status)
        self.connections: set[tuple[str, int]] = set()  # client (host, port) pairs seen
        self.lock = threading.Lock()
        fixture = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                fixture.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "IAFixture":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def requests(self, kind: str | None = None) -> list[tuple[float, str, str, int]]:
        return [r for r in self.log if kind is None or r[1] == kind]

    # -- answers ----------------------------------------------------------------------------
    def _send(self, h, status: int, body: bytes = b"", headers: dict | None = None, kind: str = "",
              ) -> None:
        with self.lock:
            self.log.append((time.time(), kind, h.path, status))
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def handle(self, h) -> None:
        with self.lock:
            self.connections.add(h.client_address)
        parts = urlsplit(h.path)
        kind = "cdx" if parts.path == "/cdx/search/cdx" else "web" if parts.path.startswith("/web/") else "other"
        with self.lock:
            scripted = self.script.queue.get(kind) or []
            fault = scripted.pop(0) if scripted else None
        if fault:
            self._send(h, fault, b"scripted fault", {"Content-Type": "text/plain"}, kind)
            return
        if kind == "cdx":
            self.cdx(h, parse_qs(parts.query))
        elif kind == "web":
            self.web(h, h.path[len("/web/"):])
        else:
            self._send(h, 404, b"not here", kind=kind)

    def cdx(self, h, q) -> None:
        url = q["url"][0]
        rows = [c for c in self.captures if c.url == url]
        if "from" in q:
            rows = [c for c in rows if c.timestamp >= q["from"][0].ljust(14, "0")]
        if "to" in q:
            rows = [c for c in rows if c.timestamp <= q["to"][0].ljust(14, "9")]
        for spec in q.get("filter", []):  # IA: [!]field:regex on the whole field, ANDed
            negate, (name, _, pattern) = spec.startswith("!"), spec.lstrip("!").partition(":")
            rows = [c for c in rows
                    if bool(re.fullmatch(pattern, self._field(c, name))) != negate]
        for spec in q.get("collapse", []):  # IA: drop a row equal to the previous row's field[:N]
            name, _, n = spec.partition(":")
            kept, prev = [], None
            for c in rows:
                value = self._field(c, name)[:int(n)] if n else self._field(c, name)
                if value != prev:
                    kept.append(c)
                prev = value
            rows = kept
        start = int(q.get("resumeKey", ["0"])[0])
        limit = int(q.get("limit", [str(self.page_size)])[0])
        page = rows[start:start + limit]
        out: list = [["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]]
        if start:  # IA can repeat the last row of the previous page
            prev = rows[start - 1]
            page = [prev] + page
        for c in page:
            out.append(["key", c.timestamp, c.url, c.content_type.split(";")[0], str(c.status),
                        c.digest, str(len(c.body) + 200)])
        if start + limit < len(rows) and q.get("showResumeKey") == ["true"]:
            out += [[], [str(start + limit)]]
        body = json.dumps(out).encode() if len(out) > 1 else b"[]"
        self._send(h, 200, body, {"Content-Type": "application/json"}, "cdx")

    @staticmethod
    def _field(c: FixtureCapture, name: str) -> str:
        return {"timestamp": c.timestamp, "statuscode": str(c.status), "original": c.url,
                "digest": c.digest, "mimetype": c.content_type.split(";")[0]}[name]

    def web(self, h, rest: str) -> None:
        ts, _, url = rest.partition("id_/")
        exact = [c for c in self.captures if c.url == url and c.timestamp == ts]
        if not exact:
            same = [c for c in self.captures if c.url == url]
            if not same:
                self._send(h, 404, b"not archived", {"Content-Type": "text/html"}, "web")
                return
            nearest = min(same, key=lambda c: abs(int(c.timestamp) - int(ts.ljust(14, "0"))))
            self._send(h, 302, b"", {"Location": f"{self.url}/web/{nearest.timestamp}id_/{url}"}, "web")
            return
        cap = exact[0]
        if cap.served_timestamp:
            self._send(h, 302, b"", {"Location": f"{self.url}/web/{cap.served_timestamp}id_/{url}"}, "web")
            return
        headers = {"Memento-Datetime": format_datetime(parse_timestamp(ts), usegmt=True),
                   "Content-Type": cap.content_type,
                   "X-Archive-Orig-Content-Type": cap.content_type}
        if cap.location:
            headers["Location"] = f"{self.url}/web/{ts}id_/{quote(cap.location, safe=':/?=&')}"
        self._send(h, cap.status, cap.body, headers, "web")
