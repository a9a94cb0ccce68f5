"""The commands that crawl: ``crawl`` (one process, ``--discover``, ``--distributed``),
``discover``, ``worker``, ``watch`` and ``demo``. Each one checks its values
(:mod:`crawler.cli.parse`), runs Scrapy in this process and prints what the run's
:class:`~crawler.components.progress.RunSummary` says (:mod:`crawler.cli.show`)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from twisted.internet import defer

from crawler.cli.parse import (UsageError, check_archive, check_out, check_run_options,
                               check_seed_file, check_settings, crawl_exit_code, settings_from_args)
from crawler.cli.show import cmd_changes, failed_sites_lines, print_discovery, print_summary
from crawler.components.gate import share_gate
from crawler.components.progress import ProgressReporter
from crawler.components.summary import RunSummary
from crawler.demo import sample_seeds, write_sample_archive
from crawler.demo.pywb import PywbServer, find_wayback, make_collection
from crawler.spiders.discover import discovered_seeds
from pipelines.corpus.store import CorpusStore
from pipelines.publish.report import write_report

# What `palimpsest` prints instead of Scrapy's own start-up and closing chatter (the settings,
# the middleware lists, the stats dump, "Crawled 0 pages" lines): its progress lines and summary.
# `scrapy crawl` users keep Scrapy's defaults; -s STATS_DUMP=True etc. bring them back here.
CLI_DEFAULTS = {"STATS_DUMP": False, "LOGSTATS_INTERVAL": 0}
_CHATTY_LOGGERS = ("scrapy.utils.log", "scrapy.addons", "scrapy.middleware", "scrapy.crawler")


def _warnings_only(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING


def project_settings(overrides: dict | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for key, value in {**CLI_DEFAULTS, **(overrides or {})}.items():
        settings.set(key, value, priority="cmdline")
    return settings


def crawler_process(settings: Settings) -> CrawlerProcess:
    if str(settings["LOG_LEVEL"]).upper() != "DEBUG":
        for name in _CHATTY_LOGGERS:  # a filter, not a level: Scrapy's logging set-up resets levels
            logger = logging.getLogger(name)
            if _warnings_only not in logger.filters:
                logger.addFilter(_warnings_only)
    return CrawlerProcess(settings, install_root_handler=True)


def _summary(crawler) -> RunSummary:
    """The summary the crawl's progress extension made when the spider closed."""
    reporter = crawler.get_extension(ProgressReporter)
    return reporter.summary or RunSummary(finish_reason=crawler.stats.get_value("finish_reason"))


def run_crawl(seeds: str, out: str, archive: str | list[str] = "ia", date_from: str | None = None,
              date_to: str | None = None, every: str | None = None,
              settings: dict | None = None) -> RunSummary:
    """Run the history spider in this process and return the run summary (also in
    OUT/last_run.json)."""
    # The archive goes to the spider as an argument, not a setting: Scrapy logs settings, and an
    # archive URL may hold credentials.
    s = project_settings({"PALIMPSEST_OUT": out, **(settings or {})})
    process = crawler_process(s)
    archives = archive if isinstance(archive, list) else [archive]
    kwargs = {"seeds": seeds or None, "out": out, "archive": " ".join(archives)}
    if date_from:
        kwargs["from"] = date_from
    if date_to:
        kwargs["to"] = date_to
    if every:
        kwargs["every"] = every
    crawler = process.create_crawler("history")
    process.crawl(crawler, **kwargs)
    process.start()
    return _summary(crawler)


def distributed_settings(redis_url: str, job: str, role: str) -> dict:
    """Scrapy settings of a worker (or the coordinator) of a distributed job on scrapy-redis."""
    return {
        "PALIMPSEST_DISTRIBUTED": True, "REDIS_URL": redis_url, "PALIMPSEST_JOB": job,
        "PALIMPSEST_ROLE": role, "PALIMPSEST_RATE_GATE": "redis",
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "SCHEDULER_QUEUE_CLASS": "crawler.distributed.queue.ReliableQueue",
        "SCHEDULER_QUEUE_KEY": f"palimpsest:{job}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"palimpsest:{job}:dupefilter",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,
        "SPIDER_MIDDLEWARES": {"crawler.distributed.queue.LeaseMiddleware": 10},
        "EXTENSIONS": {"crawler.components.progress.ProgressReporter": 500,
                       "crawler.distributed.lifecycle.JobLifecycle": 600},
    }


