"""The discovery spider: from a list of sites to each site's policy URL, interval by interval.

For each site: one CDX query for the homepage over the whole range; per interval (6 months by
default) the homepage capture nearest the interval's middle is fetched (each distinct payload once),
its links scored (:mod:`crawler.discovery`), the best policy link's URL queried once in the CDX
API, the policy capture nearest the middle *within the same interval* fetched, and kept when the
classifier (:mod:`pipelines.classify.model`) says it is a policy. Writes OUT/discovered.csv.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response

from crawler.archive.client import Answer, CdxFormatError
from crawler.archive.registry import sources_for_crawl, user_agent_headers
from crawler.discovery import (Found, LinkCandidate, accept_policy, find_hub_link, find_policy_links,
                               is_parked, is_soft_404, page_text)
from pipelines.captures import CdxRecord, Outcome, dedupe_records, payload_digest
from pipelines.classify.model import classify
from pipelines.corpus.recorder import Recorder
from pipelines.corpus.store import CorpusStore
from pipelines.extract import decode_html, extract_policy
from pipelines.files import atomic_write, write_json
from pipelines.items import ExtractedText, Fetch
from pipelines.payloads import pad_timestamp, parse_every
from pipelines.seeds import read_seeds

logger = logging.getLogger(__name__)
FIELDS = ["site", "interval", "interval_start", "interval_end", "homepage_url", "homepage_capture",
          "link_text", "link_href", "link_score", "policy_url", "policy_capture", "probability",
          "status", "reason"]
MAX_HOPS = 3
# Links tried per interval: when the best link's page is not the policy (a blog post under
# "Privacy" in the menu, no capture of it in the interval, an error page), the next ones are.
MAX_LINKS_TRIED = 3


def _ts(dt: datetime) -> str:
    return dt.strftime("%Y%m%d%H%M%S")


def intervals(first: str, last: str, months: int) -> list[tuple[str, str, str, str]]:
    """(label, start, middle, end) 14-digit timestamps of the intervals covering first..last,
    aligned on 1 January (6m: January-June, July-December)."""
    def month_start(index: int) -> datetime:
        y, m = divmod(index, 12)
        return datetime(y, m + 1, 1, tzinfo=timezone.utc)

    index = ((int(first[:4]) * 12 + int(first[4:6]) - 1) // months) * months
    out = []
    while _ts(month_start(index)) <= last:
        start, nxt = month_start(index), month_start(index + months)
        middle = start + (nxt - start) / 2
        label = f"{start.year}" if months == 12 else f"{start.year}-{start.month:02d}"
        out.append((label, _ts(start), _ts(middle), _ts(nxt - timedelta(seconds=1))))
        index += months
    return out


def nearest(records: list[CdxRecord], middle: str, start: str | None = None, end: str | None = None,
            redirects: bool = True) -> CdxRecord | None:
    ok = [r for r in records if (r.is_revisit or (r.status is not None and (
          200 <= r.status < 300 or (redirects and r.is_redirect))))
          and (start is None or start <= r.timestamp <= end)]
    return min(ok, key=lambda r: abs(int(r.timestamp) - int(middle)), default=None)


@dataclass
class Row:
    site: str
    label: str
    start: str
    middle: str
    end: str
    homepage_url: str = ""
    homepage_capture: str = ""
    link: LinkCandidate | None = None
    policy_url: str = ""
    policy_capture: str = ""
    probability: float | None = None
    status: Found = Found.NONE
    reason: str = ""
    untried: list[LinkCandidate] = field(default_factory=list)  # the next links, best first
    hub: str = ""  # the legal page followed when the homepage links no policy

    def csv_row(self) -> dict:
        return {"site": self.site, "interval": self.label, "interval_start": self.start[:8],
                "interval_end": self.end[:8], "homepage_url": self.homepage_url,
                "homepage_capture": self.homepage_capture,
                "link_text": self.link.text if self.link else "",
                "link_href": self.link.href if self.link else "",
                "link_score": self.link.score if self.link else "",
                "policy_url": self.policy_url, "policy_capture": self.policy_capture,
                "probability": "" if self.probability is None else f"{self.probability:.3f}",
                "status": self.status, "reason": self.reason}


@dataclass
class PolicyURL:
    records: list[CdxRecord] | None = None  # None while its CDX query is out
    waiting: list = field(default_factory=list)  # (row, what to do with the records)
    complete: bool = False  # the whole listing in one answer (crawl --discover hands it over)


class DiscoverSpider(scrapy.Spider):
    """Find policy URLs. Arguments (``-a``): seeds, archive, dialect, from, to, every, out."""

    name = "discover"
    custom_settings = {"ITEM_PIPELINES": {}}  # it writes discovered.csv itself, yields no items

    def __init__(self, seeds: str | None = None, archive: str | None = None, every: str | None = None,
                 out: str | None = None, dialect: str | None = None, handoff: str | None = None,
                 **kwargs):
        from_ = kwargs.pop("from", None)
        to = kwargs.pop("to", None)
        super().__init__(**kwargs)
        if not seeds:
            raise ValueError("the discover spider needs a seed file of sites: -a seeds=seeds/domains.txt")
        self.seeds_path, self.archive_arg, self.dialect_arg, self.out_arg = seeds, archive, dialect, out
        self.from_ts = pad_timestamp(from_, high=False)
        self.to_ts = pad_timestamp(to, high=True)
        self.months = parse_every(every or "6m")
        self.rows: list[Row] = []
        self.policies: dict[str, PolicyURL] = {}
        self.payloads: dict[tuple[str, str], list] = {}  # (kind, payload key) -> waiting rows
        # crawl --discover: policy URLs are listed in full and what was fetched is handed to the
        # history crawl (CDX rows and extracted payloads), so nothing is asked twice.
        self.handoff = str(handoff or "").lower() in ("1", "true", "yes")
        self.fetched_policies: dict[str, list[tuple[CdxRecord, ExtractedText, bool | None]]] = {}

    @classmethod
    def update_settings(cls, settings) -> None:
        super().update_settings(settings)
        if settings.get("JOBDIR"):
            # Discovery keeps its work in memory and is cheap to run again: a queue restored from
            # JOBDIR would answer rows that no longer exist. JOBDIR is for the history crawl.
            logger.info("discovery does not use JOBDIR (%s); an interrupted discovery is run again",
                        settings.get("JOBDIR"))
            settings.set("JOBDIR", None, priority=settings.getpriority("JOBDIR"))

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        spider.source = sources_for_crawl(spider.archive_arg, spider.dialect_arg, s)[0]
        if spider.source.client.dialect == "cc":
            raise ValueError("discovery reads a Wayback archive's homepage captures: give a Wayback "
                             "archive first (Common Crawl can be a further --archive)")
        spider.archive = spider.source.client
        spider.request_headers = spider.source.headers(user_agent_headers(s))
        spider.out = Path(spider.out_arg or s["PALIMPSEST_OUT"])
        spider.threshold = s.getfloat("PALIMPSEST_POLICY_THRESHOLD")
        return spider

    def _request(self, target: str, callback, slot: str, **meta) -> scrapy.Request:
        return scrapy.Request(target, callback=callback, errback=self.failed, dont_filter=True,
                              headers=self.request_headers,
                              meta={**self.source.meta(slot),
                                    "handle_httpstatus_all": True, "dont_redirect": True, **meta})

    async def start(self):
        seeds, errors = read_seeds(self.seeds_path)
        for err in errors:
            logger.error("Bad seed line: %s", err)
        for seed in seeds:
            home = f"{urlsplit(seed.url).scheme}://{urlsplit(seed.url).netloc}/"
            yield self.cdx_request(home, self.parse_home_cdx, seed.site)

    # -- homepages ------------------------------------------------------------------------------
    def cdx_request(self, url: str, callback, site: str, resume_key: str | None = None,
                    rows: tuple[CdxRecord, ...] = (), full: bool = False,
                    pages: int = 1) -> scrapy.Request:
        """A CDX query for one capture a day of ``url`` (IA) or every capture (pywb; and a policy
        URL's whole listing when it is handed to the history crawl)."""
        daily = not full
        return self._request(self.archive.cdx_url(url, self.from_ts, self.to_ts, resume_key,
                                                  daily=daily),
                             callback, "cdx", site=site, url=url, cdx_rows=rows, cdx_full=full,
                             cdx_pages=pages)

    def _records(self, response: Response):
        """The rows of a CDX query once all its pages are in; while pages remain, yields the next
        page's request and returns None. An unusable answer counts as no rows (logged)."""
        if response.status != 200:
            logger.error("CDX query %s answered HTTP %s", response.url, response.status)
            return []
        try:
            page = self.archive.parse_cdx(response.body)
        except CdxFormatError as exc:
            logger.error("unreadable CDX answer for %s: %s", response.meta["url"], exc)
            return []
        rows = response.meta["cdx_rows"] + tuple(page.records)
        if page.resume_key:
            yield self.cdx_request(response.meta["url"], response.request.callback, response.meta["site"],
                                   page.resume_key, rows, response.meta.get("cdx_full", False),
                                   response.meta.get("cdx_pages", 1) + 1)
            return None
        return dedupe_records(list(rows))

    def parse_home_cdx(self, response: Response):
        site, home = response.meta["site"], response.meta["url"]
        records = yield from self._records(response)
        if records is None:  # the next page is on its way
            return
        stamps = [r.timestamp for r in records]
        first = self.from_ts or (min(stamps) if stamps else None)
        last = self.to_ts or (max(stamps) if stamps else None)
        if not first:
            self.rows.append(Row(site, "", "", "", "", homepage_url=home,
                                 reason="no homepage capture at all"))
            return
        for label, start, middle, end in intervals(first, last, self.months):
            row = Row(site, label, start, middle, end, homepage_url=home)
            self.rows.append(row)
            cap = nearest(records, middle, start, end)
            if cap is None:
                row.reason = "no homepage capture in this interval"
                continue
            yield from self.fetch(cap, "home", row, self.parse_home)

    def fetch(self, cap: CdxRecord, kind: str, row: Row, callback, hops: int = 0,
              record: CdxRecord | None = None):
        """Fetch a capture once per (kind, payload) and hand its result to every row waiting."""
        key = (kind, cap.payload_key if not cap.is_revisit else f"revisit:{cap.digest}")
        if key in self.payloads:
            entry = self.payloads[key]
            if isinstance(entry, list):
                entry.append(row)
            else:  # already done: apply the stored result (it may try the row's next link)
                yield from _requests(entry(row))
            return
        self.payloads[key] = [row]
        yield self._request(self.archive.snapshot_url(cap.timestamp, cap.url), callback, "snapshot",
                            key=key, capture=(cap.timestamp, cap.url), hops=hops, record=record)

    def _settle(self, key, apply) -> list[scrapy.Request]:
        """Apply a fetch's result to every row waiting for it (and to the rows that ask for the
        same payload later); returns the requests of the rows that go on to their next link."""
        waiting = self.payloads.get(key, [])
        self.payloads[key] = apply
        requests: list[scrapy.Request] = []
        for row in waiting if isinstance(waiting, list) else []:
            requests += _requests(apply(row))
        return requests

    def next_link(self, row: Row, why: str) -> list[scrapy.Request] | None:
        """The row's next link tried, when it has one (its requests returned), because of
        ``why``; None when none is left."""
        if not row.untried:
            return None
        tried, row.link = row.link, row.untried.pop(0)
        logger.info("%s (%s): %s: %s; trying %s next", row.site, row.label,
                    tried.href if tried else row.policy_url, why, row.link.href)
        row.policy_url, row.policy_capture, row.probability = row.link.href, "", None
        row.status, row.reason = Found.NONE, ""
        return list(self.want_policy(row))

    def _followed(self, response: Response, callback, what: str):
        """Follow an archived redirect, or the archive's own redirect to another capture (yields
        the request and returns None); returns the snapshot outcome when it is a final answer."""
        ts, url = response.meta["capture"]
        outcome = self.archive.classify_snapshot(response.status, response.headers.to_unicode_dict(), ts)
        if outcome.kind not in (Answer.ARCHIVED_REDIRECT, Answer.ARCHIVE_REDIRECT) or not outcome.location:
            return outcome
        hops = response.meta["hops"] + 1
        if hops > MAX_HOPS:
            reason = f"{what} redirects more than {MAX_HOPS} times"
            self._settle(response.meta["key"], lambda row: setattr(row, "reason", reason))
            return None
        target, at = urljoin(url, outcome.location), outcome.location_timestamp or ts
        yield self._request(self.archive.snapshot_url(at, target), callback, "snapshot",
                            key=response.meta["key"], capture=(at, target), hops=hops)
        return None

    def _page(self, response: Response, callback, what: str, failed: str):
        """(HTML, URL, capture time) of an archived page once its redirects are followed; None
        while a redirect is followed or when the archive answered otherwise (the rows told)."""
        ts, url = response.meta["capture"]
        outcome = yield from self._followed(response, callback, what)
        if outcome is None:
            return None
        if outcome.kind != Answer.ARCHIVED or not 200 <= response.status < 300:
            reason = f"{failed} answered HTTP {response.status} ({outcome.kind})"
            self._settle(response.meta["key"], lambda row: setattr(row, "reason", reason))
            return None
        ctype = response.headers.get("Content-Type", b"").decode("latin-1") or None
        html, _ = decode_html(response.body, ctype)
        return html, url, outcome.memento_datetime or ts

    def parse_home(self, response: Response):
        key = response.meta["key"]
        page = yield from self._page(response, self.parse_home, "the homepage", "homepage capture")
        if page is None:
            return
        html, url, actual_ts = page
        text = page_text(html)
        links = find_policy_links(html, url, (self.archive.host,))
        hub = None if links else find_hub_link(html, url, (self.archive.host,))
        requests: list[scrapy.Request] = []

        def apply(row: Row) -> None:
            row.homepage_capture, row.homepage_url = actual_ts, url
            if is_parked(text):
                row.reason = "parked domain (the homepage is a domain-parking page)"
            elif links:
                requests.extend(self.try_links(row, links))
            elif hub:
                row.hub = hub
                requests.extend(self.want_listing(hub, row, self.hub_capture))
            else:
                row.reason = "no policy link on the homepage"

        self._settle(key, apply)
        yield from requests

    # -- legal hubs -----------------------------------------------------------------------------
    def try_links(self, row: Row, links: list[LinkCandidate]):
        """The best of a page's policy links asked for, the next ones kept for :meth:`next_link`."""
        row.link, row.untried = links[0], list(links[1:MAX_LINKS_TRIED])
        row.policy_url = links[0].href
        yield from self.want_policy(row)

    def hub_capture(self, row: Row, records: list[CdxRecord]):
        cap = nearest(records, row.middle, row.start, row.end)
        if cap is None:
            row.reason = f"no policy link on the homepage; no capture of its legal page {row.hub} in this interval"
            return
        yield from self.fetch(cap, "hub", row, self.parse_hub)

    def parse_hub(self, response: Response):
        page = yield from self._page(response, self.parse_hub, "the legal page",
                                     "no policy link on the homepage; its legal page")
        if page is None:
            return
        html, url, _ = page
        links = find_policy_links(html, url, (self.archive.host,))

        def apply(row: Row):
            if not links:
                row.reason = f"no policy link on the homepage or its legal page {url}"
                return None
            logger.info("%s (%s): no policy link on the homepage; its legal page %s links %s",
                        row.site, row.label, url, links[0].href)
            return list(self.try_links(row, links))

        yield from self._settle(response.meta["key"], apply)

    # -- policies -------------------------------------------------------------------------------
    def want_policy(self, row: Row):
        yield from self.want_listing(row.policy_url, row, self.policy_capture)

    def want_listing(self, url: str, row: Row, then):
        """The CDX listing of a policy URL or a legal page, asked once per URL; ``then(row,
        records)`` once it is in."""
        entry = self.policies.get(url)
        if entry is None:
            self.policies[url] = PolicyURL(waiting=[(row, then)])
            yield self.cdx_request(url, self.parse_policy_cdx, row.site, full=self.handoff)
        elif entry.records is None:
            entry.waiting.append((row, then))
        else:
            yield from then(row, entry.records)

    def parse_policy_cdx(self, response: Response):
        records = yield from self._records(response)
        if records is None:  # the next page is on its way
            return
        entry = self.policies[response.meta["url"]]
        entry.records = records
        # a listing of one page can be handed over whole (a longer one may miss a capture at a
        # page edge: the history crawl asks it again with its own page-edge rule)
        entry.complete = self.handoff and response.meta.get("cdx_pages", 1) == 1 and \
            response.status == 200
        waiting, entry.waiting = entry.waiting, []
        for row, then in waiting:
            yield from then(row, entry.records)

    def policy_capture(self, row: Row, records: list[CdxRecord]):
        cap = nearest(records, row.middle, row.start, row.end)
        if cap is None:
            why = "no capture of the policy URL in this interval"
            more = self.next_link(row, why)
            if more is None:
                row.reason = why
            yield from more or ()
            return
        yield from self.fetch(cap, "policy", row, self.parse_policy, record=cap)

    def parse_policy(self, response: Response):
        key = response.meta["key"]
        ts, url = response.meta["capture"]
        outcome = yield from self._followed(response, self.parse_policy, "the policy link")
        if outcome is None:
            return
        actual_ts = outcome.memento_datetime or ts
        if outcome.kind != Answer.ARCHIVED or not 200 <= response.status < 300:
            reason = f"policy capture answered HTTP {response.status} ({outcome.kind})"

            def unanswered(row: Row):
                more = self.next_link(row, reason)
                if more is None:
                    row.policy_capture, row.reason = actual_ts, reason
                return more

            yield from self._settle(key, unanswered)
            return
        ctype = response.headers.get("Content-Type", b"").decode("latin-1") or None
        extracted = extract_policy(response.body, ctype, url)
        text = extracted.markdown
        record = response.meta.get("record")
        if self.handoff and record is not None and response.meta.get("hops", 0) == 0 and text:
            digest_ok = (payload_digest(response.body) == record.digest) if record.digest else None
            if digest_ok is not False:  # a mismatch is left to the history crawl's re-ask rule
                self.fetched_policies.setdefault(url, []).append(
                    (record, extracted, digest_ok))
        verdict = classify(text, extracted.title) if text else None
        p = verdict.probability if verdict else 0.0
        if not text:
            reason = f"no text in the policy page ({extracted.reason})"
        elif is_parked(text):
            reason = "the policy link leads to a parked-domain page"
        elif is_soft_404(text, extracted.title):
            reason = "the policy link leads to a 'page not found' page"
        else:
            reason = None  # the classifier's, with the row's link: see apply

        def apply(row: Row):
            why = reason
            if why is None:  # a page is not dropped for a wrong guess of its kind (accept_policy)
                ok, note = accept_policy(p, self.threshold, row.link, extracted.title, text)
                why = "" if ok else (f"not a privacy policy (classifier: {verdict.kind}, p {p:.2f} < "
                                     f"{self.threshold:.2f})")
                if note:
                    logger.info("%s: %s accepted as the privacy policy: %s", row.site, url, note)
            if why:
                more = self.next_link(row, why)
                if more is not None:
                    return more
            row.policy_capture, row.probability = actual_ts, p
            row.policy_url = url  # the capture fetched, after its redirects
            row.status, row.reason = (Found.FOUND, "") if not why else (Found.REJECTED, why)
            return None

        yield from self._settle(key, apply)

    def failed(self, failure):
        req = failure.request
        logger.error("%s failed: %s (re-run to retry)", req.url, failure.getErrorMessage())
        key = req.meta.get("key")
        if key:
            self._settle(key, lambda row: setattr(row, "reason", f"request failed: {failure.getErrorMessage()}"))

    def hand_off(self) -> dict:
        """Write the found policy URLs' CDX rows and fetched payloads into the corpus in OUT, so
        the history crawl neither lists nor fetches them again. Returns what was handed over."""
        found = {(r.site, r.policy_url) for r in self.rows if r.status == Found.FOUND}
        handed = {"urls": 0, "captures": 0, "payloads": 0}
        if not found:
            return handed
        store = Recorder(CorpusStore(self.out))
        try:
            for site, url in sorted(found):
                entry = self.policies.get(url)
                if entry is None or not entry.complete:
                    continue
                store.add_seed(site, url)
                planned, new = store.plan_captures(site, url, entry.records)
                handed["captures"] += len(new)
                store.cdx_checked(site, url, max((r.timestamp for r in entry.records), default=None),
                                  self.source.id)
                handed["urls"] += 1
                keys = {(p.record.timestamp, p.record.url, p.record.digest): p.payload_key
                        for p in planned}
                for rec, extracted, digest_ok in self.fetched_policies.get(url, []):
                    key = keys.get((rec.timestamp, rec.url, rec.digest))
                    if key is None or store.fetched_keys([key]):
                        continue
                    store.record_fetch(Fetch(key, rec.timestamp, rec.url, rec.status, rec.digest,
                                             Outcome.TEXT, http_status=200,
                                             text_hash=extracted.text_hash, digest_ok=digest_ok,
                                             extracted=extracted, sites=(site,),
                                             archive=self.source.id))
                    handed["payloads"] += 1
        finally:
            store.close()
        return handed

    def closed(self, reason):
        self.finish_reason = reason
        handed = self.hand_off() if self.handoff and reason == "finished" else None
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=FIELDS, lineterminator="\n")
        w.writeheader()
        for row in sorted(self.rows, key=lambda r: (r.site, r.start)):
            w.writerow(row.csv_row())
        self.out.mkdir(parents=True, exist_ok=True)
        atomic_write(self.out / "discovered.csv", buf.getvalue())
        stats = self.crawler.stats
        figures = {"finish_reason": reason, "rows": len(self.rows),
                   "found": sum(r.status == Found.FOUND for r in self.rows),
                   "cdx_requests": stats.get_value("palimpsest/requests/cdx", 0),
                   "snapshot_requests": stats.get_value("palimpsest/requests/snapshot", 0)}
        if handed is not None:
            figures["handed_to_history"] = handed
        write_json(self.out / "discover_run.json", figures)
        found = figures["found"]
        logger.info("discovery: %d interval rows, %d with a policy; written to %s", len(self.rows),
                    found, self.out / "discovered.csv")


def _requests(result) -> list:
    """The requests an apply function returned (a list), or none (it returned anything else)."""
    return result if isinstance(result, list) else []


def discovered_seeds(out: Path) -> str:
    """A seed CSV (site,url) of every policy URL discovery found, for the history crawl."""
    seen, lines = set(), ["site,url"]
    with open(out / "discovered.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["status"] == Found.FOUND and (row["site"], row["policy_url"]) not in seen:
                seen.add((row["site"], row["policy_url"]))
                lines.append(f"{row['site']},\"{row['policy_url']}\"")
    return "\n".join(lines) + "\n"
