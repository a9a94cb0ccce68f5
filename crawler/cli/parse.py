"""The command line: its parser, and its values checked before anything starts (a bad value is
one line naming it and exit code 2: never a traceback, never a run that silently crawls nothing)."""

from __future__ import annotations

import argparse
import re
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from crawler.archive.client import Archive
from crawler.archive.registry import LIFTED_CONCURRENCY, parse_archives
from pipelines.changes.measure import Kind
from pipelines.payloads import parse_every
from pipelines.seeds import read_seeds

DESCRIPTION = "The palimpsest command: crawl a policy history corpus, or run the offline demo."
EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, EXIT_NOTHING = 0, 1, 2, 3


class UsageError(Exception):
    """A bad command-line value; the message names it."""


def check_out(out: str) -> None:
    p = Path(out)
    if p.exists() and not p.is_dir():
        raise UsageError(f"--out {out!r} is a file, not a folder")
    parent = next((a for a in [p, *p.absolute().parents] if a.exists()), None)
    if parent is not None and not parent.is_dir():
        raise UsageError(f"--out {out!r}: {str(parent)!r} is a file, not a folder")


def check_archive(archive) -> None:
    """One ``--archive`` value, or the list of them (``crawl``: several archives, one history)."""
    values = archive if isinstance(archive, list) else ([archive] if archive else ["ia"])
    try:
        for spec in parse_archives(values):
            if spec.dialect != "cc":
                Archive(spec.base)
    except ValueError as exc:
        raise UsageError(f"{exc}") from None


def check_date(option: str, value: str | None) -> str | None:
    """A YYYY[MM[DD[hhmmss]]] date (dashes allowed) as its digits; the date must exist."""
    if value is None:
        return None
    digits = re.sub(r"[-/:T ]", "", value.strip())
    formats = {4: "%Y", 6: "%Y%m", 8: "%Y%m%d", 14: "%Y%m%d%H%M%S"}
    if not digits.isdigit() or len(digits) not in formats:
        raise UsageError(f"{option} {value!r} is not a date: use YYYY, YYYY-MM or YYYY-MM-DD")
    try:
        datetime.strptime(digits, formats[len(digits)])
    except ValueError:
        raise UsageError(f"{option} {value!r} is not a date that exists") from None
    return digits


def check_range(date_from: str | None, date_to: str | None) -> None:
    a, b = check_date("--from", date_from), check_date("--to", date_to)
    if a and b and a.ljust(14, "0") > b.ljust(14, "9"):
        raise UsageError(f"--from {date_from} is after --to {date_to}: nothing to crawl")


def check_every(every: str | None) -> None:
    try:
        parse_every(every)
    except ValueError:
        raise UsageError(f"--every {every!r}: use a period such as 6m or 1y") from None


def check_settings(items: list[str] | None) -> dict:
    out: dict = {}
    for item in items or []:
        key, eq, value = item.partition("=")
        if not eq or not key.strip() or not re.fullmatch(r"[A-Z][A-Z0-9_]*", key.strip()):
            raise UsageError(f"-s {item!r}: settings are NAME=VALUE, e.g. -s PALIMPSEST_RETRY_TIMES=3")
        out[key.strip()] = value
    return out


