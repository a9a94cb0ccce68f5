"""A small stand-in for the Internet Archive's behaviours that pywb lacks.

Serves, on 127.0.0.1, the IA CDX dialect and ``/web/<ts>id_/<url>`` with the shapes of real
recorded answers (../shared/reference/wayback-facts.md):

* one urlkey (SURT) lists captures under every spelling of the URL (``http://www.x.com:80/p``,
  ``https://x.com/p``), sorted as IA's index is: ``urlkey timestamp original``;
* ``showResumeKey`` paging with IA's old-style key, the last row's ``urlkey timestamp`` with its
  last character incremented (quote_plus-encoded), so a second capture of the same urlkey in the
  same second is on neither page; or (``opaque_keys``) the same key as base64url(zlib(...));
  a page that is exactly full carries a key even when the next page is empty; rows can repeat
  at page edges;
* revisit rows (``warc/revisit``, status ``-``), an archived 429 (``Memento-Datetime`` and
  ``x-ts: 429``), blocked URLs (CDX 403 "Blocked Site Error", ``id_`` 200 without
  ``Memento-Datetime``), a CDX digest that never matches the body;
* archived responses with ``Memento-Datetime`` and ``X-Archive-Orig-*`` headers, archived
  redirects whose Location is rewritten to another ``id_`` URL, a 302 to the nearest capture for
  an inexact timestamp, and scripted 429 storms and 5xx answers.

Every request is logged with its arrival time.
"""

from __future__ import annotations

import base64
import json
import re
import time
import zlib
from dataclasses import dataclass, field
from email.utils import format_datetime
from urllib.parse import parse_qs, quote, quote_plus, unquote_plus, urlsplit

from pipelines.captures import parse_timestamp, payload_digest, surt_key
from loopback import LoopbackServer

BLOCKED_BODY = (b"<html><body><h1>Blocked Site Error</h1><p>org.archive.wayback.exception."
                b"AdministrativeAccessControlException: Blocked Site Error</p></body></html>")


@dataclass
class FixtureCapture:
    url: str
    timestamp: str
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    location: str | None = None  # archived redirect target (original URL)
    served_timestamp: str | None = None  # IA answers with a 302 to this capture instead
    revisit: bool = False  # listed as warc/revisit with status '-' (id_ serves the payload)
    cdx_digest: str | None = None  # the digest the CDX lists, when it is not the body's SHA-1
    mimetype: str | None = None  # the CDX mimetype, when not the Content-Type's

    @property
    def digest(self) -> str:
        return self.cdx_digest or payload_digest(self.body)

    @property
    def urlkey(self) -> str:
        return surt_key(self.url)


@dataclass
class Script:
    """Faults to play: statuses to answer instead of the real answer, per kind ('cdx'|'web'), or
    to the CDX queries of one URL (any spelling: by urlkey), whatever order requests arrive in."""

    queue: dict[str, list[int]] = field(default_factory=lambda: {"cdx": [], "web": []})
    cdx_of: dict[str, list[int]] = field(default_factory=dict)  # urlkey -> statuses


