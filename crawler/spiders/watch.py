"""The watch spider: each seed's *live* policy URL, fetched politely, so that a change is bracketed
by hours instead of the archive's months; a changed text is saved to the Wayback Machine (Save
Page Now, :mod:`crawler.archive.savepagenow`, stored by :mod:`crawler.stages.watch`) so the change has a public, citable snapshot.

Polite: robots.txt obeyed, one request per host at a time, a User-Agent with the contact,
conditional requests (ETag / Last-Modified: an unchanged page answers 304 and costs nothing).
Redirects are followed (a moved policy is recorded as moved). The spider reaches only the seeds'
hosts and the hosts their redirects lead to (:class:`crawler.components.live.LiveOnlyMiddleware`); the archive spiders
keep their archive-only rule.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from crawler.components.live import LIVE_STATUSES
from crawler.corpus import Corpus
from pipelines.corpus.store import CorpusStore
from pipelines.items import LiveCheck
from pipelines.seeds import read_seeds

logger = logging.getLogger(__name__)


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
        "DOWNLOADER_MIDDLEWARES": {"crawler.components.middlewares.ArchiveOnlyMiddleware": None,
                                   "crawler.components.middlewares.ArchiveRetryMiddleware": None,
                                   "crawler.components.middlewares.PayloadDigestMiddleware": None,
                                   "crawler.components.live.LiveOnlyMiddleware": 50,
                                   "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
                                   "crawler.components.live.RobotsTxtMiddleware": 100},
        "ITEM_PIPELINES": {"crawler.stages.watch.WatchPipeline": 500},
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
        spider.store: CorpusStore = spider.corpus.main  # live checks need the corpus itself
        contact = s["PALIMPSEST_CONTACT"]
        spider.live_user_agent = s["USER_AGENT"] + (f" contact: {contact}" if contact else "")
        return spider

    async def start(self):
        seeds, errors = read_seeds(self.seeds_path)
        for err in errors:
            logger.error("Bad seed line: %s", err)
        for seed in seeds:
            self.store.sites.add_seed(seed.site, seed.url)
            url = self.store.live.url(seed.site, seed.url)  # where the policy moved to, if it did
            self.live_hosts.add((urlsplit(seed.url).hostname or "").lower())
            self.live_hosts.add((urlsplit(url).hostname or "").lower())
            headers = {"User-Agent": self.live_user_agent}
            etag, modified = self.store.live.validators(seed.site, url)
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
        yield LiveCheck(site=site, seed_url=response.meta["seed_url"],
                        asked_url=response.meta["asked_url"], url=response.url, moved_from=chain,
                        status=response.status,
                        body=response.body if response.status == 200 else b"",
                        content_type=headers.get("content-type"), etag=headers.get("etag"),
                        last_modified=headers.get("last-modified"))

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
        self.store.sites.log_error(site, request.url, None, f"live check failed: {why}")