def check_seed_file(path: str):
    """The seeds and bad lines of a seed file, or a UsageError saying why it cannot be read."""
    p = Path(path)
    if not p.exists():
        raise UsageError(f"seed file {path!r} does not exist")
    if p.is_dir():
        raise UsageError(f"seed file {path!r} is a folder, not a file")
    try:
        seeds, errors = read_seeds(p)
    except (OSError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    if not seeds:
        raise UsageError(f"no usable seed in {path!r}" + (f" ({errors[0]})" if errors else ""))
    return seeds, errors


def crawl_exit_code(summary) -> int:
    """0 all good; 1 some sites failed, or the run was stopped; 3 nothing could be crawled (the
    archive unreachable, or not one CDX answer). ``summary`` is a run's RunSummary."""
    if len(summary.archives) > 1:  # several archives: one that fails leaves the others' history
        if all(a.get("failed") for a in summary.archives):
            return EXIT_NOTHING
        if summary.failed_archives:
            return EXIT_SOME_FAILED
    elif summary.archive_unreachable:
        return EXIT_NOTHING
    if summary.sites_total and not summary.cdx_answered and (summary.errors or summary.failed_sites):
        return EXIT_NOTHING
    if summary.finish_reason != "finished" or summary.failed_sites:
        return EXIT_SOME_FAILED
    return EXIT_OK




def settings_from_args(args) -> dict:
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
    p.add_argument("--archive", action="append",
                   help="'ia' (web.archive.org, the default), arquivo, ukwa, archive-it, cc (Common "
                        "Crawl), NAME=URL or a pywb collection URL; give it several times to merge "
                        "archives into one history")
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


def _version() -> str:
    try:
        return version("palimpsest")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    """The parser: ``args.command`` names the command to run."""
    p = argparse.ArgumentParser(prog="palimpsest", description=DESCRIPTION,
                                epilog="exit codes: 0 all good, 1 some sites or files failed (the "
                                       "summary names them) or the run was stopped, 2 a bad "
                                       "command-line value, 3 nothing could be crawled")
    p.add_argument("--version", action="version", version=f"palimpsest {_version()}")
    sub = p.add_subparsers(dest="command", required=True)
    _crawl_commands(sub)
    _corpus_commands(sub)
    _page_commands(sub)
    return p


def _crawl_commands(sub) -> None:
    """crawl, discover, worker, demo: the commands that crawl an archive."""
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

    dv = sub.add_parser("discover", help="find each site's policy URL, interval by interval")
    dv.add_argument("seeds", help="a list of sites or homepage URLs (or CSV with site,url)")
    _add_archive_options(dv)
    dv.add_argument("--every", default="6m", help="interval length (default 6m)")

    w = sub.add_parser("worker", help="work on a distributed job (REDIS_URL) until it is done")
    w.add_argument("--job", required=True, help="the job name printed by `crawl --distributed`")
    w.add_argument("--redis", help="Redis URL (default: $REDIS_URL)")
    w.add_argument("--wait", type=float, default=60,
                   help="seconds to wait for the job to be started (default 60)")
    w.add_argument("-q", "--quiet", action="store_true")

    d = sub.add_parser("demo", help="run the whole pipeline offline on the bundled sample archive")
    d.add_argument("--out", default="output/demo", help="output folder (default output/demo)")


def _corpus_commands(sub) -> None:
    """changes, diff, report, export-git, watch, reextract, ingest: the commands on a corpus."""
    ch = sub.add_parser("changes", help="timeline of policy changes (reads the corpus; writes nothing)")
    ch.add_argument("out")
    ch.add_argument("--site")
    ch.add_argument("--since", help="only changes detected on or after YYYY[-MM[-DD]]")
    ch.add_argument("--kind", choices=[str(k) for k in Kind])

    df = sub.add_parser("diff", help="word-level, section-aware diff of two versions of a site")
    df.add_argument("out")
    df.add_argument("site")
    df.add_argument("ts1", nargs="?", help="older time (default: the previous version)")
    df.add_argument("ts2", nargs="?", help="newer time (default: the latest version)")
    df.add_argument("--color", choices=["auto", "always", "never"], default="auto")

    rp = sub.add_parser("report", help="write a static HTML report to OUT/report/")
    rp.add_argument("out")

    ex = sub.add_parser("export-git", help="export versions as a git repo (citp layout)")
    ex.add_argument("out")
    ex.add_argument("repo")

    an = sub.add_parser("analyze", help="the Princeton-Leuven paper's tables (length, readability, "
                                        "updates, term shares per half-year) in OUT/analysis/")
    an.add_argument("out")
    an.add_argument("--from", dest="first_year", metavar="YEAR", help="first year (default: the corpus's)")
    an.add_argument("--to", dest="last_year", metavar="YEAR", help="last year (default: the corpus's)")
    an.add_argument("--by", choices=["rank"], help="every table also per rank bin (needs --seeds)")
    an.add_argument("--seeds", help="the seed file with a rank column (for --by rank)")
    an.add_argument("--workers", type=int, help="processes measuring texts (default: one per core)")

    xp = sub.add_parser("export", help="the corpus as datasets: Parquet tables, Open Terms Archive's "
                                       "layout, a WACZ of the snapshots")
    xp.add_argument("out")
    xp.add_argument("--parquet", metavar="DIR", help="versions, captures and changes as Parquet files")
    xp.add_argument("--ota", metavar="DIR", help="Open Terms Archive's dataset layout")
    xp.add_argument("--wacz", metavar="FILE", help="OUT/snapshots packed as a WACZ (ReplayWeb.page)")

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

    rx = sub.add_parser("reextract", help="extract the kept snapshots again and rebuild versions "
                                        "and changes (no archive request)")
    rx.add_argument("out")
    rx.add_argument("--site", help="only this site")
    rx.add_argument("--workers", type=int, help="extraction processes (default: one per core)")

    ig = sub.add_parser("ingest", help="a corpus from WARC, ARC or WACZ files you already have (no HTTP)")
    ig.add_argument("warcs", nargs="+", metavar="FILE",
                    help="archive files: WARC (.warc, .warc.gz), ARC (.arc, .arc.gz), WACZ (.wacz)")
    ig.add_argument("--seeds", required=True, help="seed file: which URLs are policies, and whose")
    ig.add_argument("--out", required=True, help="output folder (an existing corpus is added to)")
    ig.add_argument("--workers", type=int, help="processes for the change measures")


def _page_commands(sub) -> None:
    """extract, classify, links: the commands on saved pages."""
    for name, what in (("extract", "what the corpus would hold for saved pages (HTML, PDF, .gz)"),
                       ("classify", "is a saved page a privacy policy? (kind and probability)")):
        pf = sub.add_parser(name, help=what)
        pf.add_argument("files", nargs="+")
        pf.add_argument("--url", help="the page's URL (relative links resolve against it)")
        pf.add_argument("--content-type", help="the page's Content-Type, e.g. 'text/html; charset=latin-1'")
        pf.add_argument("--jsonl", action="store_true", help="one JSON object per file")

    ln = sub.add_parser("links", help="a saved page's links to its privacy policy, best first")
    ln.add_argument("file")
    ln.add_argument("--url", required=True, help="the page's URL (links are made absolute)")
    ln.add_argument("--jsonl", action="store_true", help="one JSON object per candidate")
