"""The commands that read a corpus (``changes``, ``diff``, ``report``, ``export-git``, ``export``), and the
lines a run prints (its summary, discovery's table)."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from crawler.cli.parse import UsageError, check_date, check_seed_file
from crawler.components.summary import RunSummary
from crawler.discovery import Found
from pipelines.changes.diffs import render_terminal, section_diffs
from pipelines.changes.history import all_changes, site_changes, version_in_force
from pipelines.changes.measure import Kind
from pipelines.corpus.store import CorpusStore
from pipelines.publish.gitexport import export_git
from pipelines.publish.report import write_report


def print_discovery(out: str) -> None:
    with open(Path(out) / "discovered.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    found = [r for r in rows if r["status"] == Found.FOUND]
    sites = {r["site"] for r in rows}
    print(f"\nDiscovery: {len(found)} of {len(rows)} site-intervals have a policy "
          f"({len({r['site'] for r in found})} of {len(sites)} sites, "
          f"{len({(r['site'], r['policy_url']) for r in found})} distinct policy URLs); "
          f"table: {Path(out) / 'discovered.csv'}", file=sys.stderr)


def failed_sites_lines(summary: RunSummary) -> list[str]:
    failed = summary.failed_sites
    if not failed:
        return []
    return [f"  sites that failed {len(failed)}: " + ", ".join(failed[:20])
            + (" ..." if len(failed) > 20 else "")]


def archive_lines(s: RunSummary) -> list[str]:
    """Per archive of a crawl of several: what it answered and found, and what it adds."""
    if len(s.archives) < 2:
        return []
    lines = ["  archives"]
    for a in s.archives:
        state = "  FAILED: " + ("nothing listens there" if a.get("unreachable") else
                                f"{a.get('errors', 0)} error(s), no answer") if a.get("failed") else ""
        lines.append(f"    {a['label']:<20} CDX {a['cdx_requests']} ({a['cdx_answered']} answered), "
                     f"captures {a.get('captures', 0)} (+{a['captures_new']}), payloads fetched "
                     f"{a.get('payloads_served', 0)} (+{a['payloads']}){state}")
    c = s.coverage
    if c:
        lines.append(f"  half-year slots  {c['slots_all_archives']} with every archive, "
                     f"{c['slots_first_archive']} with {s.archives[0]['label']} alone")
    return lines


def print_summary(s: RunSummary, out: str) -> None:
    corpus = s.corpus
    lines = [
        "",
        f"Palimpsest run finished ({s.finish_reason or '?'}) in {s.elapsed_s} s",
        f"  sites            {s.sites_done}/{s.sites_total} done",
        f"  CDX requests     {s.cdx_requests}",
        f"  snapshot fetches {s.snapshot_requests}",
        f"  new captures     {s.captures_new}",
        f"  new texts        {s.texts}  (payloads without text: {s.no_text})",
        f"  versions written {s.versions_written}",
        f"  429 pauses       {s.rate_limited_429}  refused: "
        f"{s.connection_refused}  paused {s.pause_seconds} s",
        f"  blocked          {len(s.blocked)} URL(s), "
        f"{s.snapshots_blocked} capture(s) the archive refuses to serve",
        f"  errors           {s.errors + s.seed_errors}"
        "  (listed in the errors table of corpus.sqlite)",
        *failed_sites_lines(s),
        *archive_lines(s),
        f"  corpus now       {corpus.get('versions', 0)} versions of {corpus.get('sites', 0)} sites, "
        f"{corpus.get('captures', 0)} captures indexed",
        f"  output           {Path(out).resolve()}/policies, corpus.sqlite",
    ]
    print("\n".join(lines), file=sys.stderr)


def _open_store(out: str) -> CorpusStore | None:
    store = CorpusStore.existing(out)
    if store is None:
        print(f"palimpsest: {out!r} holds no corpus (no corpus.sqlite): run `palimpsest crawl` first",
              file=sys.stderr)
    return store


def cmd_changes(args) -> int:
    store = _open_store(args.out)
    if store is None:
        return 2
    since = check_date("--since", args.since) or ""
    changes = site_changes(store, args.site) if args.site else all_changes(store)
    shown = [c for c in changes if c.changed_by >= since and (not args.kind or c.kind == args.kind)]
    color = sys.stdout.isatty()
    mark = {Kind.SUBSTANTIVE: "\033[31m", Kind.MINOR: "\033[33m", Kind.COSMETIC: "\033[90m"} \
        if color else {}
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
    store = _open_store(args.out)
    if store is None:
        return 2
    versions = store.versions.of(args.site)
    if len(versions) < 2:
        print(f"palimpsest: site {args.site!r} has {len(versions)} version(s) in {args.out!r}; "
              "a diff needs two", file=sys.stderr)
        return 2
    old = version_in_force(versions, check_date("time", args.ts1)) if args.ts1 else versions[-2]
    new = version_in_force(versions, check_date("time", args.ts2)) if args.ts2 else versions[-1]
    if old is None or new is None:
        print(f"palimpsest: no version of {args.site!r} at or before the given time", file=sys.stderr)
        return 2
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    print(f"{args.site}: {old.timestamp} -> {new.timestamp}")
    print(render_terminal(section_diffs(store.text(old.text_hash), store.text(new.text_hash)),
                          color=color))
    return 0


def cmd_report(args) -> int:
    store = _open_store(args.out)
    if store is None:
        return 2
    index = write_report(store)
    print(f"report written: {index}", file=sys.stderr)
    return 0


def cmd_export_git(args) -> int:
    if Path(args.repo).exists() and not Path(args.repo).is_dir():
        raise UsageError(f"export-git: {args.repo!r} is a file, not a folder")
    store = _open_store(args.out)
    if store is None:
        return 2
    n = export_git(store, args.repo)
    print(f"exported {n} new version(s) to {args.repo}", file=sys.stderr)
    return 0


def cmd_export(args) -> int:
    from pipelines.publish.datasets import ExportError, export_ota, export_parquet, export_wacz

    if not (args.parquet or args.ota or args.wacz):
        raise UsageError("export: say what to write: --parquet DIR, --ota DIR and/or --wacz FILE")
    for option, value in (("--parquet", args.parquet), ("--ota", args.ota)):
        if value and Path(value).exists() and not Path(value).is_dir():
            raise UsageError(f"export {option}: {value!r} is a file, not a folder")
    if args.wacz and (Path(args.wacz).is_dir() or not args.wacz.endswith(".wacz")):
        raise UsageError(f"export --wacz: {args.wacz!r} must be a file name ending in .wacz")
    store = _open_store(args.out)
    if store is None:
        return 2
    try:
        if args.parquet:
            n = export_parquet(store, args.parquet)
            print(f"export: {n['versions']} versions, {n['captures']} captures, {n['changes']} changes "
                  f"as Parquet in {args.parquet}", file=sys.stderr)
        if args.ota:
            n = export_ota(store, args.ota)
            print(f"export: {n} version files in Open Terms Archive's layout in {args.ota}",
                  file=sys.stderr)
        if args.wacz:
            n = export_wacz(store, args.wacz)
            print(f"export: the snapshots as {args.wacz} ({n} policy captures in its pages.jsonl)",
                  file=sys.stderr)
    except ExportError as exc:
        print(f"palimpsest: export: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0


def _year(option: str, value: str | None) -> int | None:
    if value is None:
        return None
    if not (value.isdigit() and len(value) == 4):
        raise UsageError(f"analyze {option}: {value!r} is not a year (YYYY)")
    return int(value)


def cmd_analyze(args) -> int:
    from pipelines.analysis.language import LanguageToolsMissing
    from pipelines.analysis.tables import analyze, read_ranks

    first, last = _year("--from", args.first_year), _year("--to", args.last_year)
    if first is not None and last is not None and first > last:
        raise UsageError(f"analyze: --from {first} is after --to {last}")
    ranks = None
    if args.by == "rank":
        if not args.seeds:
            raise UsageError("analyze --by rank: give the seed file with a rank column (--seeds FILE)")
        check_seed_file(args.seeds)
        try:
            ranks = read_ranks(args.seeds)
        except ValueError as exc:
            raise UsageError(f"analyze --by rank: {exc}") from None
    store = _open_store(args.out)
    if store is None:
        return 2
    try:
        figures = analyze(store, first, last, ranks, args.workers)
    except LanguageToolsMissing as exc:
        print(f"palimpsest: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    rows = [r for r in figures["interval_rows"] if r.get("rank_bin", "all") == "all"]
    if not rows:
        print(f"analyze: no version in the range asked; empty tables in {figures['folder']}",
              file=sys.stderr)
        return 0
    busiest = max(rows, key=lambda r: r["sites"])
    print(f"analyze: {figures['intervals']} half-years ({rows[0]['interval']}-{rows[-1]['interval']}), "
          f"{figures['texts']} texts ({figures['measured']} measured now, the others kept), up to {busiest['sites']} sites a half-year; "
          f"intervals.csv and terms.csv in {figures['folder']}; `palimpsest report {args.out}` "
          "draws them", file=sys.stderr)
    return 0
