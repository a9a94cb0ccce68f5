"""Politeness towards the archive: rate gates, pauses on 429 and refused connections.

:class:`RateGate` holds, for each archive slot (``<host>/cdx``, ``<host>/snapshot``), the minimum
interval between requests and a "paused until" time. One gate is made per crawl
(:func:`crawler.components.gate.gate_of`) and handed to the components that use it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:  # the registry reads the meta keys below without loading Scrapy (ingest, reextract)
    from scrapy import Request

logger = logging.getLogger(__name__)

SLOT_META = "palimpsest_slot"  # 'cdx' | 'snapshot'
ARCHIVE_META = "palimpsest_archive"  # the id of the archive a request is for
GATE_META = "palimpsest_gate"  # '<archive>/<kind>': each archive's own budget and pauses
RATE_META = "palimpsest_rate"  # requests per second allowed under that gate (0 = no limit)
SLOW_DOWN_META = "palimpsest_slow_down"  # statuses that archive answers for 'slow down' (CC: 503)
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
    """Minimum spacing between requests per key, plus pauses."""

    def __init__(self) -> None:
        self.states: dict[str, _GateState] = {}
        self.clock = time.monotonic

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


def gate_key(request: Request) -> str | None:
    """The gate a request waits at: its archive's CDX or snapshot budget (by host for requests
    that name no archive)."""
    kind = request.meta.get(SLOT_META)
    if not kind:
        return None
    return request.meta.get(GATE_META) or f"{urlsplit(request.url).netloc}/{kind}"