def _redis_url(args) -> str:
    url = getattr(args, "redis", None) or os.environ.get("REDIS_URL")
    if not url:
        raise SystemExit("palimpsest: a distributed crawl needs Redis: set REDIS_URL=redis://host:6379/0 "
                         "or pass --redis")
    return url


def run_discovery(seeds: str, out: str, archive: str, date_from: str | None, date_to: str | None,
                  every: str | None, settings: dict, then_history: bool = False) -> RunSummary:
    """Run the discover spider (and, if asked, the history crawl of what it found) in-process;
    the history crawl's summary, or one that says how discovery finished."""
    started = time.time()
    if then_history:  # CDX listings discovery hands over are not asked again by the history crawl
        settings = {**settings, "PALIMPSEST_CDX_FRESH_SINCE": started}
    s = project_settings({"PALIMPSEST_OUT": out, **settings})
    process = crawler_process(s)
    archives = archive if isinstance(archive, list) else [archive]
    # discovery reads the first archive; the history crawl of what it found reads them all
    kwargs = {"seeds": seeds, "out": out, "archive": archives[0], "every": every or "6m"}
    if date_from:
        kwargs["from"] = date_from
    if date_to:
        kwargs["to"] = date_to

    outcome: dict = {}

    @defer.inlineCallbacks
    def both():
        crawler = process.create_crawler("discover")
        yield process.crawl(crawler, **kwargs, **({"handoff": "1"} if then_history else {}))
        outcome["discover"] = crawler.stats.get_value("finish_reason")
        if then_history and outcome["discover"] == "finished":
            seeds_path = Path(out) / "discovered-seeds.csv"
            seeds_path.write_text(discovered_seeds(Path(out)), encoding="utf-8")
            history = {k: v for k, v in kwargs.items() if k != "every"}
            history["seeds"] = str(seeds_path)
            history["archive"] = " ".join(archives)
            if every:
                history["every"] = every
            history_crawler = process.create_crawler("history")
            share_gate(crawler, history_crawler)  # one archive, one set of limits
            outcome["history"] = history_crawler
            yield process.crawl(history_crawler, **history)

    both()
    process.start()
    if "history" in outcome:
        return _summary(outcome["history"])
    return RunSummary(finish_reason=outcome.get("discover"))


def cmd_crawl(args) -> int:
    seeds_path = Path(args.seeds)
    check_run_options(args)
    settings = settings_from_args(args)
    args.archive = args.archive or ["ia"]
    if "ia" in args.archive and not args.contact:
        print("palimpsest: tip: pass --contact EMAIL so the Internet Archive can reach you "
              "(it goes in the User-Agent)", file=sys.stderr)
    if getattr(args, "discover", False):
        if args.distributed:
            print("palimpsest: --discover and --distributed cannot be combined yet: run "
                  "`palimpsest discover` first, then a distributed crawl of OUT/discovered-seeds.csv",
                  file=sys.stderr)
            return 2
        summary = run_discovery(str(seeds_path), args.out, args.archive, args.date_from,
                                args.date_to, args.every, settings, then_history=True)
        print_discovery(args.out)
        print_summary(summary, args.out)
        return crawl_exit_code(summary)
    if args.distributed:
        job = args.job or Path(args.out).resolve().name
        url = _redis_url(args)
        config = {"archive": args.archive, "dialect": args.dialect, "from": args.date_from,
                  "to": args.date_to, "every": args.every, "settings": settings}
        import redis  # only a distributed crawl needs it (and loads it)

        try:
            redis.Redis.from_url(url).set(f"palimpsest:{job}:config", json.dumps(config))
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, ValueError) as exc:
            raise UsageError(f"--redis {url!r}: cannot reach Redis ({exc})") from None
        settings.update(distributed_settings(url, job, "coordinator"))
        print(f"palimpsest: distributed job {job!r} on {url}; start more workers with "
              f"`REDIS_URL={url} palimpsest worker --job {job}`", file=sys.stderr)
    summary = run_crawl(str(seeds_path), args.out, args.archive, args.date_from, args.date_to,
                        args.every, settings)
    print_summary(summary, args.out)
    return crawl_exit_code(summary)


def cmd_discover(args) -> int:
    args.archive = args.archive or ["ia"]
    check_run_options(args)
    settings = settings_from_args(args)
    result = run_discovery(args.seeds, args.out, args.archive, args.date_from, args.date_to,
                           args.every, settings)
    print_discovery(args.out)
    return 0 if result.finish_reason == "finished" else 1


