"""The archives a crawl reads: known names with their documented limits, or any pywb/OpenWayback
collection URL, each one a typed :class:`ArchiveSpec`.

``--archive`` may be given several times; each value is

* a known name: ``ia`` (the Internet Archive), ``arquivo`` (Arquivo.pt), ``ukwa`` (the UK Web
  Archive), ``archive-it`` (Archive-It, all collections) or ``cc`` (Common Crawl);
* ``NAME=URL``: archive NAME read through URL (a mirror or a test server): a known name keeps its
  identity (its captures are named and linked as NAME's), another name labels a collection;
* a bare collection URL (``http://host:8080/my-coll``): named by its URL. The first archive of
  a crawl given by a bare URL is taken for a copy of the Internet Archive's captures (a mirror, a
  test collection), as a one-archive crawl always did: its captures link web.archive.org;
  any other links its own replay URL.

Nothing here does I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from crawler.archive.gates import ARCHIVE_META, GATE_META, RATE_META, SLOT_META, SLOW_DOWN_META
from pipelines.captures import IA_BASE
from pipelines.corpus.archives import ArchiveRow
from pipelines.seedformat import WAYBACK_PHRASE


# Connections per archive slot when its rate limit is lifted (--cdx-per-minute 0 /
# --snapshots-per-second 0): what bench/crawl.py measured best on a local pywb.
LIFTED_CONCURRENCY = {"cdx": 8, "snapshot": 16}


class ArchiveSpecError(ValueError):
    """An ``--archive`` value that names no archive."""


@dataclass(frozen=True)
class ArchiveSpec:
    id: str  # what captures record: 'ia', 'arquivo', 'cc', or the collection URL
    label: str  # for people
    base: str  # where it is read: the CDX server and replay (Common Crawl: the index server)
    dialect: str  # 'ia' | 'pywb' | 'cc'
    cdx_per_minute: float  # its documented limits (0 = none)
    snapshots_per_second: float
    phrase: str = WAYBACK_PHRASE  # a version header's link text
    link: str | None = None  # capture link template; None = the Wayback link
    cdx_path: str | None = None  # when its CDX API is not at the dialect's usual path
    replay_path: str | None = None  # when its replay is not at the dialect's usual path
    slow_down: tuple[int, ...] = ()  # statuses that mean 'slow down': pause like a 429
    data: str | None = None  # Common Crawl: where the WARC files are read
    named_limits: bool = False  # limits of its own (a known archive), not the crawl's defaults

    @property
    def slug(self) -> str:
        """A name for Scrapy slots and stats keys."""
        return re.sub(r"[^a-z0-9]+", "-", self.id.lower()).strip("-")[:60] or "archive"

    def row(self, rank: int) -> ArchiveRow:
        return ArchiveRow(self.id, self.label, self.phrase, self.link, rank)


CC_LINK = ("https://index.commoncrawl.org/{crawl}-index?url={url}&from={timestamp}&to={timestamp}"
           "&output=json")

KNOWN: dict[str, ArchiveSpec] = {
    # edgi's wayback client defaults: 24 CDX requests/min (IA's pool is ~30/min), 8 mementos/s
    "ia": ArchiveSpec("ia", "Internet Archive", IA_BASE, "ia", 24, 8),
    # Arquivo.pt documents 250 CDX requests and 400 Memento requests per 60 s, then 429 and a block
    "arquivo": ArchiveSpec("arquivo", "Arquivo.pt", "https://arquivo.pt/wayback", "pywb", 200, 5,
                           "original snapshot on Arquivo.pt",
                           "https://arquivo.pt/wayback/{timestamp}id_/{url}", named_limits=True),
    # no documented limit: the Internet Archive's
    "ukwa": ArchiveSpec("ukwa", "UK Web Archive", "https://www.webarchive.org.uk/wayback/archive",
                        "pywb", 24, 8, "original snapshot in the UK Web Archive",
                        "https://www.webarchive.org.uk/wayback/archive/{timestamp}id_/{url}",
                        named_limits=True),
    "archive-it": ArchiveSpec("archive-it", "Archive-It", "https://wayback.archive-it.org/all", "ia",
                              24, 8, "original snapshot on Archive-It",
                              "https://wayback.archive-it.org/all/{timestamp}id_/{url}",
                              cdx_path="/timemap/cdx", replay_path="", named_limits=True),
    # about 1 index request/s is polite (cdx_toolkit: 1 s on the index, 0.55 s on data); 503 = slow down
    "cc": ArchiveSpec("cc", "Common Crawl", "https://index.commoncrawl.org", "cc", 60, 1.8,
                      "original capture in Common Crawl", CC_LINK, slow_down=(503,),
                      data="https://data.commoncrawl.org", named_limits=True),
}


def _url_ok(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _redacted(url: str) -> str:
    parts = urlsplit(url.rstrip("/"))
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    return f"{parts.scheme}://{host}{parts.path}"


def parse_archive(value: str, first: bool = True) -> ArchiveSpec:
    """One ``--archive`` value as an :class:`ArchiveSpec` (see the module's docstring)."""
    value = (value or "").strip()
    if value in KNOWN:
        return KNOWN[value]
    name, sep, url = value.partition("=")
    if sep and not _url_ok(name) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        if not _url_ok(url):
            raise ArchiveSpecError(f"--archive {name}=URL needs an http(s) URL, got {url!r}")
        url = url.rstrip("/")
        known = KNOWN.get(name)
        if known is not None:  # a mirror of a known archive: its identity, read elsewhere
            data = url if known.dialect == "cc" else None
            return replace(known, base=url, data=data)
        return ArchiveSpec(name, name, url, "ia" if urlsplit(url).hostname == "web.archive.org"
                           else "pywb", KNOWN["ia"].cdx_per_minute, KNOWN["ia"].snapshots_per_second,
                           f"original snapshot in {name}", url + "/{timestamp}id_/{url}")
    if not _url_ok(value):
        raise ArchiveSpecError(f"--archive takes {', '.join(KNOWN)}, NAME=URL or an http(s) "
                               f"collection URL, got {value!r}")
    url = value.rstrip("/")
    if urlsplit(url).hostname == "web.archive.org":
        return replace(KNOWN["ia"], base=url)
    ident = _redacted(url)
    shown = ident.split("://", 1)[1]
    if first:  # a one-archive crawl's copy of the Internet Archive's captures
        return ArchiveSpec(ident, shown, url, "pywb", KNOWN["ia"].cdx_per_minute,
                           KNOWN["ia"].snapshots_per_second)
    return ArchiveSpec(ident, shown, url, "pywb", KNOWN["ia"].cdx_per_minute,
                       KNOWN["ia"].snapshots_per_second, f"original snapshot in the archive at {shown}",
                       url + "/{timestamp}id_/{url}")


def parse_archives(values: list[str] | str | None) -> list[ArchiveSpec]:
    """Every ``--archive`` value, in order, each archive once ('ia' when none is given)."""
    if isinstance(values, str):  # a spider argument: -a archive="ia arquivo cc"
        values = [v for v in re.split(r"[\s,]+", values) if v]
    specs: list[ArchiveSpec] = []
    for v in values or ["ia"]:
        spec = parse_archive(v, first=not specs)
        if spec.id in {s.id for s in specs}:
            raise ArchiveSpecError(f"--archive {v!r}: that archive is given twice")
        specs.append(spec)
    return specs


def with_limits(spec: ArchiveSpec, cdx_per_minute: float | None, snapshots_per_second: float | None
                ) -> ArchiveSpec:
    """The archive with the crawl's rates: ``--cdx-per-minute``/``--snapshots-per-second`` given
    on the command line set every archive's; otherwise a known archive keeps its documented
    limits and a collection URL takes the crawl's defaults (the Internet Archive's)."""
    cdx, snap = spec.cdx_per_minute, spec.snapshots_per_second
    if cdx_per_minute is not None:
        cdx = cdx_per_minute
    if snapshots_per_second is not None:
        snap = snapshots_per_second
    return replace(spec, cdx_per_minute=cdx, snapshots_per_second=snap)


@dataclass
class Source:
    """One archive of a crawl: its spec, the client that speaks its API, and its place."""

    spec: ArchiveSpec
    client: object  # crawler.archive.client.Archive | crawler.archive.commoncrawl.CommonCrawl
    rank: int

    @property
    def id(self) -> str:
        return self.spec.id

    def slot(self, kind: str) -> str:
        """The Scrapy download slot of its CDX or snapshot requests (the crawl's first archive
        keeps the slot names a one-archive crawl always had)."""
        return f"wayback-{kind}" if self.rank == 0 else f"{self.spec.slug}-{kind}"

    def rate(self, kind: str) -> float:
        """Requests per second allowed on its CDX or snapshot slot (0 = no limit)."""
        return self.spec.cdx_per_minute / 60.0 if kind == "cdx" else self.spec.snapshots_per_second

    def meta(self, kind: str) -> dict:
        """What a request to it carries: its slot, its gate (its own budget and pauses, shared
        by the crawls chained in one process), its rate and what it answers for 'slow down'."""
        meta = {SLOT_META: kind, "download_slot": self.slot(kind), ARCHIVE_META: self.id,
                GATE_META: f"{self.spec.slug}/{kind}", RATE_META: self.rate(kind)}
        if self.spec.slow_down:
            meta[SLOW_DOWN_META] = self.spec.slow_down
        return meta

    def headers(self, base: dict) -> dict:
        auth = getattr(self.client, "authorization", None)
        return {**base, "Authorization": auth} if auth else base


def user_agent_headers(settings) -> dict:
    """The headers every archive request carries: the User-Agent, with the contact."""
    contact = settings["PALIMPSEST_CONTACT"]
    return {"User-Agent": settings["USER_AGENT"] + (f" contact: {contact}" if contact else "")}


def sources_for_crawl(values, dialect: str | None, settings) -> list[Source]:
    """The crawl's archives (spider argument, else PALIMPSEST_ARCHIVE), with their clients and
    rates (see :func:`with_limits`)."""
    from crawler.archive.client import Archive
    from crawler.archive.commoncrawl import CommonCrawl

    values = values or settings.get("PALIMPSEST_ARCHIVE") or "ia"
    explicit = lambda name: (settings.getpriority(name) or 0) >= 40  # noqa: E731  cmdline or spider
    cdx = settings.getfloat("PALIMPSEST_CDX_PER_MINUTE")
    snap = settings.getfloat("PALIMPSEST_SNAPSHOTS_PER_SECOND")
    dialect = dialect or settings.get("PALIMPSEST_ARCHIVE_DIALECT")
    out = []
    for rank, spec in enumerate(parse_archives(values)):
        if spec.named_limits:
            spec = with_limits(spec, cdx if explicit("PALIMPSEST_CDX_PER_MINUTE") else None,
                               snap if explicit("PALIMPSEST_SNAPSHOTS_PER_SECOND") else None)
        else:
            spec = with_limits(spec, cdx, snap)
        if spec.dialect == "cc":
            client = CommonCrawl(spec.base, spec.data or spec.base, spec.id)
        else:
            if dialect and spec.id not in KNOWN:
                spec = replace(spec, dialect=dialect)
            client = Archive(spec.base, spec.dialect, settings.getint("PALIMPSEST_CDX_PAGE_SIZE"),
                             spec.cdx_path, spec.replay_path, spec.id)
        out.append(Source(spec, client, rank))
    return out
