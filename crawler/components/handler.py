"""The download handler of the archive spiders: HTTP/1.1 (keep-alive pool) that waits at the
crawl's rate gate (:func:`crawler.components.gate.gate_of`) at the moment a request is sent, after
Scrapy's slot scheduling, so no request leaves during a pause and bursts never exceed the rate."""

from __future__ import annotations

import time

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawler.archive.gates import GATE_META, RATE_META, SHUTTING_DOWN, gate_key
from crawler.components.gate import gate_of


class PoliteDownloadHandler(HTTP11DownloadHandler):
    """HTTP/1.1 handler (keep-alive pool) that waits at the archive's rate gate before sending."""

    def __init__(self, crawler):
        super().__init__(crawler)
        s = crawler.settings
        self.gate = gate_of(crawler)
        self.cdx_rate = s.getfloat("PALIMPSEST_CDX_PER_MINUTE") / 60.0
        self.snapshot_rate = s.getfloat("PALIMPSEST_SNAPSHOTS_PER_SECOND")
        self.stats = crawler.stats
        self.crawler = crawler
        self._configured: set[str] = set()

    def stopping(self) -> bool:
        return not getattr(self.crawler, "crawling", True)

    async def download_request(self, request: Request) -> Response:
        key = gate_key(request)
        if key:
            if key not in self._configured:
                rate = request.meta.get(RATE_META)
                if rate is None:
                    rate = self.cdx_rate if key.endswith("/cdx") else self.snapshot_rate
                self.gate.configure(key, rate)
                self._configured.add(key)
            waited = time.monotonic()
            if not await self.gate.wait(key, self.stopping):
                raise IgnoreRequest(SHUTTING_DOWN)
            request.meta["palimpsest_sent_at"] = time.monotonic()
            waited = request.meta["palimpsest_sent_at"] - waited
            if waited > 1:
                self.stats.inc_value("palimpsest/gate_wait_seconds", int(waited))
            kind = key.rsplit('/', 1)[1]
            self.stats.inc_value(f"palimpsest/requests/{kind}")
            if request.meta.get(GATE_META):
                self.stats.inc_value(f"palimpsest/archive/{key.rsplit('/', 1)[0]}/requests/{kind}")
        return await super().download_request(request)
