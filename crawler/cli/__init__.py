"""The ``palimpsest`` command: :mod:`parse` (the parser and the checks of its values), :mod:`run`
(the commands that crawl), :mod:`show` (the commands that read or re-derive a corpus or a saved
page), :mod:`pages` (saved pages through the extractor and the classifier)."""

from __future__ import annotations

import logging
import sys

from crawler.cli import run, show
from crawler.cli.parse import EXIT_USAGE, UsageError, build_parser

COMMANDS = {
    "crawl": run.cmd_crawl, "discover": run.cmd_discover, "worker": run.cmd_worker,
    "demo": run.cmd_demo, "watch": run.cmd_watch,
    "changes": show.cmd_changes, "diff": show.cmd_diff, "report": show.cmd_report,
    "export-git": show.cmd_export_git, "reextract": show.cmd_reextract, "ingest": show.cmd_ingest,
    "extract": show.cmd_extract, "classify": show.cmd_classify, "links": show.cmd_links,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser(COMMANDS).parse_args(argv)
    logging.captureWarnings(True)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"palimpsest: {exc}", file=sys.stderr)
        return EXIT_USAGE
