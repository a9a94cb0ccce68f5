"""What a live check means for the corpus, and Save Page Now.

Unchanged text (the identity rule of the history crawl, :func:`pipelines.seedformat.text_hash`):
nothing new; the site's "last seen" live capture moves to now, so a later change is bracketed
tightly. Changed text: the Wayback Machine is asked to save the page (waybackpy's
``WaybackMachineSaveAPI``, in a thread off the reactor, at most ``PALIMPSEST_SAVES_PER_MINUTE``,
backing off on 429), and the new version is stored like a historical one, its seed header linking
the snapshot the save returned. No snapshot (a refusal, a failure, ``--no-save``): the version is
kept with a header saying it is a live capture not yet archived, and the next watch run asks
again. Live versions sit in the same timeline as archived ones; a later crawl that finds the saved
capture in the CDX sees the same text and makes no new version.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from datetime import datetime, timezone

from crawler.wayback import payload_digest
from pipelines.extraction import extract_policy
from pipelines.corpus import Corpus
from pipelines.finalize import finalize

logger = logging.getLogger(__name__)
SAVE_API = "https://web.archive.org/save/"


def now_timestamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")


_SNAPSHOT = re.compile(r"/web/(\d{14})/")


def snapshot_timestamp(parsed: str, headers, response_url: str) -> str | None:
    """The 14-digit timestamp of the snapshot a Save Page Now answer names."""
    candidates = [parsed, headers.get("Content-Location", ""), headers.get("Link", ""), response_url]
    for text in candidates:
        m = _SNAPSHOT.search(text or "")
        if m and ("rel=\"memento" in text or text is not headers.get("Link", "")):
            return m.group(1)
    return None


class SaveFailed(Exception):
    """Save Page Now gave no snapshot (its message says why)."""


class SavePageNow:
    """Save Page Now through waybackpy, rate-limited, with a back-off after a 429."""

    def __init__(self, api: str = SAVE_API, user_agent: str = "palimpsest", per_minute: float = 15,
                 tries: int = 3, retry_delay: float = 5.0, pause_429: float = 300.0,
                 timeout: float = 120.0):
        self.api = api if api.endswith("/") else api + "/"
        self.user_agent = user_agent
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self.tries = max(1, tries)
        self.retry_delay = retry_delay
        self.pause_429 = pause_429
        self.timeout = timeout
        self.next_allowed = 0.0
        self.paused_until = 0.0
        self.lock = asyncio.Lock()
        self.calls = 0

    def _save_blocking(self, url: str) -> str:
        """One save: the 14-digit timestamp of the snapshot Save Page Now made, or SaveFailed.

        waybackpy sends the request (and turns a 429 or 509 into its exceptions); the snapshot is
        read with its parser, then from ``Content-Location: /web/<ts>/<url>``, a memento ``Link``
        or the URL it redirected to (waybackpy's own regex on ``str(headers)`` misses a
        Content-Location in a requests header dict)."""
        from waybackpy import WaybackMachineSaveAPI
        from waybackpy.exceptions import TooManyRequestsError, WaybackError

        api = WaybackMachineSaveAPI(url, user_agent=self.user_agent, max_tries=self.tries)
        api.request_url = self.api + api.url  # --save-api: another Save Page Now endpoint
        last = "no snapshot in the answer"
        for attempt in range(self.tries):
            if attempt:
                time.sleep(self.retry_delay)
            try:
                api.get_save_request_headers()
            except TooManyRequestsError as exc:
                raise SaveFailed("429") from exc
            except WaybackError as exc:
                last = str(exc).splitlines()[0][:200]
                continue
            except Exception as exc:  # requests' own: refused, reset, timed out
                last = f"{type(exc).__name__}: {str(exc)[:200]}"
                continue
            if api.status_code and api.status_code >= 400:
                last = f"Save Page Now answered HTTP {api.status_code}"
                continue
            found = snapshot_timestamp(api.archive_url_parser() or "", api.headers or {},
                                       api.response_url or "")
            if found:
                return found
        raise SaveFailed(last)

    async def _in_thread(self, url: str) -> str:
        """The blocking save in a daemon thread, waited for at most ``timeout`` seconds: waybackpy
        sets no timeout, and a hung Save Page Now must neither hold the run nor its exit."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()

        def work() -> None:
            try:
                result = self._save_blocking(url)
            except BaseException as exc:  # handed to the waiting coroutine
                loop.call_soon_threadsafe(lambda e=exc: future.done() or future.set_exception(e))
            else:
                loop.call_soon_threadsafe(lambda: future.done() or future.set_result(result))

        threading.Thread(target=work, name="save-page-now", daemon=True).start()
        try:
            return await asyncio.wait_for(future, self.timeout)
        except asyncio.TimeoutError:
            raise SaveFailed(f"Save Page Now did not answer within {self.timeout:.0f} s") from None

    async def save(self, url: str) -> str:
        """The snapshot's timestamp, or SaveFailed. One save at a time, at most the rate."""
        async with self.lock:
            now = time.monotonic()
            if now < self.paused_until:
                raise SaveFailed(f"Save Page Now refused a save less than {self.pause_429:.0f} s ago (429)")
            wait = self.next_allowed - now
            if wait > 0:
                await asyncio.sleep(wait)
            self.next_allowed = time.monotonic() + self.interval
            self.calls += 1
            try:
                return await self._in_thread(url)
            except SaveFailed as exc:
                if str(exc) == "429":
                    self.paused_until = time.monotonic() + self.pause_429
                    raise SaveFailed("Save Page Now answered 429 (at most 15 saves a minute): "
                                     f"no more saves for {self.pause_429:.0f} s") from exc
                raise


