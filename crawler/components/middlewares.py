"""Downloader middlewares for archive requests.

* :class:`ArchiveRetryMiddleware` turns 429s, refused connections, 5xx and transport errors into
  pauses of the archive slot (see :class:`crawler.archive.gates.RateGate`) and later retries. It
  replaces Scrapy's RetryMiddleware, which retries 429 at once and ignores the archive's blocks.
* :class:`ArchiveOnlyMiddleware` drops any request that is not addressed to the configured
  archive: the crawler contacts nothing else.
* :class:`PayloadDigestMiddleware` computes the SHA-1 digest of the bytes as received, before
  decompression, so the spider can compare it with the CDX digest.
"""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import (
    IgnoreRequest,
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
)
from scrapy.http import Response

from crawler.archive.client import is_archived_answer, redact_url
from crawler.archive.gates import (GATE_META, SHUTTING_DOWN, SLOW_DOWN_META, RateGate, gate_key,
                                   sleep_unless)
from crawler.components.gate import gate_of
from pipelines.captures import IA_BASE, payload_digest

logger = logging.getLogger(__name__)

RAW_DIGEST_META = "palimpsest_raw_digest"
# What Scrapy's downloader writes into a request's meta: a request asked again must not carry it
# (Scrapy warns about a request "containing internal meta keys", and the values are stale).
_DOWNLOADER_META = ("download_latency", "redirect_times", "redirect_ttl", "redirect_urls",
                    "redirect_reasons", "_dont_cache", "cache_timestamp", "_auth_proxy",
                    "_scheme_proxy", RAW_DIGEST_META, "palimpsest_sent_at")


def clean_retry(request: Request, spider, reason: str, max_times: int,
                counter: str = "palimpsest_answer") -> Request | None:
    """The one retry path: the request again through Scrapy's ``get_retry_request`` (its retry
    stats, priority adjustment and ``retry_times``), without the meta the downloader added to the
    first attempt; None once ``max_times`` retries of this kind (``counter`` in meta) were used.
    Each kind of failure has its own budget: the archive's 429s, which can last long on the
    Internet Archive, do not use up the retries of a 5xx or of a bad answer."""
    n = request.meta.get(counter, 0) + 1
    if n > max_times:
        return None
    retry = get_retry_request(request, spider=spider, reason=reason, logger=logger,
                              max_retry_times=request.meta.get("retry_times", 0) + 1)
    for key in _DOWNLOADER_META:
        retry.meta.pop(key, None)
    retry.meta[counter] = n
    return retry


def refusal_means_block(settings, url: str) -> bool:
    """Whether a refused connection to the archive at ``url`` is an IP block (pause long).

    The Internet Archive firewalls IPs that ignore its 429s: a refusal there is a block that
    lasts an hour or more. A refusal from any other archive (your own pywb) means nothing listens
    there. ``PALIMPSEST_REFUSED_IS_BLOCK`` = auto (web.archive.org only) | true | false.
    """
    mode = str(settings["PALIMPSEST_REFUSED_IS_BLOCK"]).lower()
    if mode in ("1", "true", "yes", "on"):
        return True
    if mode in ("0", "false", "no", "off"):
        return False
    return url.startswith(IA_BASE + "/") or url.startswith("http://web.archive.org/")

_TRANSIENT = (DownloadTimeoutError, DownloadFailedError, ResponseDataLossError, ConnectionError,
              TimeoutError)


