"""The ``palimpsest`` command: :mod:`parse` (the parser and the checks of its values), :mod:`run`
(the commands that crawl), :mod:`show` (the commands that read a corpus), :mod:`rederive`
(reextract, ingest), :mod:`pages` (saved pages through the extractor and the classifier). A
command's module is imported when it runs: ``ingest`` never loads Scrapy."""

from __future__ import annotations

import importlib
import logging
import sys

from crawler.cli.parse import EXIT_USAGE, UsageError, build_parser

# command -> the module of crawler.cli that runs it (its function is cmd_<command>)
COMMANDS = {
    "crawl": "run", "discover": "run", "worker": "run", "demo": "run", "watch": "run",
    "changes": "show", "diff": "show", "report": "show", "export-git": "show", "export": "show", "analyze": "show",
    "reextract": "rederive", "ingest": "rederive",
    "extract": "pages", "classify": "pages", "links": "pages",
}


def command(name: str):
    module = importlib.import_module(f"crawler.cli.{COMMANDS[name]}")
    return getattr(module, "cmd_" + name.replace("-", "_"))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.captureWarnings(True)
    try:
        return command(args.command)(args)
    except UsageError as exc:
        print(f"palimpsest: {exc}", file=sys.stderr)
        return EXIT_USAGE
