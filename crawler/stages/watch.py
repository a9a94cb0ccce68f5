"""The watch's stage: what a live check means for the corpus, and when Save Page Now is asked.

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
import time

from crawler.archive.savepagenow import SAVE_API, SavePageNow, now_timestamp
from crawler.corpus import Corpus
from pipelines.captures import payload_digest
from pipelines.extract import extract_policy
from pipelines.items import LiveCheck
from pipelines.publish.finalize import finalize

logger = logging.getLogger(__name__)


class WatchPipeline:
    """Stores live checks (see the module's doc); finalizes the corpus at the end of the run."""

    def __init__(self, crawler):
        s = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.save_enabled = s.getbool("PALIMPSEST_SAVE")
        contact = s["PALIMPSEST_CONTACT"]
        self.spn = SavePageNow(s["PALIMPSEST_SAVE_API"] or SAVE_API,
                               s["USER_AGENT"] + (f" contact: {contact}" if contact else ""),
                               s.getfloat("PALIMPSEST_SAVES_PER_MINUTE"),
                               s.getint("PALIMPSEST_SAVE_TRIES"),
                               s.getfloat("PALIMPSEST_SAVE_RETRY_DELAY"),
                               s.getfloat("PALIMPSEST_SAVE_PAUSE_429"),
                               s.getfloat("PALIMPSEST_SAVE_TIMEOUT"))
        self.max_bytes = s.getint("PALIMPSEST_MAX_PAGE_BYTES")
        self.created: set[tuple[str, str]] = set()  # live versions of this run (saves asked already)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self, spider=None):
        self.store = Corpus.of(self.crawler).main

    async def process_item(self, item, spider=None):
        if not isinstance(item, LiveCheck):
            return item
        store = self.store
        site, url = item.site, item.url
        if item.moved_from:
            store.sites.add_url(site, url, item.asked_url, now_timestamp(), 1)
            self.stats.inc_value("palimpsest/live_moved")
        ts = store.live.next_timestamp(site, now_timestamp())
        status = item.status
        if status == 304:
            store.live.seen(site, url, ts)
            self.stats.inc_value("palimpsest/live_unchanged")
            return item
        if status != 200:
            logger.warning("site %s: live policy %s answered HTTP %s; nothing new recorded", site,
                           url, status)
            store.sites.log_error(site, url, ts, f"live check answered HTTP {status}")
            self.stats.inc_value("palimpsest/live_http_error")
            return item
        extracted = await asyncio.to_thread(extract_policy, item.body, item.content_type, url,
                                            self.max_bytes)
        # The validators (ETag, Last-Modified) are stored only once what this answer means is
        # recorded: stored before a new version, a run killed while Save Page Now works would have
        # the next run's conditional request answered 304 and that version never recorded.
        if not extracted.markdown:
            store.live.set_validators(site, item.seed_url, url, item.etag, item.last_modified)
            logger.warning("site %s: no text in the live page %s (%s)", site, url, extracted.reason)
            return item
        if store.live.latest_text_hash(site) == extracted.text_hash:
            store.live.set_validators(site, item.seed_url, url, item.etag, item.last_modified)
            store.live.seen(site, url, ts)
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
        digest = payload_digest(item.body)
        store.live.add_version(site, item.seed_url, url, ts, digest, extracted, saved,
                               None if saved else why)
        store.live.set_validators(site, item.seed_url, url, item.etag, item.last_modified)
        self.created.add((site, ts))
        self.stats.inc_value("palimpsest/live_changed")
        logger.info("site %s: the live policy %s changed (%s)", site, url,
                    f"saved as the Wayback snapshot of {saved}" if saved else "not archived yet")
        return item

    async def close_spider(self, spider=None):
        store = self.store
        if self.save_enabled:  # saves an earlier run could not get
            for site, ts, url in store.live.pending_saves():
                if (site, ts) in self.created or time.monotonic() < self.spn.paused_until:
                    continue  # asked in this run already, or Save Page Now asked us to wait
                try:
                    saved = await self.spn.save(url)
                except Exception as exc:
                    logger.warning("site %s: Save Page Now still gives no snapshot of %s (%s)", site,
                                   url, exc)
                    continue
                store.live.saved(site, ts, saved)
                self.stats.inc_value("palimpsest/live_saved")
        self.stats.set_value("palimpsest/save_requests", self.spn.calls)
        for name, value in finalize(store).items():
            self.stats.set_value(f"palimpsest/{name}", value)



