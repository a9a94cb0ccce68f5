"""One distributed job in Redis, under ``palimpsest:<job>:``:

* ``requests`` (sorted set) and ``dupefilter``: scrapy-redis's shared queue and dupefilter. Our
  queue (:class:`crawler.distributed.queue.ReliableQueue`) moves each popped request to
  ``processing`` (a hash: lease -> worker and request) until its results are safely in Redis;
  requests held by a worker whose ``alive:<worker>`` heartbeat expired go back to the queue. A
  worker killed mid-crawl loses nothing.
* ``ops`` (list): every write a worker makes to the corpus (:mod:`pipelines.corpus.oplog`). The
  coordinator (``palimpsest crawl --distributed``) applies them to the one corpus in OUT, in
  transactions, idempotently; a crash between taking an op and applying it is covered by
  ``ops:processing``.
* ``claimed`` and ``fetched`` (sets): payload keys scheduled or fetched by any worker, so each
  distinct payload is fetched once by the whole job.
* ``gate:<group>:<slot>``: the rate gates (:mod:`crawler.distributed.gate`).
* ``seeded``: set once by the coordinator that pushed the seeds.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid

import redis

from pipelines.corpus.oplog import apply_op
from pipelines.corpus.recorder import Recorder

logger = logging.getLogger(__name__)
HEARTBEAT_TTL = 15


def job_key(job: str, name: str) -> str:
    return f"palimpsest:{job}:{name}"


def worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


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

    @classmethod
    def connect(cls, redis_url: str, job: str, worker: str) -> "JobCoordination":
        return cls(redis.Redis.from_url(redis_url), job, worker)

    def push_op(self, raw: bytes) -> None:
        """One corpus write (:func:`pipelines.corpus.oplog.encode_op`) into the job's op log."""
        self.server.rpush(self.ops_key, raw)

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

    def apply_ops(self, recorder: Recorder, limit: int = 1000) -> int:
        """Apply queued corpus writes to ``recorder`` (coordinator). Idempotent, crash-safe."""
        done = 0
        processing = self.ops_key + ":processing"
        for raw in self.server.lrange(processing, 0, -1):  # left by a crash
            apply_op(recorder, raw)
            self.server.lrem(processing, 1, raw)
        while done < limit:
            raw = self.server.lmove(self.ops_key, processing, "LEFT", "RIGHT")
            if raw is None:
                break
            apply_op(recorder, raw)
            self.server.lrem(processing, 1, raw)
            done += 1
        return done

    def mark_seeded(self) -> None:
        self.server.set(job_key(self.job, "seeded"), self.worker)
        self.server.delete(job_key(self.job, "seeding"))

    def begin_seeding(self) -> bool:
        """True for the one coordinator that pushes the seeds of a new run of the job."""
        if self.server.get(job_key(self.job, "seeded")) or not self.server.set(
                job_key(self.job, "seeding"), self.worker, nx=True, ex=600):
            return False
        self.server.delete(job_key(self.job, "done"))  # a new run of the job
        return True

    def add_fetched(self, keys: list[str]) -> None:
        for i in range(0, len(keys), 5000):
            self.server.sadd(job_key(self.job, "fetched"), *keys[i:i + 5000])

    def state(self) -> str:
        """'done' when the job finished, 'seeded' once its seeds are in, else 'starting'."""
        if self.server.exists(job_key(self.job, "done")):
            return "done"
        return "seeded" if self.server.exists(job_key(self.job, "seeded")) else "starting"

    def leave(self) -> None:
        self.server.delete(job_key(self.job, f"alive:{self.worker}"))

    def has_queued(self) -> bool:
        return bool(self.server.zcard(self.queue_key))

    def finish(self) -> None:
        self.server.set(job_key(self.job, "done"), "1", ex=86400)
        for name in ("seeded", "seeding", "claimed", "fetched", "dupefilter", "requests", "processing",
                     "processing:score"):
            self.server.delete(job_key(self.job, name))
