"""The ``palimpsest`` command: crawl a policy history corpus, or run the offline demo."""

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

from crawler.options import (EXIT_SOME_FAILED, EXIT_USAGE, UsageError, check_archive, check_date,
                             check_every, check_out, check_range, check_seed_file, check_settings,
                             crawl_exit_code)
from scrapy.settings import Settings



# What `palimpsest` prints instead of Scrapy's own start-up and closing chatter (the settings,
# the middleware lists, the stats dump, "Crawled 0 pages" lines): its progress lines and summary.
# `scrapy crawl` users keep Scrapy's defaults; -s STATS_DUMP=True etc. bring them back here.
CLI_DEFAULTS = {"STATS_DUMP": False, "LOGSTATS_INTERVAL": 0}
_CHATTY_LOGGERS = ("scrapy.utils.log", "scrapy.addons", "scrapy.middleware", "scrapy.crawler")


# Connections per archive slot when its rate limit is lifted (--cdx-per-minute 0 /
# --snapshots-per-second 0): what bench/crawl.py measured best on a local pywb.
LIFTED_CONCURRENCY = {"cdx": 8, "snapshot": 16}


def _warnings_only(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING


def project_settings(overrides: dict | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for key, value in {**CLI_DEFAULTS, **(overrides or {})}.items():
        settings.set(key, value, priority="cmdline")
    return settings


def crawler_process(settings: Settings) -> CrawlerProcess:
    if str(settings.get("LOG_LEVEL", "INFO")).upper() != "DEBUG":
        for name in _CHATTY_LOGGERS:  # a filter, not a level: Scrapy's logging set-up resets levels
            logger = logging.getLogger(name)
            if _warnings_only not in logger.filters:
                logger.addFilter(_warnings_only)
    return CrawlerProcess(settings, install_root_handler=True)


def run_crawl(seeds: str, out: str, archive: str = "ia", date_from: str | None = None,
              date_to: str | None = None, every: str | None = None,
              settings: dict | None = None) -> dict:
    """Run the history spider in this process and return the run summary (OUT/last_run.json)."""
    # The archive goes to the spider as an argument, not a setting: Scrapy logs settings, and an
    # archive URL may hold credentials.
    s = project_settings({"PALIMPSEST_OUT": out, **(settings or {})})
    process = crawler_process(s)
    kwargs = {"seeds": seeds or None, "out": out, "archive": archive}
    if date_from:
        kwargs["from"] = date_from
    if date_to:
        kwargs["to"] = date_to
    if every:
        kwargs["every"] = every
    process.crawl("history", **kwargs)
    process.start()
    summary_path = Path(out) / "last_run.json"
    return json.loads(summary_path.read_text()) if summary_path.exists() else {}


def distributed_settings(redis_url: str, job: str, role: str) -> dict:
    """Scrapy settings of a worker (or the coordinator) of a distributed job on scrapy-redis."""
    return {
        "PALIMPSEST_DISTRIBUTED": True, "REDIS_URL": redis_url, "PALIMPSEST_JOB": job,
        "PALIMPSEST_ROLE": role, "PALIMPSEST_RATE_GATE": "redis",
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "SCHEDULER_QUEUE_CLASS": "crawler.distributed.ReliableQueue",
        "SCHEDULER_QUEUE_KEY": f"palimpsest:{job}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"palimpsest:{job}:dupefilter",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,
        "SPIDER_MIDDLEWARES": {"crawler.distributed.LeaseMiddleware": 10},
        "EXTENSIONS": {"crawler.progress.ProgressReporter": 500,
                       "crawler.distributed.JobLifecycle": 600},
    }


def _redis_url(args) -> str:
    import os

    url = getattr(args, "redis", None) or os.environ.get("REDIS_URL")
    if not url:
        raise SystemExit("palimpsest: a distributed crawl needs Redis: set REDIS_URL=redis://host:6379/0 "
                         "or pass --redis")
    return url


def run_discovery(seeds: str, out: str, archive: str, date_from: str | None, date_to: str | None,
                  every: str | None, settings: dict, then_history: bool = False) -> dict:
    """Run the discover spider (and, if asked, the history crawl of what it found) in-process."""
    from twisted.internet import defer

    from crawler.spiders.discover import discovered_seeds

    started = time.time()
    if then_history:  # CDX listings discovery hands over are not asked again by the history crawl
        settings = {**settings, "PALIMPSEST_CDX_FRESH_SINCE": started}
    s = project_settings({"PALIMPSEST_OUT": out, **settings})
    process = crawler_process(s)
    kwargs = {"seeds": seeds, "out": out, "archive": archive, "every": every or "6m"}
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
            if every:
                history["every"] = every
            yield process.crawl("history", **history)

    both()
    process.start()
    summary_path = Path(out) / "last_run.json"
    if then_history and summary_path.exists():
        return json.loads(summary_path.read_text())
    return {"finish_reason": outcome.get("discover")}


def print_discovery(out: str) -> None:
    import csv as _csv

    rows = list(_csv.DictReader(open(Path(out) / "discovered.csv", encoding="utf-8")))
    found = [r for r in rows if r["status"] == "found"]
    sites = {r["site"] for r in rows}
    print(f"\nDiscovery: {len(found)} of {len(rows)} site-intervals have a policy "
          f"({len({r['site'] for r in found})} of {len(sites)} sites, "
          f"{len({(r['site'], r['policy_url']) for r in found})} distinct policy URLs); "
          f"table: {Path(out) / 'discovered.csv'}", file=sys.stderr)


def _failed_sites_lines(summary: dict) -> list[str]:
    failed = summary.get("failed_sites") or []
    if not failed:
        return []
    return [f"  sites that failed {len(failed)}: " + ", ".join(failed[:20])
            + (" ..." if len(failed) > 20 else "")]


def print_summary(summary: dict, out: str) -> None:
    corpus = summary.get("corpus", {})
    lines = [
        "",
        f"Palimpsest run finished ({summary.get('finish_reason', '?')}) in {summary.get('elapsed_s', 0)} s",
        f"  sites            {summary.get('sites_done', 0)}/{summary.get('sites_total', 0)} done",
        f"  CDX requests     {summary.get('cdx_requests', 0)}",
        f"  snapshot fetches {summary.get('snapshot_requests', 0)}",
        f"  new captures     {summary.get('captures_new', 0)}",
        f"  new texts        {summary.get('texts', 0)}  (payloads without text: {summary.get('no_text', 0)})",
        f"  versions written {summary.get('versions_written', 0)}",
        f"  429 pauses       {summary.get('rate_limited_429', 0)}  refused: "
        f"{summary.get('connection_refused', 0)}  paused {summary.get('pause_seconds', 0)} s",
        f"  blocked          {len(summary.get('blocked', []))} URL(s), "
        f"{summary.get('snapshots_blocked', 0)} capture(s) the archive refuses to serve",
        f"  errors           {summary.get('errors', 0) + summary.get('seed_errors', 0)}"
        "  (listed in the errors table of corpus.sqlite)",
        *_failed_sites_lines(summary),
        f"  corpus now       {corpus.get('versions', 0)} versions of {corpus.get('sites', 0)} sites, "
        f"{corpus.get('captures', 0)} captures indexed",
        f"  output           {Path(out).resolve()}/policies, corpus.sqlite",
    ]
    print("\n".join(lines), file=sys.stderr)


def _settings_from_args(args) -> dict:
    s: dict = check_settings(args.set)
    if args.contact:
        s["PALIMPSEST_CONTACT"] = args.contact
    if args.cdx_per_minute is not None:
        s["PALIMPSEST_CDX_PER_MINUTE"] = args.cdx_per_minute
    if args.snapshots_per_second is not None:
        s["PALIMPSEST_SNAPSHOTS_PER_SECOND"] = args.snapshots_per_second
    # Limits lifted (your own archive): more connections too, or the rate was never the limit.
    if "DOWNLOAD_SLOTS" not in s and (args.cdx_per_minute == 0 or args.snapshots_per_second == 0):
        s["DOWNLOAD_SLOTS"] = {
            "wayback-cdx": {"concurrency": LIFTED_CONCURRENCY["cdx"] if args.cdx_per_minute == 0 else 1,
                            "delay": 0, "jitter": 0},
            "wayback-snapshot": {"concurrency": LIFTED_CONCURRENCY["snapshot"]
                                 if args.snapshots_per_second == 0 else 4, "delay": 0, "jitter": 0}}
        s.setdefault("CONCURRENT_REQUESTS", 32)
    if args.dialect:
        s["PALIMPSEST_ARCHIVE_DIALECT"] = args.dialect
    if args.quiet:
        s["LOG_LEVEL"] = "WARNING"
    if getattr(args, "no_snapshots", False):
        s["PALIMPSEST_SNAPSHOTS"] = False
    return s


def _add_archive_options(p: argparse.ArgumentParser) -> None:
    """The options `crawl` and `discover` share: the archive, the dates, politeness, settings."""
    p.add_argument("--out", required=True, help="output folder (re-runs are incremental)")
    p.add_argument("--archive", default="ia",
                   help="'ia' (web.archive.org, default) or a pywb collection URL")
    p.add_argument("--dialect", choices=["ia", "pywb"], help="force the archive's API dialect")
    p.add_argument("--from", dest="date_from", help="first date, YYYY[MM[DD]]")
    p.add_argument("--to", dest="date_to", help="last date, YYYY[MM[DD]]")
    p.add_argument("--contact", help="your e-mail or URL, sent in the User-Agent")
    p.add_argument("--cdx-per-minute", type=float,
                   help="CDX request rate (default 24, the Internet Archive's; 0 = no limit)")
    p.add_argument("--snapshots-per-second", type=float,
                   help="snapshot fetch rate (default 8; 0 = no limit)")
    p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE",
                   help="any Scrapy or PALIMPSEST_* setting")
    p.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")


def check_run_options(args) -> None:
    """Every value of a crawl or discovery, checked before anything starts (UsageError)."""
    check_out(args.out)
    check_archive(args.archive)
    check_range(args.date_from, args.date_to)
    check_every(getattr(args, "every", None))
    check_settings(args.set)
    check_seed_file(args.seeds)


def cmd_crawl(args) -> int:
    seeds_path = Path(args.seeds)
    check_run_options(args)
    settings = _settings_from_args(args)
    if args.archive == "ia" and not args.contact:
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
        import redis

        job = args.job or Path(args.out).resolve().name
        url = _redis_url(args)
        config = {"archive": args.archive, "dialect": args.dialect, "from": args.date_from,
                  "to": args.date_to, "every": args.every, "settings": settings}
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
    check_run_options(args)
    settings = _settings_from_args(args)
    result = run_discovery(args.seeds, args.out, args.archive, args.date_from, args.date_to,
                           args.every, settings)
    print_discovery(args.out)
    return 0 if result.get("finish_reason") == "finished" else 1


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
    print(f"worker finished ({summary.get('finish_reason')}): {summary.get('snapshot_requests', 0)} "
          f"snapshots, {summary.get('cdx_requests', 0)} CDX requests", file=sys.stderr)
    return crawl_exit_code(summary)


def cmd_demo(args) -> int:
    from crawler.demo import sample_seeds, write_sample_archive
    from crawler.pywb_server import PywbServer, find_wayback, make_collection

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
    from pipelines.report import write_report

    store = _open_store(str(out))
    index = write_report(store)
    store.close()
    print(f"\nChanges ({out / 'changes.csv'}):", file=sys.stderr)
    cmd_changes(argparse.Namespace(out=str(out), site=None, since=None, kind=None))
    print(f"\nHTML report: {index}\nNext: palimpsest diff {out} acme-books.example", file=sys.stderr)
    return 0 if summary.get("finish_reason") == "finished" else 1


def _open_store(out: str):
    from pipelines.storage import CorpusStore

    if not (Path(out) / "corpus.sqlite").exists():
        print(f"palimpsest: {out!r} holds no corpus (no corpus.sqlite): run `palimpsest crawl` first",
              file=sys.stderr)
        return None
    return CorpusStore(out)


def cmd_changes(args) -> int:
    from pipelines.changes import all_changes, site_changes

    store = _open_store(args.out)
    if store is None:
        return 2
    since = check_date("--since", args.since) or ""
    changes = site_changes(store, args.site) if args.site else all_changes(store)
    shown = [c for c in changes if c.changed_by >= since and (not args.kind or c.kind == args.kind)]
    color = sys.stdout.isatty()
    mark = {"substantive": "\033[31m", "minor": "\033[33m", "cosmetic": "\033[90m"} if color else {}
    reset = "\033[0m" if color else ""
    current = None
    for c in sorted(shown, key=lambda c: (c.site, c.changed_by)):
        if c.site != current:
            current = c.site
            print(f"\n{c.site}")
        d = lambda ts: f"{ts[:4]}-{ts[4:6]}-{ts[6:8]}"  # noqa: E731
        flag = "  [extractor changed: not a policy change]" if c.extractor_changed else ""
        print(f"  {d(c.changed_after)} .. {d(c.changed_by)}  {mark.get(c.kind, '')}{c.kind:<11}{reset} "
              f"score {c.score:.2f}  +{c.words_added}/-{c.words_removed} words  "
              f"{c.sections_changed} section(s)"
              + (f"  {c.moved_paragraphs} moved" if c.moved_paragraphs else "")
              + (f"  [{', '.join(c.topics)}]" if c.topics else "") + flag)
    if not shown:
        print("no changes match", file=sys.stderr)
    return 0


def cmd_diff(args) -> int:
    from pipelines.diffs import render_terminal, section_diffs

    store = _open_store(args.out)
    if store is None:
        return 2
    versions = [(v.timestamp, v.text_hash) for v in store.versions(args.site)]
    if len(versions) < 2:
        print(f"palimpsest: site {args.site!r} has {len(versions)} version(s) in {args.out!r}; "
              "a diff needs two", file=sys.stderr)
        return 2
    by_ts = dict(versions)

    def pick(ts: str | None, default: str) -> str | None:
        if ts is None:
            return default
        ts = check_date("time", ts)
        # the version in force at that time: the last one at or before it
        older = [v for v, _ in versions if v <= ts.ljust(14, "9")]
        return older[-1] if older else None

    old = pick(args.ts1, versions[-2][0])
    new = pick(args.ts2, versions[-1][0])
    if old is None or new is None:
        print(f"palimpsest: no version of {args.site!r} at or before the given time", file=sys.stderr)
        return 2
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    print(f"{args.site}: {old} -> {new}")
    print(render_terminal(section_diffs(store.text(by_ts[old]), store.text(by_ts[new])), color=color))
    return 0


def cmd_report(args) -> int:
    from pipelines.report import write_report

    store = _open_store(args.out)
    if store is None:
        return 2
    index = write_report(store)
    print(f"report written: {index}", file=sys.stderr)
    return 0


def cmd_export_git(args) -> int:
    from pipelines.gitexport import export_git

    if Path(args.repo).exists() and not Path(args.repo).is_dir():
        raise UsageError(f"export-git: {args.repo!r} is a file, not a folder")
    store = _open_store(args.out)
    if store is None:
        return 2
    n = export_git(store, args.repo)
    print(f"exported {n} new version(s) to {args.repo}", file=sys.stderr)
    return 0


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
    process.crawl("watch", seeds=args.seeds, out=args.out)
    process.start()
    summary_path = Path(args.out) / "last_run.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    print(f"watch finished ({summary.get('finish_reason', '?')}): {summary.get('live_checked', 0)} "
          f"live checks, {summary.get('live_changed', 0)} changed, {summary.get('live_unchanged', 0)} "
          f"unchanged, {summary.get('live_saved', 0)} saved to the Wayback Machine, "
          f"{summary.get('live_save_failed', 0)} saves failed (asked again next run), "
          f"{summary.get('errors', 0)} errors", file=sys.stderr)
    for line in _failed_sites_lines(summary):
        print(line, file=sys.stderr)
    return crawl_exit_code(summary)


