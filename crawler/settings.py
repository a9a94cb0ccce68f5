"""Scrapy settings for Palimpsest. Every PALIMPSEST_* setting can be given with ``-s`` or the CLI."""

BOT_NAME = "palimpsest"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# -- The archive -----------------------------------------------------------------------------
# 'ia' (the Internet Archive) or the base URL of a pywb/OpenWayback collection,
# e.g. http://127.0.0.1:8080/my-coll. The dialect is guessed from the host; force it with
# PALIMPSEST_ARCHIVE_DIALECT = 'ia' | 'pywb'.
PALIMPSEST_ARCHIVE = "ia"
PALIMPSEST_ARCHIVE_DIALECT = None
PALIMPSEST_OUT = "output/run"
PALIMPSEST_CONTACT = ""  # an e-mail or URL put in the User-Agent so the archive can reach you
PALIMPSEST_CDX_PAGE_SIZE = 10000  # rows per CDX answer (IA pages with resumeKey)
PALIMPSEST_MAX_REDIRECT_HOPS = 3  # archived 301/302 of a policy URL followed this deep
# Common Crawl: an index's page 0 with this many lines for one URL may have more pages
# (showNumPages=true is asked then, and pages 1..N-1)
PALIMPSEST_CC_PAGE_CHECK = 1000

# -- Politeness (the Internet Archive's advised limits; raise them only for your own archive) --
PALIMPSEST_CDX_PER_MINUTE = 24
PALIMPSEST_SNAPSHOTS_PER_SECOND = 8
PALIMPSEST_429_PAUSE = 60  # seconds the whole slot pauses on a 429, doubling while 429s go on
PALIMPSEST_429_PAUSE_MAX = 960
PALIMPSEST_REFUSED_PAUSE = 3600  # connection refused = blocked IP: the archive blocks for an hour
# Whether a refused connection is an IP block (pause PALIMPSEST_REFUSED_PAUSE) or means nothing
# listens (PALIMPSEST_REFUSED_RETRIES quick retries, then the archive counts as unreachable):
# 'auto' = a block only on web.archive.org; 'true' / 'false' force it.
PALIMPSEST_REFUSED_IS_BLOCK = "auto"
PALIMPSEST_REFUSED_RETRIES = 2
PALIMPSEST_BLOCKED_RECHECK_DAYS = 30
# Set by `crawl --discover` (epoch seconds): URLs whose CDX listing was stored since then (by
# discovery) are not queried again by the history crawl. 0 = always query.
PALIMPSEST_CDX_FRESH_SINCE = 0  # a URL the archive blocks is asked about again after this
PALIMPSEST_MAX_429_RETRIES = 30  # a request answered 429 this many times in a row is given up
PALIMPSEST_RETRY_TIMES = 5  # for 5xx/504 and transport errors
PALIMPSEST_RETRY_DELAY = 20  # seconds before the first retry, doubling each time
# Distributed crawls: workers with the same rate group share one limit held in Redis. Give
# workers that leave through different IPs different groups (e.g. the machine's public IP).
PALIMPSEST_RATE_GROUP = "default"
# Set by `crawl --distributed` and `worker` (crawler.cli.run.distributed_settings), not by hand:
PALIMPSEST_DISTRIBUTED = False  # the crawl is shared through Redis
PALIMPSEST_JOB = None  # the distributed job's name
PALIMPSEST_ROLE = None  # 'coordinator' | 'worker'
PALIMPSEST_RATE_GATE = "memory"  # 'memory' (the crawl's own gate) | 'redis' (one gate for all workers)
REDIS_URL = None  # redis://host:6379/0 of a distributed job (--redis or $REDIS_URL)

# -- Discovery ------------------------------------------------------------------------------------
PALIMPSEST_POLICY_THRESHOLD = 0.5  # classifier probability above which a page is a privacy policy