class IAFixture(LoopbackServer):
    def __init__(self, captures: list[FixtureCapture], page_size: int = 1000, port: int = 0,
                 opaque_keys: bool = False, repeat_edge_rows: bool = True,
                 blocked: tuple[str, ...] = ()):
        super().__init__(port)
        # IA's index order: urlkey, timestamp, then the rest of the line (the original URL)
        self.captures = sorted(captures, key=lambda c: (c.urlkey, c.timestamp, c.url))
        self.page_size = page_size
        self.opaque_keys = opaque_keys
        self.repeat_edge_rows = repeat_edge_rows
        self.blocked = {surt_key(u) for u in blocked}
        self.script = Script()
        self.log: list[tuple[float, str, str, int]] = []  # (time, kind, path, status)
        self.connections: set[tuple[str, int]] = set()  # client (host, port) pairs seen

    def requests(self, kind: str | None = None) -> list[tuple[float, str, str, int]]:
        return [r for r in self.log if kind is None or r[1] == kind]

    # -- answers ----------------------------------------------------------------------------
    def _send(self, h, status: int, body: bytes = b"", headers: dict | None = None, kind: str = "",
              ) -> None:
        with self.lock:
            self.log.append((time.time(), kind, h.path, status))
        self.answer(h, status, body, headers)

    def handle(self, h) -> None:
        with self.lock:
            self.connections.add(h.client_address)
        parts = urlsplit(h.path)
        kind = "cdx" if parts.path == "/cdx/search/cdx" else "web" if parts.path.startswith("/web/") else "other"
        asked = parse_qs(parts.query).get("url", [""])[0] if kind == "cdx" else ""
        with self.lock:
            scripted = self.script.queue.get(kind) or []
            if asked and self.script.cdx_of.get(surt_key(asked)):
                scripted = self.script.cdx_of[surt_key(asked)]
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

    def _resume_key(self, c: FixtureCapture) -> str:
        key = f"{c.urlkey} {c.timestamp}"
        key = key[:-1] + chr(ord(key[-1]) + 1)  # IA increments the last character
        if self.opaque_keys:
            return base64.urlsafe_b64encode(zlib.compress(key.encode())).decode()
        return quote_plus(key)

    def _resume_position(self, token: str) -> str:
        if self.opaque_keys:
            return zlib.decompress(base64.urlsafe_b64decode(token.encode())).decode()
        return unquote_plus(token)

    def cdx(self, h, q) -> None:
        url = q["url"][0]
        if surt_key(url) in self.blocked:
            self._send(h, 403, BLOCKED_BODY, {"Content-Type": "text/html"}, "cdx")
            return
        rows = [c for c in self.captures if c.urlkey == surt_key(url)]
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
        limit = int(q.get("limit", [str(self.page_size)])[0])
        start = 0
        if "resumeKey" in q:
            position = self._resume_position(q["resumeKey"][0])
            start = next((i for i, c in enumerate(rows)
                          if f"{c.urlkey} {c.timestamp}" >= position), len(rows))
        page = rows[start:start + limit]
        full = len(page) == limit
        out: list = [["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]]
        if start and self.repeat_edge_rows:  # IA can repeat the last row of the previous page
            page = [rows[start - 1]] + page
        for c in page:
            if c.revisit:
                out.append([c.urlkey, c.timestamp, c.url, "warc/revisit", "-", c.digest, "-"])
                continue
            out.append([c.urlkey, c.timestamp, c.url, c.mimetype or c.content_type.split(";")[0],
                        str(c.status), c.digest, str(len(c.body) + 200)])
        if full and q.get("showResumeKey") == ["true"]:  # even when the next page is empty
            out += [[], [self._resume_key(rows[start + limit - 1])]]
        body = json.dumps(out).encode() if len(out) > 1 else b"[]"
        self._send(h, 200, body, {"Content-Type": "application/json"}, "cdx")

    @staticmethod
    def _field(c: FixtureCapture, name: str) -> str:
        return {"timestamp": c.timestamp, "statuscode": str(c.status), "original": c.url,
                "digest": c.digest, "mimetype": c.content_type.split(";")[0]}[name]

    def web(self, h, rest: str) -> None:
        ts, _, url = rest.partition("id_/")
        if surt_key(url) in self.blocked:  # served as a 200 without Memento-Datetime
            self._send(h, 200, BLOCKED_BODY, {"Content-Type": "text/html"}, "web")
            return
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
                   "X-Archive-Orig-Content-Type": cap.content_type,
                   "x-ts": str(cap.status)}
        if cap.status == 429:  # as recorded: an archived 429 with lower-case header names
            headers = {k.lower(): v for k, v in headers.items()}
        if cap.location:
            headers["Location"] = f"{self.url}/web/{ts}id_/{quote(cap.location, safe=':/?=&')}"
        self._send(h, cap.status, cap.body, headers, "web")
