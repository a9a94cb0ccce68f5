"""The shared request queue of a distributed job: pops are leases, acknowledged once the
request's results are safe in Redis (:class:`ReliableQueue`, :class:`LeaseMiddleware`)."""

from __future__ import annotations

import uuid

from scrapy_redis.queue import PriorityQueue

from crawler.corpus import Corpus
from crawler.distributed import LEASE_META
from pipelines.items import Payload

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
            if lease and isinstance(element, Payload):
                element.lease = lease
                handed_on = True
            yield element
        if lease and not handed_on:
            Corpus.of(self.crawler).job.ack(lease)

    def process_spider_exception(self, response, exception, spider=None):
        # The callback failed (Scrapy logs it): the request is done, as in a single-process run;
        # re-queueing it would fail again forever. The next run resumes from the corpus.
        Corpus.of(self.crawler).job.ack(response.meta.get(LEASE_META))
        return None
