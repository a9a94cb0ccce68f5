"""Local stand-ins for the live web and for Save Page Now, on 127.0.0.1.

* :class:`LiveSite`: pages whose content the test changes between runs, ETag / Last-Modified with
  304 answers to conditional requests, 301 moves, 404s, a slow answer, and a robots.txt.
* :class:`SavePageNow`: answers ``GET /save/<url>`` as the Wayback Machine's Save Page Now does
  (``Content-Location: /web/<14-digit ts>/<url>``, or a ``Link`` memento header), or with scripted
  429s, 5xx answers and hangs. Every request is logged.
"""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server:
    def __init__(self):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                owner.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.log: list[tuple[str, dict]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def send(self, h, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

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
            self.send(h, 200, self.robots.encode(), {"Content-Type": "text/plain"})
            return
        if h.path in self.moved:
            self.send(h, 301, b"", {"Location": self.moved[h.path]})
            return
        if h.path in self.slow:
            time.sleep(self.slow[h.path])
        body = self.pages.get(h.path)
        if body is None:
            self.send(h, 404, b"<html><body>Not found</body></html>", {"Content-Type": "text/html"})
            return
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if h.headers.get("If-None-Match") == etag:
            self.send(h, 304, b"", {"ETag": etag})
            return
        self.send(h, 200, body, {"Content-Type": "text/html; charset=utf-8", "ETag": etag})


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
            self.send(h, fault, b"scripted", {"Content-Type": "text/plain"})
            return
        url = h.path[len("/save/"):]
        ts = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        with self.lock:
            self.saved.append((url, ts))
        if fault == "link":
            self.send(h, 200, b"saved", {"Link": f'<{url}>; rel="original", '
                                                 f'<https://web.archive.org/web/{ts}/{url}>; rel="memento"; '
                                                 f'datetime="x"'})
            return
        self.send(h, 200, b"<html>saved</html>", {"Content-Location": f"/web/{ts}/{url}",
                                                   "Content-Type": "text/html"})
