"""Local stand-ins for the live web and for Save Page Now, on 127.0.0.1.

* :class:`LiveSite`: pages whose content the test changes between runs, ETag / Last-Modified with
  304 answers to conditional requests, 301 moves, 404s, a slow answer, and a robots.txt.
* :class:`SavePageNow`: answers ``GET /save/<url>`` as the Wayback Machine's Save Page Now does
  (``Content-Location: /web/<14-digit ts>/<url>``, or a ``Link`` memento header), or with scripted
  429s, 5xx answers and hangs. Every request is logged.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timezone

from loopback import LoopbackServer


class _Server(LoopbackServer):
    def __init__(self):
        super().__init__()
        self.log: list[tuple[str, dict]] = []

    def requests(self, path_prefix: str = "") -> list[tuple[str, dict]]:
        with self.lock:
            return [r for r in self.log if r[0].startswith(path_prefix)]


class LiveSite(_Server):
    def __init__(self, robots: str = "User-agent: *\nDisallow: /private/\n"):
        super().__init__()
        self.pages: dict[str, bytes] = {}
        self.moved: dict[str, str] = {}
        self.slow: dict[str, float] = {}
        self.robots = robots

    def handle(self, h) -> None:
        with self.lock:
            self.log.append((h.path, {k.lower(): v for k, v in h.headers.items()}))
        if h.path == "/robots.txt":
            self.answer(h, 200, self.robots.encode(), {"Content-Type": "text/plain"})
            return
        if h.path in self.moved:
            self.answer(h, 301, b"", {"Location": self.moved[h.path]})
            return
        if h.path in self.slow:
            time.sleep(self.slow[h.path])
        body = self.pages.get(h.path)
        if body is None:
            self.answer(h, 404, b"<html><body>Not found</body></html>", {"Content-Type": "text/html"})
            return
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if h.headers.get("If-None-Match") == etag:
            self.answer(h, 304, b"", {"ETag": etag})
            return
        self.answer(h, 200, body, {"Content-Type": "text/html; charset=utf-8", "ETag": etag})


class SavePageNow(_Server):
    def __init__(self):
        super().__init__()
        self.script: list[str | int] = []  # answers to play first: 429, 503, 'hang', 'link'
        self.saved: list[tuple[str, str]] = []  # (url, timestamp)

    def handle(self, h) -> None:
        with self.lock:
            self.log.append((h.path, {k.lower(): v for k, v in h.headers.items()}))
            fault = self.script.pop(0) if self.script else None
        if fault == "hang":
            time.sleep(30)
            return
        if isinstance(fault, int):
            self.answer(h, fault, b"scripted", {"Content-Type": "text/plain"})
            return
        url = h.path[len("/save/"):]
        ts = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        with self.lock:
            self.saved.append((url, ts))
        if fault == "link":
            self.answer(h, 200, b"saved", {"Link": f'<{url}>; rel="original", '
                                                 f'<https://web.archive.org/web/{ts}/{url}>; rel="memento"; '
                                                 f'datetime="x"'})
            return
        self.answer(h, 200, b"<html>saved</html>", {"Content-Location": f"/web/{ts}/{url}",
                                                   "Content-Type": "text/html"})
