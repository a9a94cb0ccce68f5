"""The live-site rules of the watch spider: robots.txt obeyed (every waiter checked) and only
the seeds' hosts (and the hosts their redirects lead to) contacted."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as _ScrapyRobotsTxt
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

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