def cmd_reextract(args) -> int:
    from pipelines.rederive import reextract

    if not (Path(args.out) / "corpus.sqlite").exists():
        raise UsageError(f"{args.out!r} holds no corpus (no corpus.sqlite)")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    figures = reextract(args.out, args.site, args.workers)
    print(f"reextract: {figures['payloads']} kept payloads extracted again, {figures['texts_changed']} "
          f"texts changed, {figures['versions_written']} version files written, "
          f"{figures['versions_removed']} removed, {figures['changes']} changes in the log; "
          f"no archive request", file=sys.stderr)
    return EXIT_SOME_FAILED if figures["failed"] else 0


def cmd_ingest(args) -> int:
    from pipelines.rederive import ingest

    check_out(args.out)
    check_seed_file(args.seeds)
    for path in args.warcs:
        if not Path(path).is_file():
            raise UsageError(f"WARC file {path!r} does not exist or is not a file")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    try:
        figures = ingest(args.warcs, args.seeds, args.out, args.workers)
    except Exception as exc:  # a damaged WARC: named, and what was read is kept
        print(f"palimpsest: ingest stopped: {type(exc).__name__}: {exc}; what was read before is "
              "in the corpus, run again once the file is fixed", file=sys.stderr)
        return EXIT_SOME_FAILED
    print(f"ingest: {figures['records']} records of the seed URLs, {figures['captures']} new captures, "
          f"{figures['payloads']} payloads extracted, {figures['versions_written']} version files, "
          f"{figures['changes']} changes; corpus in {args.out}", file=sys.stderr)
    return 0


