"""The commands that derive a corpus again with no archive request: ``reextract`` and ``ingest``."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from crawler.cli.parse import EXIT_SOME_FAILED, UsageError, check_out, check_seed_file
from pipelines.rederive import reextract


def commit_every() -> int:
    """Index writes per commit (``PALIMPSEST_COMMIT_EVERY``, default 256; at least one commit a
    second whatever it is): fewer commits cost less CPU, a killed run does one batch again."""
    value = os.environ.get("PALIMPSEST_COMMIT_EVERY", "256")
    if not value.isdigit() or int(value) < 1:
        raise UsageError(f"PALIMPSEST_COMMIT_EVERY={value!r}: a whole number of 1 or more")
    return int(value)


def cmd_reextract(args) -> int:
    if not (Path(args.out) / "corpus.sqlite").exists():
        raise UsageError(f"{args.out!r} holds no corpus (no corpus.sqlite)")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    figures = reextract(args.out, args.site, args.workers, commit_every=commit_every())
    print(f"reextract: {figures['payloads']} kept payloads extracted again, {figures['texts_changed']} "
          f"texts changed, {figures['versions_written']} version files written, "
          f"{figures['versions_removed']} removed, {figures['changes']} changes in the log; "
          f"no archive request", file=sys.stderr)
    return EXIT_SOME_FAILED if figures["failed"] else 0


def cmd_ingest(args) -> int:
    from pipelines.ingest import ingest

    check_out(args.out)
    check_seed_file(args.seeds)
    for path in args.warcs:
        if not Path(path).is_file():
            raise UsageError(f"archive file {path!r} does not exist or is not a file")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    figures = ingest(args.warcs, args.seeds, args.out, args.workers, commit_every=commit_every())
    problems = figures["problem_files"]
    unresolved = figures["unresolved_revisits"]
    print(f"ingest: {len(args.warcs)} files, {figures['records']} records of the seed URLs, "
          f"{figures['captures']} new captures, {figures['payloads']} payloads extracted, "
          f"{figures['versions_written']} version files, {figures['changes']} changes"
          + (f", {unresolved} revisits whose payload no file holds" if unresolved else "")
          + f"; corpus in {args.out}", file=sys.stderr)
    if problems:
        print(f"ingest: {len(problems)} file(s) with unreadable parts (each told above; everything "
              "readable in them was ingested): " + ", ".join(problems), file=sys.stderr)
        return EXIT_SOME_FAILED
    return 0
