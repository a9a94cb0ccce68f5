"""Distributed crawls on scrapy-redis: one job shared by N workers through Redis.

What lives in Redis, under ``palimpsest:<job>:``:

* ``requests`` (sorted set) and ``dupefilter``: scrapy-redis's shared queue and dupefilter. Our
  queue (:class:`ReliableQueue`) moves each popped request to ``processing`` (a hash: lease ->
  worker and request) until its results are safely in Redis; requests held by a worker whose
  ``alive:<worker>`` heartbeat expired go back to the queue. A worker killed mid-crawl loses nothing.
* ``ops`` (list): every write a worker makes to the corpus (captures, fetches and texts, URLs,
  errors), as (method, arguments). The coordinator (``palimpsest crawl --distributed``) applies them
  to the one corpus in OUT, in transactions, idempotently; a crash between taking an op and
  applying it is covered by ``ops:processing``.
* ``claimed`` and ``fetched`` (sets): payload keys scheduled or fetched by any worker, so each
  distinct payload is fetched once by the whole job.
* ``gate:<slot>``: the rate gates (:class:`RedisRateGate`): workers behind one IP share one limit.
* ``seeded``: set once by the coordinator that pushed the seeds.
"""

from __future__ import annotations

import logging
import os
import pickle
import shutil
import socket
import uuid

import redis
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.queue import PriorityQueue

from crawler.items import LEASE_META
from crawler.politeness import RateGate, sleep_unless
from pipelines.corpus import Corpus

logger = logging.getLogger(__name__)
HEARTBEAT_TTL = 15


def job_key(job: str, name: str) -> str:
    return f"palimpsest:{job}:{name}"


def worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


_POP = """
local item = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #item == 0 then return nil end
redis.call('ZREM', KEYS[1], item[1])
local lease = ARGV[1]
redis.call('HSET', KEYS[2], lease, item[1])
redis.call('HSET', KEYS[3], lease, item[2])
return {lease, item[1]}
"""


class ReliableQueue(PriorityQueue):
    """scrapy-redis priority queue whose pops are leases, acknowledged once results are safe."""

    def __init__(self, server, spider, key, serializer=None):
        super().__init__(server, spider, key, serializer)
        self.processing_key = key.rsplit(":", 1)[0] + ":processing"
        self.worker = Corpus.of(spider.crawler).worker_id
        self._pop = server.register_script(_POP)

    def pop(self, timeout=0):
        lease = f"{self.worker}|{uuid.uuid4().hex}"
        got = self._pop(keys=[self.key, self.processing_key, self.processing_key + ":score"],
                        args=[lease])
        if not got:
            return None
        request = self._decode_request(got[1])
        request.meta[LEASE_META] = lease
        return request

    def __len__(self):
        return self.server.zcard(self.key)