def cmd_worker(args) -> int:
    import redis

    url = _redis_url(args)
    server = redis.Redis.from_url(url)
    deadline = time.time() + args.wait
    try:
        raw = server.get(f"palimpsest:{args.job}:config")
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        raise UsageError(f"--redis {url!r}: cannot reach Redis ({exc})") from None
    while raw is None and time.time() < deadline:  # the coordinator may not have started yet
        time.sleep(0.5)
        raw = server.get(f"palimpsest:{args.job}:config")
    if raw is None:
        print(f"palimpsest: no job {args.job!r} in {url}: start it with "
              "`palimpsest crawl SEEDS --out OUT --distributed`", file=sys.stderr)
        return 2
    config = json.loads(raw)
    settings = {**config.get("settings", {}), **distributed_settings(url, args.job, "worker")}
    if os.environ.get("PALIMPSEST_RATE_GROUP"):  # this machine leaves through its own IP
        settings["PALIMPSEST_RATE_GROUP"] = os.environ["PALIMPSEST_RATE_GROUP"]
    if config.get("dialect"):
        settings["PALIMPSEST_ARCHIVE_DIALECT"] = config["dialect"]
    if args.quiet:
        settings["LOG_LEVEL"] = "WARNING"
    with tempfile.TemporaryDirectory(prefix="palimpsest-worker-") as tmp:
        summary = run_crawl("", tmp, config["archive"], config.get("from"), config.get("to"),
                            config.get("every"), settings)
    print(f"worker finished ({summary.finish_reason}): {summary.snapshot_requests} "
          f"snapshots, {summary.cdx_requests} CDX requests", file=sys.stderr)
    return crawl_exit_code(summary)


def cmd_demo(args) -> int:
    wayback = find_wayback(install=True)
    out = Path(args.out)
    with tempfile.TemporaryDirectory(prefix="palimpsest-demo-") as tmp:
        root = Path(tmp)
        warc = write_sample_archive(root / "sample.warc.gz")
        make_collection(root / "archive", "sample", [warc], wayback)
        seeds = sample_seeds(root / "sites.csv")
        with PywbServer(root / "archive", wayback) as server:
            archive = f"{server.url}/sample"
            print(f"Demo archive: pywb at {archive} with {warc.name}", file=sys.stderr)
            settings = {"PALIMPSEST_CDX_PER_MINUTE": 0, "PALIMPSEST_SNAPSHOTS_PER_SECOND": 0,
                        "PALIMPSEST_PROGRESS_INTERVAL": 0, "LOG_LEVEL": "WARNING"}
            summary = run_crawl(str(seeds), str(out), archive, settings=settings)
    print_summary(summary, str(out))
    print("\nVersions written:", file=sys.stderr)
    for f in sorted((out / "policies").rglob("*.md")):
        print(f"  {f.relative_to(out)}", file=sys.stderr)
    store = CorpusStore(out)
    index = write_report(store)
    store.close()
    print(f"\nChanges ({out / 'changes.csv'}):", file=sys.stderr)
    cmd_changes(argparse.Namespace(out=str(out), site=None, since=None, kind=None))
    print(f"\nHTML report: {index}\nNext: palimpsest diff {out} acme-books.example", file=sys.stderr)
    return 0 if summary.finish_reason == "finished" else 1


def cmd_watch(args) -> int:
    check_out(args.out)
    check_seed_file(args.seeds)
    settings = check_settings(args.set)
    settings["PALIMPSEST_OUT"] = args.out
    if args.contact:
        settings["PALIMPSEST_CONTACT"] = args.contact
    if args.save_api:
        check_archive(args.save_api.rsplit("/save", 1)[0] if "/save" in args.save_api else args.save_api)
        settings["PALIMPSEST_SAVE_API"] = args.save_api
    settings["PALIMPSEST_SAVE"] = args.save
    if args.quiet:
        settings["LOG_LEVEL"] = "WARNING"
    process = crawler_process(project_settings(settings))
    crawler = process.create_crawler("watch")
    process.crawl(crawler, seeds=args.seeds, out=args.out)
    process.start()
    summary = _summary(crawler)
    print(f"watch finished ({summary.finish_reason or '?'}): {summary.live_checked} "
          f"live checks, {summary.live_changed} changed, {summary.live_unchanged} "
          f"unchanged, {summary.live_saved} saved to the Wayback Machine, "
          f"{summary.live_save_failed} saves failed (asked again next run), "
          f"{summary.errors} errors", file=sys.stderr)
    for line in failed_sites_lines(summary):
        print(line, file=sys.stderr)
    return crawl_exit_code(summary)
