"""The history spider: every distinct version of each seed's policy URL, from a Wayback archive.

Data path: seed -> CDX rows (captures) -> distinct payloads fetched once each (``id_``) ->
pipelines (text, corpus). Archived redirects of a policy URL are followed to the target URL's
own captures; the archive's own redirects to another capture are recorded, never followed.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Response

from crawler.archive.client import (Answer, CdxFormatError, archive_for_crawl, edge_second,
                                    is_blocked_cdx_answer)
from crawler.archive.gates import SHUTTING_DOWN, SLOT_META
from crawler.components.middlewares import RAW_DIGEST_META, clean_retry
from crawler.corpus import Corpus
from crawler.distributed.queue import LEASE_META
from pipelines.captures import Outcome, dedupe_records, payload_digest, surt_key
from pipelines.items import Fetch, Payload
from pipelines.payloads import Planned, fetchable, interval_of, pad_timestamp, parse_every
from pipelines.seeds import Seed, read_seeds

logger = logging.getLogger(__name__)
RUN_META = "palimpsest_run"


def is_homepage(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


@dataclass
class Progress:
    """Requests outstanding per site; a site is done while it has none."""

    sites_total: int = 0
    pending: dict[str, int] = field(default_factory=dict)
    finished: set[str] = field(default_factory=set)

    @property
    def sites_done(self) -> int:
        return len(self.finished)

    def add(self, site: str, n: int = 1) -> None:
        self.pending[site] = self.pending.get(site, 0) + n
        self.finished.discard(site)

    def done(self, site: str) -> None:
        left = self.pending.get(site, 0) - 1
        self.pending[site] = left
        if left <= 0:
            self.finished.add(site)


class HistorySpider(scrapy.Spider):
    """Rebuild policy histories. Arguments (``-a``): seeds, archive, from, to, every, out."""

    name = "history"

    def __init__(self, seeds: str | None = None, archive: str | None = None, every: str | None = None,
                 out: str | None = None, dialect: str | None = None, **kwargs):
        from_ = kwargs.pop("from", None) or kwargs.pop("from_", None)
        to = kwargs.pop("to", None)
        super().__init__(**kwargs)
        self.seeds_path = seeds
        self.archive_arg = archive
        self.dialect_arg = dialect
        self.out_arg = out
        self.from_ts = pad_timestamp(from_, high=False)
        self.to_ts = pad_timestamp(to, high=True)
        self.every_months = parse_every(every)
        self.progress = Progress()
        self.scheduled_keys: set[str] = set()
        self.queried: set[tuple[str, str]] = set()
        # Requests restored from a JOBDIR queue carry another run's id (see restored()).
        self.run_id = uuid.uuid4().hex[:12]
        self.sweep: list[tuple[str, str, int]] = []  # (site, url, hops) to check when idle
        self.failed_sites: set[str] = set()  # sites with an error in this run (exit code 1)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        spider.archive, spider.request_headers = archive_for_crawl(spider.archive_arg,
                                                                   spider.dialect_arg, s)
        spider.max_hops = s.getint("PALIMPSEST_MAX_REDIRECT_HOPS")
        spider.answer_retries = s.getint("PALIMPSEST_RETRY_TIMES")
        spider.blocked_recheck_days = s.getint("PALIMPSEST_BLOCKED_RECHECK_DAYS")
        spider.fresh_since = s.getfloat("PALIMPSEST_CDX_FRESH_SINCE")
        # The corpus is the crawl's (pipelines.corpus.Corpus): received, not built here.
        worker = s.getbool("PALIMPSEST_DISTRIBUTED") and s.get("PALIMPSEST_ROLE") != "coordinator"
        if not spider.seeds_path and not worker:  # a worker takes its seeds from the job
            raise ValueError("the history spider needs a seed file: -a seeds=seeds/sites.csv")
        spider.corpus = Corpus.of(crawler, spider.out_arg)
        spider.recorder = spider.corpus.recorder
        crawler.signals.connect(spider.sweep_when_idle, signal=signals.spider_idle)
        return spider

    # -- start -------------------------------------------------------------------------------
    async def start(self):
        c = self.corpus
        if c.job is not None:
            if not c.is_coordinator or not c.job.begin_seeding():
                logger.info("Worker %s joined job %s", c.worker_id, c.job.job)
                return
            c.job.add_fetched(c.main.fetches.payload_keys())
        try:
            seeds, errors = read_seeds(self.seeds_path)
        except (OSError, ValueError) as exc:
            logger.error("Cannot read seeds: %s", exc)
            self.crawler.stats.inc_value("palimpsest/seed_errors")
            return
        for err in errors:
            logger.error("Bad seed line: %s", err)
            self.crawler.stats.inc_value("palimpsest/seed_errors")
            self.recorder.log_error(None, None, None, str(err))
        # Finish what a killed run left: versions of sites whose index changed.
        w = self.recorder.complete_interrupted()
        if w:
            logger.info("Completed %d version file(s) left by an interrupted run", w)
        # With Scrapy's JOBDIR, an interrupted job's queue comes back from disk: URLs that job
        # already queried are not queried again, and their unfetched payloads are checked only when
        # the restored requests are done (see sweep_when_idle), so nothing is fetched twice.
        state = getattr(self, "state", None)  # set by Scrapy's SpiderState when JOBDIR is given
        if state is not None:
            if state.get("unfinished"):
                self.queried.update(state.get("queried", ()))
                self.sweep = [(site, url, hops) for site, url in self.queried
                              for u, hops, _ in self.recorder.site_urls(site) if u == url]
                logger.info("Resuming the job in JOBDIR: %d URL(s) were already queried",
                            len(self.queried))
            else:
                state["queried"] = set()
            state["unfinished"] = True
        sites = {s.site for s in seeds}
        self.progress.sites_total = len(sites)
        logger.info("Crawling %d site(s), %d policy URL(s) from %r (%s) into %s", len(sites),
                    len(seeds), self.archive.base, self.archive.dialect, self.recorder.out)
        for seed in seeds:
            for request in self.requests_for_seed(seed):
                yield request
            if self.progress.pending.get(seed.site, 0) <= 0:  # a resumed job had finished it
                self.progress.finished.add(seed.site)
        if self.corpus.job is not None:  # seeding complete: later coordinators only join
            self.corpus.job.mark_seeded()

    def requests_for_seed(self, seed: Seed):
        self.recorder.add_seed(seed.site, seed.url)
        for url, hops, last_ts in self.recorder.site_urls(seed.site):
            if (seed.site, url) in self.queried:
                continue
            if self.fresh_since and self.recorder.cdx_checked_since(seed.site, url, self.fresh_since):
                # listed moments ago (crawl --discover handed the rows over): fetch what is missing
                self.queried.add((seed.site, url))
                self.crawler.stats.inc_value("palimpsest/cdx_reused")
                yield from self.unfetched_requests(seed.site, url, hops)
                continue
            blocked = self.recorder.blocked(seed.site, url, self.blocked_recheck_days)
            if blocked:
                self.crawler.stats.inc_value("palimpsest/urls_blocked")
                logger.info("Not querying %s (site %s): the archive blocks it (%s); checked again "
                            "after %d days", url, seed.site, blocked, self.blocked_recheck_days)
                continue
            yield from self.unfetched_requests(seed.site, url, hops)
            yield self.cdx_request(seed.site, url, hops, last_ts)

    def unfetched_requests(self, site: str, url: str, hops: int):
        """Fetches for the payloads an earlier run listed but did not fetch."""
        yield from self.fetch_requests(site, hops, [
            p.planned() for p in self.recorder.unfetched(site, url)])

    # -- CDX -----------------------------------------------------------------------------------
    def cdx_request(self, site: str, url: str, hops: int, last_ts: str | None = None,
                    resume_key: str | None = None, edge: str | None = None) -> scrapy.Request:
        """A CDX query of ``url`` (from the last timestamp seen); ``edge`` asks one second again."""
        self.queried.add((site, url))
        if getattr(self, "state", None) is not None:
            self.state["queried"].add((site, url))
        from_ts = max(filter(None, [self.from_ts, last_ts]), default=None)
        to_ts = self.to_ts
        if edge:
            from_ts = to_ts = edge
        self.progress.add(site)
        return scrapy.Request(
            self.archive.cdx_url(url, from_ts, to_ts, resume_key),
            callback=self.parse_cdx, errback=self.request_failed, dont_filter=True, priority=0,
            headers=self.request_headers,
            meta={SLOT_META: "cdx", "download_slot": "wayback-cdx", "handle_httpstatus_all": True,
                  "site": site, "query_url": url, "hops": hops, "from_ts": from_ts,
                  "palimpsest_edge": edge, RUN_META: self.run_id})

    def parse_cdx(self, response: Response):
        site, url, hops = response.meta["site"], response.meta["query_url"], response.meta["hops"]
        self.restored(response.meta)
        try:
            blocked = is_blocked_cdx_answer(response.status, response.body)
            if blocked:
                # The archive excludes this URL: recorded (with its wording) and not asked again
                # on every run; the summary reports it.
                self.crawler.stats.inc_value("palimpsest/urls_blocked")
                self.recorder.set_blocked(site, url, blocked)
                logger.warning("The archive blocks %s (site %s): %s", url, site, blocked)
                return
            if response.status != 200:
                self.error(site, url, None, f"CDX query answered HTTP {response.status}; "
                           "the URL will be queried again on the next run")
                return
            self.crawler.stats.inc_value("palimpsest/cdx_answered")
            try:
                page = self.archive.parse_cdx(response.body)
            except CdxFormatError as exc:
                retry = self.retry(response, f"unreadable CDX answer ({exc})")
                if retry:
                    yield retry
                else:
                    self.error(site, url, None, f"unreadable CDX answer ({exc}); nothing stored, "
                               "re-run the same command to retry")
                return
            if page.errors:
                # A damaged answer (a proxy, a truncated transfer) is asked again before any row
                # of it is trusted; rows still malformed after the retries are skipped and logged.
                retry = self.retry(response, f"{len(page.errors)} malformed CDX row(s)")
                if retry:
                    yield retry
                    return
                for problem in page.errors:
                    self.error(site, url, None, f"skipped a malformed CDX row: {problem}")
            records = [r for r in dedupe_records(page.records)
                       if (not self.from_ts or r.timestamp >= self.from_ts)
                       and (not self.to_ts or r.timestamp <= self.to_ts)]
            _, new = self.recorder.plan_captures(site, url, records)
            self.crawler.stats.inc_value("palimpsest/captures_new", len(new))
            self.crawler.stats.inc_value("palimpsest/captures_seen", len(records))
            if records:
                self.recorder.cdx_checked(site, url, max(r.timestamp for r in records))
            else:
                self.recorder.cdx_checked(site, url, None)
            yield from self.fetch_requests(site, hops, new, response.meta.get(LEASE_META))
            if page.resume_key:
                edge = response.meta.get("palimpsest_edge")
                if not edge:
                    # The next page may skip a capture in the last second of this one: ask it again.
                    last = edge_second(page.records, page.resume_key)
                    if last:
                        self.crawler.stats.inc_value("palimpsest/cdx_edge_queries")
                        yield self.cdx_request(site, url, hops, edge=last)
                yield self.cdx_request(site, url, hops, response.meta.get("from_ts"),
                                       page.resume_key, edge=edge)
        finally:
            self.progress.done(site)

    def retry(self, response: Response, reason: str, max_times: int | None = None
              ) -> scrapy.Request | None:
        """The same request again (counted), or None when the retries are used up."""
        request = clean_retry(response.request, self, reason,
                              self.answer_retries if max_times is None else max_times)
        if request is None:
            return None
        self.crawler.stats.inc_value("palimpsest/retry/bad_answer")
        logger.warning("%s for %s (site %s): asking again (%d/%d)", reason, response.url,
                       response.meta.get("site"), request.meta["palimpsest_answer"],
                       self.answer_retries if max_times is None else max_times)
        request.meta[RUN_META] = self.run_id
        self.progress.add(response.meta["site"])
        return request

    def fetch_requests(self, site: str, hops: int, planned: list[Planned],
                       lease: str | None = None):
        """One snapshot request per distinct payload not fetched yet (optionally sampled)."""
        candidates = fetchable(planned)
        if self.every_months:
            candidates = self.sample(site, candidates)
        fetched = self.recorder.fetched_keys({p.payload_key for p in candidates})
        wanted = [p.payload_key for p in candidates
                  if p.payload_key not in fetched and p.payload_key not in self.scheduled_keys]
        job = self.corpus.job
        allowed = job.claim(wanted, lease) if job is not None else set(wanted)
        for p in candidates:
            rec, key = p.record, p.payload_key
            if key not in allowed or key in self.scheduled_keys:
                continue
            if not p.is_textual:
                # Images and other binaries: indexed, not fetched (no text to extract).
                self.scheduled_keys.add(key)
                self.recorder.record_fetch(Fetch(
                    key, rec.timestamp, rec.url, rec.status, rec.digest, Outcome.NO_TEXT,
                    sites=(site,), reason=f"not a text type ({p.mimetype}): skipped without fetching"))
                self.crawler.stats.inc_value("palimpsest/skipped_not_text")
                continue
            self.scheduled_keys.add(key)
            self.crawler.stats.inc_value("palimpsest/fetch_scheduled")
            self.progress.add(site)
            yield scrapy.Request(
                self.archive.snapshot_url(rec.timestamp, rec.url),
                callback=self.parse_snapshot, errback=self.request_failed, dont_filter=True,
                priority=10, headers=self.request_headers,
                meta={SLOT_META: "snapshot", "download_slot": "wayback-snapshot",
                      "handle_httpstatus_all": True, "dont_redirect": True, "site": site,
                      "hops": hops, "palimpsest_capture": (key, rec.timestamp, rec.url, rec.status,
                                                           rec.digest), RUN_META: self.run_id})

    def sample(self, site: str, candidates: list[Planned]) -> list[Planned]:
        """Keep, per interval, the first content capture and the first redirect."""
        chosen: dict[tuple[int, bool], Planned] = {}
        for p in sorted(candidates, key=lambda p: p.record.timestamp):
            slot = (interval_of(p.record.timestamp, self.every_months), p.record.is_redirect)
            chosen.setdefault(slot, p)
        return list(chosen.values())

    # -- snapshots -----------------------------------------------------------------------------
    def parse_snapshot(self, response: Response):
        site, hops = response.meta["site"], response.meta["hops"]
        key, ts, url, status, digest = response.meta["palimpsest_capture"]
        self.restored(response.meta)
        self.scheduled_keys.add(key)
        try:
            yield from self._parse_snapshot(response, site, hops, key, ts, url, status, digest)
        finally:
            self.progress.done(site)

    def _parse_snapshot(self, response, site, hops, key, ts, url, status, digest):
        outcome = self.archive.classify_snapshot(response.status, response.headers.to_unicode_dict(), ts)
        item = Payload(site=site, payload_key=key, timestamp=ts, url=url, status=status,
                       digest=digest, outcome=Outcome.PAYLOAD, http_status=response.status,
                       size=len(response.body), source=response.url,
                       headers=[(k.decode("latin-1"), v.decode("latin-1"))
                                for k, vs in response.headers.items() for v in vs])
        if outcome.kind == Answer.ARCHIVED and 200 <= response.status < 300:
            raw = response.meta.get(RAW_DIGEST_META)
            # the body as received; hashed again only if decompression changed it
            got = raw if raw == digest else payload_digest(response.body)
            ok = digest in (raw, got) if digest else None
            if ok is False:
                # A body whose SHA-1 differs from the CDX digest is asked for once more. The same
                # bytes twice is a stable difference on the archive's side (real captures have
                # had one for years): kept, flagged. Other bytes: a damaged transfer; nothing is
                # stored and the next run tries again. Never more than one extra request.
                first = response.meta.get("palimpsest_bad_digest")
                if first is None:
                    retry = self.retry(response, f"body does not match its CDX digest {digest} "
                                       f"(capture {ts})", max_times=1)
                    if retry is not None:
                        retry.meta["palimpsest_bad_digest"] = got
                        yield retry
                        return
                elif first != got:
                    self.error(site, url, ts, f"two fetches of this capture gave different bodies, "
                               f"neither matching its CDX digest {digest} (damaged transfer?); "
                               "nothing stored, re-run the same command to retry")
                    return
                self.crawler.stats.inc_value("palimpsest/digest_mismatch_kept")
                logger.info("Capture of %s at %s: the archive serves the same body twice, not "
                            "matching its CDX digest %s; kept (digest mismatch recorded)",
                            url, ts, digest)
            reason = None
            if outcome.memento_datetime and outcome.memento_datetime != ts:
                reason = f"archive served the capture of {outcome.memento_datetime}"
            ctype = (response.headers.get("Content-Type") or
                     response.headers.get("X-Archive-Orig-Content-Type") or b"").decode("latin-1")
            item.body, item.content_type, item.digest_ok, item.reason = \
                response.body, ctype or None, ok, reason
            yield item
        elif outcome.kind == Answer.ARCHIVED:
            item.outcome, item.reason = Outcome.HTTP_STATUS, f"archived HTTP {response.status}"
            yield item
        elif outcome.kind == Answer.ARCHIVED_REDIRECT:
            target = urljoin(url, outcome.location or "")
            item.outcome, item.location = Outcome.REDIRECT, target
            yield item
            yield from self.follow_redirect(site, url, ts, target, hops)
        elif outcome.kind == Answer.ARCHIVE_REDIRECT:
            self.crawler.stats.inc_value("palimpsest/archive_redirects")
            logger.warning("The archive redirected the capture of %s at %s (site %s) to another "
                           "capture (%s); recorded, not followed", url, ts, site,
                           outcome.location_timestamp or outcome.location)
            item.outcome, item.location, item.location_timestamp = (
                Outcome.ARCHIVE_REDIRECT, outcome.location, outcome.location_timestamp)
            item.reason = "archive redirected to a different capture"
            yield item
        elif outcome.kind == Answer.MISSING:
            item.outcome, item.reason = Outcome.MISSING, "the archive has no such capture (404)"
            yield item
        elif outcome.kind == Answer.BLOCKED:
            self.crawler.stats.inc_value("palimpsest/snapshots_blocked")
            logger.warning("The archive blocks the capture of %s at %s (site %s): %s", url, ts,
                           site, outcome.reason or f"HTTP {response.status}")
            item.outcome = Outcome.BLOCKED
            item.reason = outcome.reason or f"the archive refused it (HTTP {response.status})"
            yield item
        else:  # Answer.ERROR (or RATE_LIMITED after the retries): the archive's own failure
            self.error(site, url, ts, f"the archive answered HTTP {response.status} for {url} at "
                       f"{ts}; nothing stored, it will be fetched again on the next run")

    def follow_redirect(self, site: str, url: str, ts: str, target: str, hops: int):
        if urlsplit(target).scheme not in ("http", "https") or target == url:
            return
        if surt_key(target) == surt_key(url):
            # http -> https, www. -> bare host: another spelling of the same urlkey, whose
            # captures the CDX query of this URL already listed.
            return
        if is_homepage(target):
            logger.info("Policy %s of %s redirected to the homepage %s at %s: not followed "
                        "(the policy was probably removed)", url, site, target, ts)
            return
        if hops + 1 > self.max_hops:
            logger.warning("Redirect chain of %s too deep at %s -> %s; not followed", site, url, target)
            return
        self.recorder.add_url(site, target, url, ts, hops + 1)
        if (site, target) in self.queried:
            return
        self.crawler.stats.inc_value("palimpsest/redirects_followed")
        logger.info("Policy of %s moved: %s -> %s (archived redirect at %s)", site, url, target, ts)
        last = next((lt for u, _, lt in self.recorder.site_urls(site) if u == target), None)
        yield self.cdx_request(site, target, hops + 1, last)

    # -- JOBDIR ---------------------------------------------------------------------------------
    def restored(self, meta: dict) -> None:
        """Count a request restored from a JOBDIR queue as pending work of this run."""
        if meta.get(RUN_META) != self.run_id and meta.get("site"):
            meta[RUN_META] = self.run_id
            self.progress.add(meta["site"])

    def sweep_when_idle(self, spider=None) -> None:
        """Once the restored requests are done, fetch what the interrupted job listed but lost."""
        sweep, self.sweep = self.sweep, []
        scheduled = False
        for site, url, hops in sweep:
            for request in self.unfetched_requests(site, url, hops):
                self.crawler.engine.crawl(request)
                scheduled = True
        if scheduled:
            raise DontCloseSpider

    def closed(self, reason: str) -> None:
        state = getattr(self, "state", None)
        if state is not None and reason == "finished":  # the next run is a new, incremental one
            state.update(unfinished=False, queried=set())

    # -- errors -----------------------------------------------------------------------------------
    def error(self, site: str | None, url: str | None, ts: str | None, message: str) -> None:
        self.crawler.stats.inc_value("palimpsest/errors")
        if site:
            self.failed_sites.add(site)
        where = " ".join(filter(None, [f"site {site}" if site else None, url,
                                       f"at {ts}" if ts else None]))
        logger.error("%s: %s", where, message)
        self.recorder.log_error(site, url, ts, message)

    def request_failed(self, failure):
        request = failure.request
        site = request.meta.get("site")
        if failure.check(IgnoreRequest) and str(failure.value) == SHUTTING_DOWN:
            self.restored(request.meta)  # the run is stopping: not an error, asked next run
            if site:
                self.progress.done(site)
            return
        capture = request.meta.get("palimpsest_capture")
        url = capture[2] if capture else request.meta.get("query_url")
        ts = capture[1] if capture else None
        what = "snapshot" if capture else "CDX query"
        self.restored(request.meta)
        self.error(site, url, ts, f"{what} failed: {failure.getErrorMessage() or failure.type.__name__} "
                   "(nothing was stored for it; re-run the same command to retry)")
        if site:
            self.progress.done(site)