def _each_page(args, one) -> int:
    """Run ``one(path)`` on each file: a bad file gets one line naming it, the rest go on."""
    from crawler.pages import PageError, as_line

    failed = 0
    for path in args.files:
        try:
            result = one(path)
        except PageError as exc:
            print(f"palimpsest: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(as_line(result, args.jsonl))
    return 1 if failed else 0


def cmd_extract(args) -> int:
    from crawler.pages import extract_file

    return _each_page(args, lambda p: extract_file(p, args.url, args.content_type))


def cmd_classify(args) -> int:
    from crawler.pages import classify_file

    return _each_page(args, lambda p: classify_file(p, args.url, args.content_type))


def cmd_links(args) -> int:
    from crawler.pages import PageError, as_line, links_file

    try:
        found = links_file(args.file, args.url)
    except PageError as exc:
        print(f"palimpsest: {exc}", file=sys.stderr)
        return 1
    for cand in found:
        print(as_line(cand, args.jsonl))
    return 0


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("palimpsest")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="palimpsest", description=__doc__,
                                epilog="exit codes: 0 all good, 1 some sites or files failed (the "
                                       "summary names them) or the run was stopped, 2 a bad "
                                       "command-line value, 3 nothing could be crawled")
    p.add_argument("--version", action="version", version=f"palimpsest {_version()}")
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("crawl", help="rebuild the policy histories of the sites in a seed file")
    c.add_argument("seeds", help="CSV with header site,url, or a list of policy URLs")
    _add_archive_options(c)
    c.add_argument("--every", help="keep one capture per period, e.g. 6m or 1y")
    c.add_argument("--discover", action="store_true",
                   help="the seed file lists sites: find their policy URLs first (see `discover`)")
    c.add_argument("--distributed", action="store_true",
                   help="share the job with `palimpsest worker` processes through Redis (REDIS_URL)")
    c.add_argument("--job", help="distributed job name (default: the OUT folder's name)")
    c.add_argument("--redis", help="Redis URL (default: $REDIS_URL)")
    c.add_argument("--no-snapshots", action="store_true",
                   help="do not keep the fetched payloads in OUT/snapshots (no reextract later)")
    c.set_defaults(func=cmd_crawl)

    dv = sub.add_parser("discover", help="find each site's policy URL, interval by interval")
    dv.add_argument("seeds", help="a list of sites or homepage URLs (or CSV with site,url)")
    _add_archive_options(dv)
    dv.add_argument("--every", default="6m", help="interval length (default 6m)")
    dv.set_defaults(func=cmd_discover)

    w = sub.add_parser("worker", help="work on a distributed job (REDIS_URL) until it is done")
    w.add_argument("--job", required=True, help="the job name printed by `crawl --distributed`")
    w.add_argument("--redis", help="Redis URL (default: $REDIS_URL)")
    w.add_argument("--wait", type=float, default=60,
                   help="seconds to wait for the job to be started (default 60)")
    w.add_argument("-q", "--quiet", action="store_true")
    w.set_defaults(func=cmd_worker)

    d = sub.add_parser("demo", help="run the whole pipeline offline on the bundled sample archive")
    d.add_argument("--out", default="output/demo", help="output folder (default output/demo)")
    d.set_defaults(func=cmd_demo)

    ch = sub.add_parser("changes", help="timeline of policy changes (reads the corpus; writes nothing)")
    ch.add_argument("out")
    ch.add_argument("--site")
    ch.add_argument("--since", help="only changes detected on or after YYYY[-MM[-DD]]")
    ch.add_argument("--kind", choices=["substantive", "minor", "cosmetic"])
    ch.set_defaults(func=cmd_changes)

    df = sub.add_parser("diff", help="word-level, section-aware diff of two versions of a site")
    df.add_argument("out")
    df.add_argument("site")
    df.add_argument("ts1", nargs="?", help="older time (default: the previous version)")
    df.add_argument("ts2", nargs="?", help="newer time (default: the latest version)")
    df.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    df.set_defaults(func=cmd_diff)

    rp = sub.add_parser("report", help="write a static HTML report to OUT/report/")
    rp.add_argument("out")
    rp.set_defaults(func=cmd_report)

    ex = sub.add_parser("export-git", help="export versions as a git repo (citp layout)")
    ex.add_argument("out")
    ex.add_argument("repo")
    ex.set_defaults(func=cmd_export_git)

    wt = sub.add_parser("watch", help="check the live policies now; save changed ones to the "
                                      "Wayback Machine (for cron: hourly or daily)")
    wt.add_argument("seeds", help="CSV with header site,url, or a list of policy URLs")
    wt.add_argument("--out", required=True, help="the corpus (live versions join the archived ones)")
    wt.add_argument("--save", dest="save", action="store_true", default=True,
                    help="ask Save Page Now to archive a changed policy (default)")
    wt.add_argument("--no-save", dest="save", action="store_false", help="do not ask Save Page Now")
    wt.add_argument("--save-api", help="Save Page Now endpoint (default https://web.archive.org/save/)")
    wt.add_argument("--contact", help="your e-mail or URL, sent in the User-Agent")
    wt.add_argument("-s", "--set", action="append", metavar="NAME=VALUE",
                    help="any Scrapy or PALIMPSEST_* setting")
    wt.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    wt.set_defaults(func=cmd_watch)

    rx = sub.add_parser("reextract", help="extract the kept snapshots again and rebuild versions "
                                        "and changes (no archive request)")
    rx.add_argument("out")
    rx.add_argument("--site", help="only this site")
    rx.add_argument("--workers", type=int, help="extraction processes (default: one per core)")
    rx.set_defaults(func=cmd_reextract)

    ig = sub.add_parser("ingest", help="a corpus from WARC files you already have (no HTTP)")
    ig.add_argument("warcs", nargs="+", help="WARC files (.warc or .warc.gz)")
    ig.add_argument("--seeds", required=True, help="seed file: which URLs are policies, and whose")
    ig.add_argument("--out", required=True, help="output folder (an existing corpus is added to)")
    ig.add_argument("--workers", type=int, help="processes for the change measures")
    ig.set_defaults(func=cmd_ingest)

    for name, func, what in (("extract", cmd_extract, "what the corpus would hold for saved pages "
                                                      "(HTML, PDF, .gz)"),
                             ("classify", cmd_classify, "is a saved page a privacy policy? (kind and "
                                                        "probability)")):
        pf = sub.add_parser(name, help=what)
        pf.add_argument("files", nargs="+")
        pf.add_argument("--url", help="the page's URL (relative links resolve against it)")
        pf.add_argument("--content-type", help="the page's Content-Type, e.g. 'text/html; charset=latin-1'")
        pf.add_argument("--jsonl", action="store_true", help="one JSON object per file")
        pf.set_defaults(func=func)

    ln = sub.add_parser("links", help="a saved page's links to its privacy policy, best first")
    ln.add_argument("file")
    ln.add_argument("--url", required=True, help="the page's URL (links are made absolute)")
    ln.add_argument("--jsonl", action="store_true", help="one JSON object per candidate")
    ln.set_defaults(func=cmd_links)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.captureWarnings(True)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"palimpsest: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