class JobCoordination:
    """Heartbeat, leases, op log and claims of one worker in one job."""

    def __init__(self, server: redis.Redis, job: str, worker: str):
        self.server = server
        self.job = job
        self.worker = worker
        self.queue_key = job_key(job, "requests")
        self.processing_key = job_key(job, "processing")
        self.ops_key = job_key(job, "ops")

    def heartbeat(self) -> None:
        self.server.set(job_key(self.job, f"alive:{self.worker}"), "1", ex=HEARTBEAT_TTL)

    def ack(self, lease: str | None) -> None:
        if lease:
            pipe = self.server.pipeline()
            pipe.hdel(self.processing_key, lease)
            pipe.hdel(self.processing_key + ":score", lease)
            pipe.execute()

    def requeue_orphans(self, include_own: bool = False) -> int:
        """Put back requests leased by dead workers (or by this one, when it is idle)."""
        n = 0
        scores = self.server.hgetall(self.processing_key + ":score")
        for lease, data in self.server.hgetall(self.processing_key).items():
            owner = lease.decode().split("|", 1)[0]
            mine = owner == self.worker
            if (mine and include_own) or (not mine and not self.server.exists(
                    job_key(self.job, f"alive:{owner}"))):
                pipe = self.server.pipeline()
                pipe.execute_command("ZADD", self.queue_key, float(scores.get(lease, 0)), data)
                pipe.hdel(self.processing_key, lease)
                pipe.hdel(self.processing_key + ":score", lease)
                pipe.execute()
                n += 1
        if n:
            logger.warning("Re-queued %d request(s) left by stopped or idle worker(s)", n)
        return n

    def pending(self) -> tuple[int, int, int]:
        return (self.server.zcard(self.queue_key), self.server.hlen(self.processing_key),
                self.server.llen(self.ops_key) + self.server.llen(self.ops_key + ":processing"))

    def push_op(self, method: str, kwargs: dict) -> None:
        self.server.rpush(self.ops_key, pickle.dumps((method, kwargs), protocol=4))

    _CLAIM = """
    local me = ARGV[1]
    local out = {}
    for i = 2, #ARGV do
        local key = ARGV[i]
        if redis.call('SISMEMBER', KEYS[1], key) == 0 then
            local holder = redis.call('HGET', KEYS[2], key)
            local free = (not holder) or holder == me
            -- a claim held by a request that is no longer leased (its worker died and the
            -- request came back to us) is taken over; seeding claims are never taken over
            if not free and me ~= 'seed|' and string.sub(holder, 1, 5) ~= 'seed|' then
                free = redis.call('HEXISTS', KEYS[3], holder) == 0
            end
            if free then
                redis.call('HSET', KEYS[2], key, me)
                table.insert(out, key)
            end
        end
    end
    return out
    """

    def claim(self, keys: list[str], lease: str | None) -> set[str]:
        """Payload keys this worker may schedule: not fetched and not claimed by a live request.

        A claim belongs to the lease of the CDX request whose answer listed the key. If that
        request's worker died before the fetch was queued, the request comes back with a new
        lease and takes the claim over, so a killed worker never makes a payload go missing.
        """
        if not keys:
            return set()
        holder = lease or "seed|"
        got = self.server.eval(self._CLAIM, 3, job_key(self.job, "fetched"),
                               job_key(self.job, "claimed"), self.processing_key, holder, *keys)
        return {k.decode() if isinstance(k, bytes) else k for k in got}

    def mark_fetched(self, key: str) -> None:
        self.server.sadd(job_key(self.job, "fetched"), key)

    def apply_ops(self, store, limit: int = 1000) -> int:
        """Apply queued corpus writes to ``store`` (coordinator). Idempotent, crash-safe."""
        done = 0
        processing = self.ops_key + ":processing"
        for raw in self.server.lrange(processing, 0, -1):  # left by a crash
            self._apply(store, raw)
            self.server.lrem(processing, 1, raw)
        while done < limit:
            raw = self.server.lmove(self.ops_key, processing, "LEFT", "RIGHT")
            if raw is None:
                break
            self._apply(store, raw)
            self.server.lrem(processing, 1, raw)
            done += 1
        return done

    @staticmethod
    def _apply(store, raw: bytes) -> None:
        method, kwargs = pickle.loads(raw)
        getattr(store, method)(**kwargs)

    def state(self) -> str:
        """'done' when the job finished, 'seeded' once its seeds are in, else 'starting'."""
        if self.server.exists(job_key(self.job, "done")):
            return "done"
        return "seeded" if self.server.exists(job_key(self.job, "seeded")) else "starting"

    def finish(self) -> None:
        self.server.set(job_key(self.job, "done"), "1", ex=86400)
        for name in ("seeded", "seeding", "claimed", "fetched", "dupefilter", "requests", "processing",
                     "processing:score"):
            self.server.delete(job_key(self.job, name))


class DistributedStore:
    """The spider's store in a distributed crawl.

    Reads come from a local scratch store (and, for seeding, the coordinator's corpus); every
    write goes to the scratch store and to the job's op log, which the coordinator applies to OUT.
    """

    WRITES = ("add_seed", "add_url", "add_captures", "cdx_checked", "record_fetch", "log_error",
              "set_blocked")

    def __init__(self, scratch, coordination: JobCoordination, main=None):
        self.scratch = scratch
        self.coordination = coordination
        self.main = main
        self.out = main.out if main is not None else scratch.out

    def __getattr__(self, name):
        return getattr(self.scratch, name)

    def _write(self, method: str, **kwargs):
        self.coordination.push_op(method, kwargs)
        return getattr(self.scratch, method)(**kwargs)

    def add_seed(self, site, url):
        return self._write("add_seed", site=site, url=url)

    def add_url(self, site, url, via_url, via_timestamp, hops):
        return self._write("add_url", site=site, url=url, via_url=via_url,
                           via_timestamp=via_timestamp, hops=hops)

    def add_captures(self, site, query_url, records):
        return self._write("add_captures", site=site, query_url=query_url, records=list(records))

    def add_new_captures(self, site, query_url, records):
        """The store's planning and new-capture filter, with this store's writes (the op log)."""
        from pipelines.storage import CorpusStore

        return CorpusStore.add_new_captures(self, site, query_url, records)

    def set_blocked(self, site, url, message):
        return self._write("set_blocked", site=site, url=url, message=message)

    def cdx_checked(self, site, url, last_timestamp):
        return self._write("cdx_checked", site=site, url=url, last_timestamp=last_timestamp)

    def record_fetch(self, **kwargs):
        self.coordination.mark_fetched(kwargs["payload_key"])
        return self._write("record_fetch", **kwargs)

    def log_error(self, site, url, timestamp, message):
        return self._write("log_error", site=site, url=url, timestamp=timestamp, message=message)

    def site_urls(self, site):
        """The site's URLs known here or in the coordinator's corpus, with the latest CDX time."""
        found: dict[str, tuple[str, int, str | None]] = {}
        for store in (self.scratch, self.main):
            for url, hops, last in (store.site_urls(site) if store is not None else []):
                seen = found.get(url)
                best = max(filter(None, [last, seen[2] if seen else None]), default=None)
                found[url] = (url, min(hops, seen[1]) if seen else hops, best)
        return sorted(found.values(), key=lambda r: (r[1], r[0]))

    def unfetched(self, site, query_url=None):
        return (self.main or self.scratch).unfetched(site, query_url)

    def dirty_sites(self):
        return []  # versions are built by the coordinator from the corpus in OUT

    def build_all_dirty(self):
        return (0, 0)

    def close(self):
        self.scratch.close()
        if self.main is not None:
            self.main.close()
            shutil.rmtree(self.scratch.out, ignore_errors=True)  # the coordinator's scratch


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


