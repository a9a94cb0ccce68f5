"""The watch spider: each seed's *live* policy URL, fetched politely, so that a change is bracketed
by hours instead of the archive's months; a changed text is saved to the Wayback Machine (Save
Page Now, :mod:`pipelines.watch`) so the change has a public, citable snapshot.

Polite: robots.txt obeyed, one request per host at a time, a User-Agent with the contact,
conditional requests (ETag / Last-Modified: an unchanged page answers 304 and costs nothing).
Redirects are followed (a moved policy is recorded as moved). The spider reaches only the seeds'
hosts and the hosts their redirects lead to (:class:`LiveOnlyMiddleware`); the archive spiders
keep their archive-only rule.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import scrapy
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as _ScrapyRobotsTxt
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from scrapy.http import Response

from crawler.seeds import read_seeds
from pipelines.corpus import Corpus

logger = logging.getLogger(__name__)


class RobotsTxtMiddleware(_ScrapyRobotsTxt):
    """Scrapy's robots.txt middleware, with every waiting request checked.

    While a host's robots.txt is being fetched, further requests to that host wait on one
    Deferred; each waiter is a ``Deferred.asFuture`` callback that returns ``None``, so only the
    first waiter receives the parser and the others see ``None`` ("no robots.txt") and are let
    through (found here: three seeds on one host, the third was fetched though disallowed). A
    waiter that got ``None`` reads the parser the first one stored.
    """

    async def robot_parser(self, request):
        parser = await super().robot_parser(request)
        if parser is None:
            stored = self._parsers.get(urlparse_cached(request).netloc)
            if stored is not None and not isinstance(stored, Deferred):
                return stored
        return parser


LIVE_STATUSES = [304, 400, 401, 403, 404, 410, 429, 451, 500, 502, 503, 504]


class LiveOnlyMiddleware:
    """Refuses any request of the watch spider to a host that is not a seed's, or the target of a
    redirect from one."""

    @classmethod
    def from_crawler(cls, crawler):
        mw = cls()
        mw.crawler = crawler
        return mw

    def process_request(self, request, spider=None):
        spider = self.crawler.spider
        allowed = getattr(spider, "live_hosts", None)
        if allowed is None:
            return None
        host = (urlsplit(request.url).hostname or "").lower()
        if host in allowed:
            return None
        chain = request.meta.get("redirect_urls") or []
        if chain and (urlsplit(chain[0]).hostname or "").lower() in allowed:
            allowed.add(host)  # a redirect of a seed's page: its new host is the policy's now
            return None
        self.crawler.stats.inc_value("palimpsest/refused_offsite")
        logger.error("Refusing to contact %s: not a seed's host nor a redirect target", request.url)
        raise IgnoreRequest(f"not a seed's host: {request.url}")


class WatchSpider(scrapy.Spider):
    """Check live policies. Arguments (``-a``): seeds, out, save (1/0), save_api, contact."""

    name = "watch"
    custom_settings = {
        "ROBOTSTXT_OBEY": True,
        "REDIRECT_ENABLED": True,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": 2,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "DOWNLOAD_TIMEOUT": 60,
        "DOWNLOADER_MIDDLEWARES": {"crawler.middlewares.ArchiveOnlyMiddleware": None,
                                   "crawler.middlewares.ArchiveRetryMiddleware": None,
                                   "crawler.middlewares.PayloadDigestMiddleware": None,
                                   "crawler.spiders.watch.LiveOnlyMiddleware": 50,
                                   "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
                                   "crawler.spiders.watch.RobotsTxtMiddleware": 100},
        "ITEM_PIPELINES": {"pipelines.watch.WatchPipeline": 500},
    }

    def __init__(self, seeds: str | None = None, out: str | None = None, **kwargs):
        super().__init__(**kwargs)
        if not seeds:
            raise ValueError("the watch spider needs a seed file: -a seeds=seeds/sites.csv")
        self.seeds_path = seeds
        self.out_arg = out
        self.live_hosts: set[str] = set()
        self.failed_sites: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        spider.corpus = Corpus.of(crawler, spider.out_arg)  # the crawl's corpus, received
        spider.store = spider.corpus.store
        contact = s.get("PALIMPSEST_CONTACT")
        spider.live_user_agent = s.get("USER_AGENT") + (f" contact: {contact}" if contact else "")
        return spider

    async def start(self):
        seeds, errors = read_seeds(self.seeds_path)
        for err in errors:
            logger.error("Bad seed line: %s", err)
        for seed in seeds:
            self.store.add_seed(seed.site, seed.url)
            url = self.store.live_url(seed.site, seed.url)  # where the policy moved to, if it did
            self.live_hosts.add((urlsplit(seed.url).hostname or "").lower())
            self.live_hosts.add((urlsplit(url).hostname or "").lower())
            headers = {"User-Agent": self.live_user_agent}
            etag, modified = self.store.live_validators(seed.site, url)
            if etag:
                headers["If-None-Match"] = etag
            if modified:
                headers["If-Modified-Since"] = modified
            yield scrapy.Request(url, callback=self.parse_live, errback=self.failed, headers=headers,
                                 dont_filter=True, meta={"site": seed.site, "seed_url": seed.url,
                                                         "asked_url": url,
                                                         # answers seen as data (not all: then
                                                         # Scrapy would not follow redirects)
                                                         "handle_httpstatus_list": LIVE_STATUSES})

    def parse_live(self, response: Response):
        site = response.meta["site"]
        chain = response.meta.get("redirect_urls") or []
        if chain:
            logger.info("Policy of %s moved: %s -> %s", site, chain[0], response.url)
        headers = {k.decode("latin-1").lower(): v[0].decode("latin-1") for k, v in response.headers.items()}
        yield {"kind": "live", "site": site, "seed_url": response.meta["seed_url"],
               "asked_url": response.meta["asked_url"], "url": response.url, "moved_from": chain,
               "status": response.status, "body": response.body if response.status == 200 else b"",
               "content_type": headers.get("content-type"), "etag": headers.get("etag"),
               "last_modified": headers.get("last-modified")}

    def failed(self, failure):
        request = failure.request
        site = request.meta.get("site")
        why = failure.getErrorMessage() or failure.type.__name__
        if "robots.txt" in why.lower() or "Forbidden by robots.txt" in why:
            logger.warning("site %s: %s is disallowed by robots.txt; not fetched", site, request.url)
            self.crawler.stats.inc_value("palimpsest/live_robots_disallowed")
            return
        self.failed_sites.add(site)
        self.crawler.stats.inc_value("palimpsest/errors")
        logger.error("site %s: live check of %s failed: %s", site, request.url, why)
        self.store.log_error(site, request.url, None, f"live check failed: {why}")