# -- Snapshots (OUT/snapshots/*.warc.gz: what was fetched, for reextract and pywb) -------------
PALIMPSEST_SNAPSHOTS = True
PALIMPSEST_SNAPSHOT_MAX_BYTES = 1_000_000_000  # a WARC file is closed past this size

# -- Live watch (palimpsest watch) and Save Page Now ---------------------------------------------
PALIMPSEST_SAVE = True  # ask Save Page Now to archive a changed live policy (--no-save: off)
PALIMPSEST_SAVE_API = "https://web.archive.org/save/"  # --save-api: another Save Page Now endpoint
PALIMPSEST_SAVES_PER_MINUTE = 15  # Save Page Now's documented limit
PALIMPSEST_SAVE_TRIES = 3  # waybackpy's tries for one save
PALIMPSEST_SAVE_RETRY_DELAY = 5  # seconds between them
PALIMPSEST_SAVE_PAUSE_429 = 300  # after a 429, no save for this long (the rest wait for the next run)
PALIMPSEST_SAVE_TIMEOUT = 120  # seconds one save may take (Save Page Now can hang)

# -- Extraction -----------------------------------------------------------------------------------
PALIMPSEST_EXTRACT_WORKERS = None  # worker processes; None = CPU count, 0 = in the reactor
PALIMPSEST_EXTRACT_TIMEOUT = 300  # seconds one page may take before its worker is replaced
PALIMPSEST_MAX_PAGE_BYTES = 20_000_000
PALIMPSEST_PROGRESS_INTERVAL = 15  # seconds between progress lines

USER_AGENT = ("Palimpsest/0.1 (privacy-policy history research crawler; "
              "+https://github.com/palimpsest-crawler/palimpsest)")
ROBOTSTXT_OBEY = False  # we use the archive's APIs, not its pages
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # Scrapy 2.19's local HTTP control server: not needed here
RETRY_ENABLED = False  # crawler.components.middlewares.ArchiveRetryMiddleware does it, politely
REDIRECT_ENABLED = False  # archived redirects are data; the archive's own redirects are recorded
DOWNLOAD_TIMEOUT = 120
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 0
DOWNLOAD_DELAY = 0
CONCURRENT_REQUESTS = 16
# A callback yields one or two items: Scrapy's default (100) starts that many asyncio tasks per
# response for nothing (measured: ~8% of the crawl's time at 1000 sites).
CONCURRENT_ITEMS = 8
# Two slots per archive; their rates are enforced by crawler.archive.gates.RateGate at send time.
DOWNLOAD_SLOTS = {
    "wayback-cdx": {"concurrency": 1, "delay": 0, "jitter": 0},
    "wayback-snapshot": {"concurrency": 4, "delay": 0, "jitter": 0},
}
DOWNLOAD_HANDLERS = {
    "http": "crawler.components.handler.PoliteDownloadHandler",
    "https": "crawler.components.handler.PoliteDownloadHandler",
}
DOWNLOADER_MIDDLEWARES = {
    "crawler.components.middlewares.ArchiveOnlyMiddleware": 50,
    "crawler.components.middlewares.ArchiveRetryMiddleware": 550,
    "crawler.components.middlewares.PayloadDigestMiddleware": 950,
}
ITEM_PIPELINES = {
    "crawler.stages.snapshots.SnapshotPipeline": 250,  # keeps the fetched payloads (WARC) first
    "crawler.stages.extraction.ExtractionPipeline": 300,
    "crawler.stages.storage.StoragePipeline": 800,
}
EXTENSIONS = {
    "crawler.components.progress.ProgressReporter": 500,
}
# Scrapy parses a callback's source on every response to warn about `return value` in
# generators: its cache misses on bound methods, and it cost ~10% of the crawl process's CPU.
WARN_ON_GENERATOR_RETURN_VALUE = False
# Answers asked again from a callback go through scrapy's get_retry_request, which counts in
# meta['retry_times'] on purpose; every other downloader key is dropped (crawler.components.middlewares).
META_COPY_WARN_SKIP_KEYS = ["retry_times"]
LOG_LEVEL = "INFO"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
