"""The rate gate held in Redis: workers that leave through one IP share one limit."""

from __future__ import annotations

import redis

from crawler.archive.gates import RateGate, sleep_unless


class RedisRateGate(RateGate):
    """The rate gate held in Redis: every worker of every machine shares it."""

    _WAIT = """
    local t = redis.call('TIME')
    local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
    local nxt = tonumber(redis.call('HGET', KEYS[1], 'next') or '0')
    local paused = tonumber(redis.call('HGET', KEYS[1], 'paused') or '0')
    local ready = math.max(nxt, paused)
    if ready <= now then
        redis.call('HSET', KEYS[1], 'next', tostring(now + tonumber(ARGV[1])))
        redis.call('EXPIRE', KEYS[1], 86400)
        return '0'
    end
    return tostring(ready - now)
    """
    _PAUSE = """
    local t = redis.call('TIME')
    local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
    local paused = tonumber(redis.call('HGET', KEYS[1], 'paused') or '0')
    local untl = math.max(paused, now + tonumber(ARGV[1]))
    redis.call('HSET', KEYS[1], 'paused', tostring(untl))
    redis.call('EXPIRE', KEYS[1], 86400)
    return tostring(untl - now)
    """

    def __init__(self, server: redis.Redis, prefix: str = "palimpsest:gate"):
        super().__init__()
        self.server = server
        self.prefix = prefix
        self._wait = server.register_script(self._WAIT)
        self._pause = server.register_script(self._PAUSE)

    async def wait(self, key: str, stopping=None) -> bool:
        state = self.state(key)
        while True:
            delay = float(self._wait(keys=[f"{self.prefix}:{key}"], args=[repr(state.interval)]))
            if delay <= 0:
                state.sent += 1
                return True
            if not await sleep_unless(min(delay, 5.0), stopping):
                return False

    def pause(self, key: str, seconds: float) -> float:
        left = float(self._pause(keys=[f"{self.prefix}:{key}"], args=[repr(seconds)]))
        super().pause(key, left)
        return self.clock() + left


def redis_gate(url: str, group: str) -> RedisRateGate:
    """The Redis gate of a rate group: workers that leave through the same IP use the same group
    (PALIMPSEST_RATE_GROUP) and so share one limit."""
    return RedisRateGate(redis.Redis.from_url(url), prefix=f"palimpsest:gate:{group}")
