"""The ``palimpsest`` command: crawl a policy history corpus, or run the offline demo."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.seeds import read_seeds


def project_settings(overrides: dict | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def run_crawl(seeds: str, out: str, archive: str = "ia", date_from: str | None = None,
              date_to: str | None = None, every: str | None = None,
              settings: dict | None = None) -> dict:
    """Run the history spider in this process and return the run summary (OUT/last_run.json)."""
    s = project_settings({"PALIMPSEST_OUT": out, "PALIMPSEST_ARCHIVE": archive, **(settings or {})})
    process = CrawlerProcess(s, install_root_handler=True)
    kwargs = {"seeds": seeds, "out": out, "archive": archive}
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
        f"  errors           {summary.get('errors', 0) + summary.get('seed_errors', 0)}"
        "  (listed in the errors table of corpus.sqlite)",
        f"  corpus now       {corpus.get('versions', 0)} versions of {corpus.get('sites', 0)} sites, "
        f"{corpus.get('captures', 0)} captures indexed",
        f"  output           {Path(out).resolve()}/policies, corpus.sqlite",
    ]
    print("\n".join(lines), file=sys.stderr)


def _settings_from_args(args) -> dict:
    s: dict = {}
    for item in args.set or []:
        key, _, value = item.partition("=")
        s[key] = value
    if args.contact:
        s["PALIMPSEST_CONTACT"] = args.contact
    if args.cdx_per_minute is not None:
        s["PALIMPSEST_CDX_PER_MINUTE"] = args.cdx_per_minute
    if args.snapshots_per_second is not None:
        s["PALIMPSEST_SNAPSHOTS_PER_SECOND"] = args.snapshots_per_second
    if args.quiet:
        s["LOG_LEVEL"] = "WARNING"
    return s


def cmd_crawl(args) -> int:
    seeds_path = Path(args.seeds)
    if not seeds_path.exists():
        print(f"palimpsest: seed file {args.seeds!r} does not exist", file=sys.stderr)
        return 2
    seeds, errors = read_seeds(seeds_path)
    if not seeds:
        for e in errors:
            print(f"palimpsest: {e}", file=sys.stderr)
        print(f"palimpsest: no usable seed in {args.seeds!r}", file=sys.stderr)
        return 2
    settings = _settings_from_args(args)
    if args.dialect:
        settings["PALIMPSEST_ARCHIVE_DIALECT"] = args.dialect
    if args.archive == "ia" and not args.contact:
        print("palimpsest: tip: pass --contact EMAIL so the Internet Archive can reach you "
              "(it goes in the User-Agent)", file=sys.stderr)
    summary = run_crawl(str(seeds_path), args.out, args.archive, args.date_from, args.date_to,
                        args.every, settings)
    print_summary(summary, args.out)
    return 0 if summary.get("finish_reason") == "finished" else 1


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
    return 0 if summary.get("finish_reason") == "finished" else 1


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="palimpsest", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("crawl", help="rebuild the policy histories of the sites in a seed file")
    c.add_argument("seeds", help="CSV with header site,url, or a list of policy URLs")
    c.add_argument("--out", required=True, help="output folder (re-runs are incremental)")
    c.add_argument("--archive", default="ia",
                   help="'ia' (web.archive.org, default) or a pywb collection URL")
    c.add_argument("--dialect", choices=["ia", "pywb"], help="force the archive's API dialect")
    c.add_argument("--from", dest="date_from", help="first date, YYYY[MM[DD]]")
    c.add_argument("--to", dest="date_to", help="last date, YYYY[MM[DD]]")
    c.add_argument("--every", help="keep one capture per period, e.g. 6m or 1y")
    c.add_argument("--contact", help="your e-mail or URL, sent in the User-Agent")
    c.add_argument("--cdx-per-minute", type=float,
                   help="CDX request rate (default 24, the Internet Archive's; 0 = no limit)")
    c.add_argument("--snapshots-per-second", type=float,
                   help="snapshot fetch rate (default 8; 0 = no limit)")
    c.add_argument("-s", "--set", action="append", metavar="NAME=VALUE",
                   help="any Scrapy or PALIMPSEST_* setting")
    c.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    c.set_defaults(func=cmd_crawl)

    d = sub.add_parser("demo", help="run the whole pipeline offline on the bundled sample archive")
    d.add_argument("--out", default="output/demo", help="output folder (default output/demo)")
    d.set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.captureWarnings(True)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
