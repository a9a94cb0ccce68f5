"""Politeness towards the archive: per-process rate gates, pauses on 429 and refused connections.

* :class:`RateGate` holds, for each archive slot (``<host>/cdx``, ``<host>/snapshot``), the
  minimum interval between requests and a "paused until" time. Gates live in a process-wide
  registry, so every crawler in a process shares the archive's limits.
* :class:`PoliteDownloadHandler` waits at the gate at the moment a request is sent (after Scrapy's
  slot scheduling), so no request leaves during a pause and bursts never exceed the rate.

The middlewares that decide the pauses are in :mod:`crawler.middlewares`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.http import Response

logger = logging.getLogger(__name__)

SLOT_META = "palimpsest_slot"  # 'cdx' | 'snapshot'
SHUTTING_DOWN = "the crawl is stopping"  # IgnoreRequest message of requests cut short by a stop


async def sleep_unless(seconds: float, stopping) -> bool:
    """Sleep ``seconds`` in short steps; False as soon as ``stopping()`` (a SIGINT or SIGTERM:
    a pause of an hour must not hold the shutdown), True when the time was slept."""
    end = time.monotonic() + seconds
    while True:
        if stopping is not None and stopping():
            return False
        left = end - time.monotonic()
        if left <= 0:
            return True
        await asyncio.sleep(min(left, 0.25))


@dataclass
class _GateState:
    interval: float
    next_allowed: float = 0.0
    paused_until: float = 0.0
    consecutive_429: int = 0
    pause_started: float = -1.0  # monotonic time the current 429 pause began
    sent: int = 0


class RateGate:
    """Minimum spacing between requests per key, plus pauses. One registry per process."""

    _registry: dict[str, "RateGate"] = {}

    def __init__(self) -> None:
        self.states: dict[str, _GateState] = {}
        self.clock = time.monotonic

    @classmethod
    def shared(cls, name: str = "default") -> "RateGate":
        if name not in cls._registry:
            cls._registry[name] = cls()
        return cls._registry[name]

    def configure(self, key: str, per_second: float) -> None:
        """Set the rate of a key; a lower rate than one already set wins (politeness)."""
        interval = 0.0 if per_second <= 0 else 1.0 / per_second
        state = self.states.get(key)
        if state is None:
            self.states[key] = _GateState(interval)
        else:
            state.interval = max(state.interval, interval) if state.sent else interval

    def state(self, key: str) -> _GateState:
        return self.states.setdefault(key, _GateState(0.0))

    async def wait(self, key: str, stopping=None) -> bool:
        """Return True when a request under ``key`` may be sent (counted as sent), False when
        ``stopping()`` became true while it waited."""
        state = self.state(key)
        while True:
            now = self.clock()
            ready_at = max(state.next_allowed, state.paused_until)
            if ready_at <= now:
                state.next_allowed = now + state.interval
                state.sent += 1
                return True
            if not await sleep_unless(min(ready_at - now, 0.25), stopping):
                return False

    def pause(self, key: str, seconds: float) -> float:
        """Hold every request of ``key`` for ``seconds``; returns when the pause ends (monotonic)."""
        state = self.state(key)
        state.paused_until = max(state.paused_until, self.clock() + seconds)
        return state.paused_until


def gate_for(settings) -> RateGate:
    """The process's rate gate: in memory, or in Redis when workers share one IP's limits."""
    if settings.get("PALIMPSEST_RATE_GATE", "default") == "redis":
        from crawler.distributed import redis_gate

        return redis_gate(settings.get("REDIS_URL"), settings.get("PALIMPSEST_RATE_GROUP", "default"))
    return RateGate.shared(settings.get("PALIMPSEST_RATE_GATE", "default"))


def gate_key(request: Request) -> str | None:
    kind = request.meta.get(SLOT_META)
    if not kind:
        return None
    from urllib.parse import urlsplit

    return f"{urlsplit(request.url).netloc}/{kind}"


class PoliteDownloadHandler(HTTP11DownloadHandler):
    """HTTP/1.1 handler (keep-alive pool) that waits at the archive's rate gate before sending."""

    def __init__(self, crawler):
        super().__init__(crawler)
        s = crawler.settings
        self.gate = gate_for(s)
        self.cdx_rate = s.getfloat("PALIMPSEST_CDX_PER_MINUTE", 24) / 60.0
        self.snapshot_rate = s.getfloat("PALIMPSEST_SNAPSHOTS_PER_SECOND", 8)
        self.stats = crawler.stats
        self.crawler = crawler
        self._configured: set[str] = set()

    def stopping(self) -> bool:
        return not getattr(self.crawler, "crawling", True)

    async def download_request(self, request: Request) -> Response:
        key = gate_key(request)
        if key:
            if key not in self._configured:
                rate = self.cdx_rate if key.endswith("/cdx") else self.snapshot_rate
                self.gate.configure(key, rate)
                self._configured.add(key)
            waited = time.monotonic()
            if not await self.gate.wait(key, self.stopping):
                raise IgnoreRequest(SHUTTING_DOWN)
            request.meta["palimpsest_sent_at"] = time.monotonic()
            waited = request.meta["palimpsest_sent_at"] - waited
            if waited > 1 and self.stats:
                self.stats.inc_value("palimpsest/gate_wait_seconds", int(waited))
            if self.stats:
                self.stats.inc_value(f"palimpsest/requests/{key.rsplit('/', 1)[1]}")
        return await super().download_request(request)
