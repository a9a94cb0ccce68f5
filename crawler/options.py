"""Command-line values checked before anything starts: a bad value is one line naming it and exit
code 2 (never a traceback, never a run that silently crawls nothing)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

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


def check_archive(archive: str) -> None:
    from crawler.wayback import Archive

    if archive == "ia":
        return
    try:
        Archive(archive)
    except ValueError as exc:
        raise UsageError(f"--archive {archive!r}: {exc} (or 'ia' for the Internet Archive)") from None


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
    from crawler.spiders.history import parse_every

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
    from crawler.seeds import read_seeds

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


def crawl_exit_code(summary: dict) -> int:
    """0 all good; 1 some sites failed, or the run was stopped; 3 nothing could be crawled (the
    archive unreachable, or not one CDX answer)."""
    if summary.get("archive_unreachable"):
        return EXIT_NOTHING
    if summary.get("sites_total") and not summary.get("cdx_answered") and \
            (summary.get("errors") or summary.get("failed_sites")):
        return EXIT_NOTHING
    if summary.get("finish_reason") != "finished" or summary.get("failed_sites"):
        return EXIT_SOME_FAILED
    return EXIT_OK