class WatchPipeline:
    """Stores live checks (see the module's doc); finalizes the corpus at the end of the run."""

    def __init__(self, crawler):
        s = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.save_enabled = s.getbool("PALIMPSEST_SAVE", True)
        contact = s.get("PALIMPSEST_CONTACT")
        self.spn = SavePageNow(s.get("PALIMPSEST_SAVE_API") or SAVE_API,
                               s.get("USER_AGENT") + (f" contact: {contact}" if contact else ""),
                               s.getfloat("PALIMPSEST_SAVES_PER_MINUTE", 15),
                               s.getint("PALIMPSEST_SAVE_TRIES", 3),
                               s.getfloat("PALIMPSEST_SAVE_RETRY_DELAY", 5.0),
                               s.getfloat("PALIMPSEST_SAVE_PAUSE_429", 300.0),
                               s.getfloat("PALIMPSEST_SAVE_TIMEOUT", 120.0))
        self.max_bytes = s.getint("PALIMPSEST_MAX_PAGE_BYTES", 20_000_000)
        self.created: set[tuple[str, str]] = set()  # live versions of this run (saves asked already)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_item(self, item, spider=None):
        store = Corpus.of(self.crawler).store
        site, url = item["site"], item["url"]
        if item.get("moved_from"):
            store.add_url(site, url, item["asked_url"], now_timestamp(), 1)
            self.stats.inc_value("palimpsest/live_moved")
        ts = store.next_live_timestamp(site, now_timestamp())
        status = item["status"]
        if status == 304:
            store.live_seen(site, url, ts)
            self.stats.inc_value("palimpsest/live_unchanged")
            return item
        if status != 200:
            logger.warning("site %s: live policy %s answered HTTP %s; nothing new recorded", site,
                           url, status)
            store.log_error(site, url, ts, f"live check answered HTTP {status}")
            self.stats.inc_value("palimpsest/live_http_error")
            return item
        extracted = await asyncio.to_thread(extract_policy, item["body"], item.get("content_type"),
                                            url, self.max_bytes)
        store.set_live_validators(site, item["seed_url"], url, item.get("etag"), item.get("last_modified"))
        if not extracted.markdown:
            logger.warning("site %s: no text in the live page %s (%s)", site, url, extracted.reason)
            return item
        if store.latest_text_hash(site) == extracted.text_hash:
            store.live_seen(site, url, ts)
            self.stats.inc_value("palimpsest/live_unchanged")
            return item
        saved, why = None, "saving is off (--no-save)"
        if self.save_enabled:
            try:
                saved = await self.spn.save(url)
                self.stats.inc_value("palimpsest/live_saved")
            except Exception as exc:  # SaveFailed, or anything else: the live version is kept
                why = str(exc)
                self.stats.inc_value("palimpsest/live_save_failed")
                logger.warning("site %s: Save Page Now gave no snapshot of %s (%s); the live version "
                               "is kept and the next watch run asks again", site, url, why)
        digest = payload_digest(item["body"])
        store.add_live_version(site, item["seed_url"], url, ts, digest, extracted.as_dict(), saved,
                               None if saved else why)
        self.created.add((site, ts))
        self.stats.inc_value("palimpsest/live_changed")
        logger.info("site %s: the live policy %s changed (%s)", site, url,
                    f"saved as the Wayback snapshot of {saved}" if saved else "not archived yet")
        return item

    async def close_spider(self, spider=None):
        store = Corpus.of(self.crawler).store
        if self.save_enabled:  # saves an earlier run could not get
            for site, ts, url in store.pending_live_saves():
                if (site, ts) in self.created or time.monotonic() < self.spn.paused_until:
                    continue  # asked in this run already, or Save Page Now asked us to wait
                try:
                    saved = await self.spn.save(url)
                except Exception as exc:
                    logger.warning("site %s: Save Page Now still gives no snapshot of %s (%s)", site,
                                   url, exc)
                    continue
                store.live_saved(site, ts, saved)
                self.stats.inc_value("palimpsest/live_saved")
        self.stats.set_value("palimpsest/save_requests", self.spn.calls)
        for name, value in finalize(store).items():
            self.stats.set_value(f"palimpsest/{name}", value)



