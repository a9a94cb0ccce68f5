"""The crawl's rate gate: one per crawl, made on first use from its settings and handed to the
components that use it, the download handler that waits at it (:mod:`crawler.components.handler`)
and the retry middleware that pauses it (:mod:`crawler.components.middlewares`). Crawls chained in
one process (discovery, then history) are handed the same gate (:func:`share_gate`), so the
archive's limits hold across them."""

from __future__ import annotations

from crawler.archive.gates import RateGate

_ATTR = "_palimpsest_gate"


def gate_of(crawler) -> RateGate:
    """The crawl's rate gate, made on first use from its settings: in memory, or in Redis when
    workers share one IP's limits (``PALIMPSEST_RATE_GATE = 'redis'``)."""
    gate = getattr(crawler, _ATTR, None)
    if gate is None:
        s = crawler.settings
        if s["PALIMPSEST_RATE_GATE"] == "redis":
            from crawler.distributed.gate import redis_gate  # redis is an optional dependency

            gate = redis_gate(s["REDIS_URL"], s["PALIMPSEST_RATE_GROUP"])
        else:
            gate = RateGate()
        setattr(crawler, _ATTR, gate)
    return gate


def share_gate(first, then) -> None:
    """Hand crawler ``first``'s gate to crawler ``then`` (crawls chained in one process)."""
    setattr(then, _ATTR, gate_of(first))