_redis_gates: dict[tuple[str, str], RedisRateGate] = {}


def redis_gate(url: str, group: str = "default") -> RedisRateGate:
    """One Redis gate per Redis URL and rate group per process. Workers that leave through the
    same IP use the same group (PALIMPSEST_RATE_GROUP) and so share one limit."""
    if (url, group) not in _redis_gates:
        _redis_gates[(url, group)] = RedisRateGate(redis.Redis.from_url(url),
                                                   prefix=f"palimpsest:gate:{group}")
    return _redis_gates[(url, group)]


class LeaseMiddleware:
    """Acknowledges a request's lease once everything its callback produced is safe in Redis.

    Requests yielded by the callback are in the shared queue when the output is exhausted; items
    carry the lease on to StoragePipeline, which acknowledges it after pushing the item's writes.
    """

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_spider_output(self, response, result, spider=None):
        lease = response.meta.get(LEASE_META)
        handed_on = False
        async for element in result:
            if lease and isinstance(element, dict):
                element[LEASE_META] = lease
                handed_on = True
            yield element
        if lease and not handed_on:
            Corpus.of(self.crawler).coordination.ack(lease)

    def process_spider_exception(self, response, exception, spider=None):
        # The callback failed (Scrapy logs it): the request is done, as in a single-process run;
        # re-queueing it would fail again forever. The next run resumes from the corpus.
        Corpus.of(self.crawler).coordination.ack(response.meta.get(LEASE_META))
        return None


class JobLifecycle:
    """Extension: heartbeats, re-queueing orphans, applying ops (coordinator), and closing the
    spider only when the whole job is done."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.loop = None

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider):
        from twisted.internet import task

        self.corpus = Corpus.of(self.crawler)
        if not self.corpus.distributed:
            return
        self.corpus.coordination.heartbeat()
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(0.5, now=False)

    def tick(self):
        c = self.corpus.coordination
        c.heartbeat()
        if self.corpus.is_coordinator:
            c.apply_ops(self.corpus.main)
        # An idle engine looks at its scheduler only every 5 s; work others just queued in Redis
        # is picked up at once instead.
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None and c.server.zcard(c.queue_key):
            slot.nextcall.schedule()

    def spider_idle(self, spider):
        corpus = Corpus.of(self.crawler)
        c = corpus.coordination
        if c is None:
            return
        c.requeue_orphans(include_own=True)
        if corpus.is_coordinator:
            c.apply_ops(corpus.main)
        queued, leased, ops = c.pending()
        if queued or leased or (corpus.is_coordinator and ops):
            raise DontCloseSpider("the job still has work")
        if not corpus.is_coordinator and c.state() == "starting":
            raise DontCloseSpider("waiting for the coordinator to push the seeds")

    def spider_closed(self, spider, reason):
        if self.loop and self.loop.running:
            self.loop.stop()
        corpus = Corpus.of(self.crawler)
        c = corpus.coordination
        if c is None:
            return
        if corpus.is_coordinator:
            while c.apply_ops(corpus.main):
                pass
            if reason == "finished":
                c.finish()
        c.server.delete(job_key(c.job, f"alive:{c.worker}"))
