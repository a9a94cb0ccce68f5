"""A fault-injecting reverse proxy on 127.0.0.1, placed between the crawler and pywb.

Each distinct request path gets a short plan of faults for its first attempts (then it passes):
``429``, ``503``, ``504``, ``reset`` (the connection is closed without an answer), ``slow`` (the
answer comes after ``slow_seconds``), ``truncate`` (the body is cut and Content-Length adjusted,
so only the digest check can notice), ``garble`` (a CDX answer gets a malformed line). Every
request is logged with its time, slot kind, path and what was done.
"""

from __future__ import annotations

import http.client
import random
import socket
import time
from urllib.parse import urlsplit

from loopback import LoopbackServer

FAULTS = ("429", "503", "504", "reset", "slow", "truncate", "garble")


class FaultProxy(LoopbackServer):
    def __init__(self, upstream: str, seed: int = 1, fault_rate: float = 0.5, max_faults: int = 2,
                 slow_seconds: float = 3.0, storm_every: int = 0):
        super().__init__()
        up = urlsplit(upstream)
        self.up_host, self.up_port = up.hostname, up.port
        self.rng = random.Random(seed)
        self.fault_rate = fault_rate
        self.max_faults = max_faults
        self.slow_seconds = slow_seconds
        self.storm_every = storm_every  # every Nth request opens a storm of 429s for 3 requests
        self.plans: dict[str, list[str]] = {}
        self.attempts: dict[str, int] = {}
        self.log: list[tuple[float, str, str, str]] = []
        self.count = 0
        self.storm_left = 0
        self.start()

    def _fault_for(self, path: str, kind: str) -> str | None:
        with self.lock:
            self.count += 1
            if self.storm_every and self.count % self.storm_every == 0:
                self.storm_left = 3
            if self.storm_left:
                self.storm_left -= 1
                return "429"
            if path not in self.plans:
                n = sum(1 for _ in range(self.max_faults) if self.rng.random() < self.fault_rate)
                choices = [f for f in FAULTS if kind == "cdx" or f != "garble"]
                self.plans[path] = [self.rng.choice(choices) for _ in range(n)]
            attempt = self.attempts.get(path, 0)
            self.attempts[path] = attempt + 1
            plan = self.plans[path]
            return plan[attempt] if attempt < len(plan) else None

    def _record(self, kind: str, path: str, what: str) -> None:
        with self.lock:
            self.log.append((time.time(), kind, path, what))

    def handle(self, h) -> None:
        kind = "cdx" if "/cdx?" in h.path else "snapshot"
        fault = self._fault_for(h.path, kind)
        self._record(kind, h.path, fault or "pass")
        if fault in ("429", "503", "504"):
            body = b"injected fault"
            h.send_response(int(fault))
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
            return
        if fault == "reset":
            h.close_connection = True
            try:
                h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            except OSError:
                pass
            h.connection.close()
            return
        if fault == "slow":
            time.sleep(self.slow_seconds)
        conn = http.client.HTTPConnection(self.up_host, self.up_port, timeout=30)
        conn.request("GET", h.path, headers={k: v for k, v in h.headers.items()
                                             if k.lower() not in ("host", "connection")})
        resp = conn.getresponse()
        body = resp.read()
        headers = [(k, v) for k, v in resp.getheaders()
                   if k.lower() not in ("transfer-encoding", "content-length", "connection")]
        conn.close()
        if fault == "truncate" and len(body) > 10:
            body = body[: int(len(body) * 0.6)]
        if fault == "garble" and body:
            lines = body.split(b"\n")
            lines.insert(len(lines) // 2, b'{"urlkey": "broken", "timestamp": 2019')
            body = b"\n".join(lines)
        try:
            h.send_response(resp.status)
            for k, v in headers:
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the crawler gave up on a slow answer