class ArchiveRetryMiddleware:
    """Pauses and retries for archive requests.

    * 429: pause the whole slot ``PALIMPSEST_429_PAUSE`` seconds (default 60), doubling on each
      consecutive 429 up to ``PALIMPSEST_429_PAUSE_MAX``; the request is retried after the pause.
    * Connection refused: the archive has blocked us. Pause the slot ``PALIMPSEST_REFUSED_PAUSE``
      seconds (default 3600) and retry.
    * 5xx (504 included) and transport errors: retried later with growing delays, at most
      ``PALIMPSEST_RETRY_TIMES`` times; then the error goes to the spider's errback.
    """

    def __init__(self, crawler, gate: RateGate):
        settings = crawler.settings
        self.crawler = crawler
        self.gate = gate
        self.pause_429 = settings.getfloat("PALIMPSEST_429_PAUSE")
        self.pause_429_max = settings.getfloat("PALIMPSEST_429_PAUSE_MAX")
        self.pause_refused = settings.getfloat("PALIMPSEST_REFUSED_PAUSE")
        self.retry_times = settings.getint("PALIMPSEST_RETRY_TIMES")
        self.retry_delay = settings.getfloat("PALIMPSEST_RETRY_DELAY")
        self.max_429 = settings.getint("PALIMPSEST_MAX_429_RETRIES")
        self.refused_retries = settings.getint("PALIMPSEST_REFUSED_RETRIES")
        self.settings = settings
        self.stats = crawler.stats
        self.unreachable: dict[str, str] = {}  # host -> why (a non-IA archive that refused)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, gate_of(crawler))

    def stopping(self) -> bool:
        return not getattr(self.crawler, "crawling", True)

    async def _sleep(self, seconds: float) -> None:
        """Wait before a retry; a stopping crawl does not wait (the request is asked next run)."""
        if not await sleep_unless(seconds, self.stopping):
            raise IgnoreRequest(SHUTTING_DOWN)

    def _retry(self, request: Request, counter: str, reason: str, limit: int | None = None) -> Request | None:
        if limit is None:
            limit = self.max_429 if counter == "palimpsest_429" else self.retry_times
        retry = clean_retry(request, self.crawler.spider, reason, limit, counter)
        if retry is None and counter != "palimpsest_refused":  # a refusal has its own line
            logger.error("Giving up on %s after %d attempts (%s)", request.url, limit + 1, reason)
            self.stats.inc_value("palimpsest/gave_up")
        return retry

    def process_request(self, request: Request, spider=None):
        if self.unreachable and gate_key(request):
            host = redact_url(request.url).split("/")[2]
            if host in self.unreachable:  # fail at once: the archive already proved unreachable
                raise IgnoreRequest(self.unreachable[host])
        return None

    def _success(self, key: str) -> None:
        self.gate.state(key).consecutive_429 = 0

    async def process_response(self, request: Request, response: Response, spider=None):
        key = gate_key(request)
        if not key:
            return response
        if response.status == 429 and is_archived_answer(response.headers):
            # An archived 429: the site said 429 when it was captured. A capture's status, not
            # the archive's rate limit (which has no Memento-Datetime and no x-ts).
            self.stats.inc_value("palimpsest/archived_429")
            return response
        if response.status == 429 or response.status in request.meta.get(SLOW_DOWN_META, ()):
            # the archive's 429, or what it answers for 'slow down' (Common Crawl: 503)
            self.stats.inc_value("palimpsest/rate_limited_429")
            state = self.gate.state(key)
            sent_at = request.meta.get("palimpsest_sent_at", float("inf"))
            if sent_at >= state.pause_started:
                # A new 429 (not one of the requests already in flight when we paused): pause
                # the slot, longer each time the archive still refuses after a pause.
                pause = min(self.pause_429 * (2 ** state.consecutive_429), self.pause_429_max)
                state.consecutive_429 += 1
                state.pause_started = self.gate.clock()
                self.gate.pause(key, pause)
                self.stats.inc_value("palimpsest/pause_seconds", int(pause))
                logger.warning("Archive answered %d (slow down) for %s: pausing %s for %.0f s",
                               response.status, request.url, key, pause)
            return self._retry(request, "palimpsest_429", str(response.status)) or response
        self._success(key)
        if response.status >= 500:
            retry = self._retry(request, "palimpsest_retry", f"HTTP {response.status}")
            if retry is None:
                return response
            delay = self.retry_delay * (2 ** (retry.meta["palimpsest_retry"] - 1))
            self.stats.inc_value(f"palimpsest/retry/{response.status}")
            logger.info("Archive answered %s for %s: retrying in %.0f s", response.status,
                        request.url, delay)
            await self._sleep(delay)
            return retry
        return response

    async def process_exception(self, request: Request, exception: Exception, spider=None):
        key = gate_key(request)
        if not key:
            return None
        if isinstance(exception, (DownloadConnectionRefusedError, ConnectionRefusedError)):
            if not refusal_means_block(self.settings, request.url):
                return await self._refused_nothing_listens(request, key)
            self.gate.pause(key, self.pause_refused)
            self.stats.inc_value("palimpsest/connection_refused")
            self.stats.inc_value("palimpsest/pause_seconds", int(self.pause_refused))
            logger.error("Connection to the archive refused (%s): the archive may be blocking this "
                         "IP; pausing %s for %.0f s before retrying", request.url, key,
                         self.pause_refused)
            return self._retry(request, "palimpsest_blocked", "connection refused") or None
        if isinstance(exception, CannotResolveHostError):
            return None
        if isinstance(exception, _TRANSIENT) or "Connection" in type(exception).__name__:
            retry = self._retry(request, "palimpsest_retry", type(exception).__name__)
            if retry is None:
                return None
            delay = self.retry_delay * (2 ** (retry.meta["palimpsest_retry"] - 1)) / 4
            self.stats.inc_value("palimpsest/retry/transport")
            logger.info("%s on %s: retrying in %.0f s", type(exception).__name__, request.url, delay)
            await self._sleep(delay)
            return retry
        return None

    async def _refused_nothing_listens(self, request: Request, key: str):
        """A refusal from an archive that is not the Internet Archive: nothing listens there.
        Asked again a couple of times a second apart (a server starting up), then the request
        fails with a message that says so."""
        self.stats.inc_value("palimpsest/connection_refused")
        host = redact_url(request.url).split("/")[2]
        retry = self._retry(request, "palimpsest_refused", "connection refused", self.refused_retries)
        if retry is None:
            self.stats.inc_value("palimpsest/archive_unreachable")
            if request.meta.get(GATE_META):
                self.stats.inc_value(
                    f"palimpsest/archive/{request.meta[GATE_META].rsplit('/', 1)[0]}/unreachable")
            logger.error("Nothing listens at %s (connection refused %d times): is the archive "
                         "running? Giving up on %s", host, self.refused_retries + 1,
                         redact_url(request.url))
            self.unreachable[host] = f"connection refused: nothing listens at {host}"
            raise IgnoreRequest(self.unreachable[host])
        n = retry.meta["palimpsest_refused"]
        logger.warning("Connection to %s refused: retrying in %d s", host, n)
        await self._sleep(n)
        return retry


class PayloadDigestMiddleware:
    """Records the digest of the raw response body (before HttpCompressionMiddleware) in meta."""

    def process_response(self, request: Request, response: Response, spider=None):
        if gate_key(request) and request.meta.get("palimpsest_capture"):
            request.meta[RAW_DIGEST_META] = payload_digest(response.body)
        return response


class ArchiveOnlyMiddleware:
    """Refuses every request that is not for the spider's archive (``spider.archive.owns``)."""

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        mw = cls(crawler.stats)
        mw.crawler = crawler
        return mw

    def process_request(self, request: Request, spider=None):
        spider = self.crawler.spider
        archive = getattr(spider, "archive", None)
        owns = getattr(spider, "owns", None) or (archive.owns if archive is not None else None)
        if owns is not None and not owns(request.url):
            self.stats.inc_value("palimpsest/refused_offsite")
            logger.error("Refusing to contact %s: not the configured archive %s", request.url,
                         archive.base)
            raise IgnoreRequest(f"not the configured archive: {request.url}")
        return None
