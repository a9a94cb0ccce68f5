"""The commands that derive a corpus again with no archive request: ``reextract`` and ``ingest``."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from crawler.cli.parse import EXIT_SOME_FAILED, UsageError, check_out, check_seed_file
from pipelines.rederive import ingest, reextract


def cmd_reextract(args) -> int:
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
