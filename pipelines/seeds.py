"""Seed lists: which sites to crawl and where their policies live.

Two formats are accepted:

* CSV with a header naming ``site`` and ``url`` columns (other columns are ignored);
* a plain list of policy URLs, one per line (the site is the URL's host without ``www.``).

Blank lines and lines starting with ``#`` are skipped. A bad line is reported as a
:class:`SeedError` naming the file and line; the other lines are still returned.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

_SITE_OK = re.compile(r"^[A-Za-z0-9\u00a0-\uffff][A-Za-z0-9\u00a0-\uffff.\-_~:]*$")


@dataclass(frozen=True)
class Seed:
    site: str
    url: str
    line: int = 0


@dataclass(frozen=True)
class SeedError:
    source: str
    line: int
    text: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.reason} (line: {self.text!r}); skipped"


def normalize_url(raw: str) -> str:
    """Check and tidy one policy URL; raise ValueError saying what is wrong."""
    url = raw.strip()
    if not url:
        raise ValueError("empty URL")
    if "://" not in url:
        if re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I) and not re.match(r"^[^:/]+:\d+", url):
            raise ValueError(f"unsupported URL scheme in {url!r}: only http and https can be archived")
        url = "http://" + url
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"unsupported URL scheme {parts.scheme!r}: only http and https can be archived")
    if not parts.hostname or " " in parts.netloc or "." not in parts.hostname.strip("."):
        raise ValueError(f"no valid host in {url!r}")
    host = parts.hostname
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError as exc:
        raise ValueError(f"host {parts.hostname!r} is not a valid domain name: {exc}") from exc
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


def site_from_url(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host[4:] if host.startswith("www.") else host


def check_site(site: str) -> str:
    site = site.strip()
    if not site:
        raise ValueError("empty site name")
    if not _SITE_OK.match(site) or ".." in site:
        raise ValueError(f"site name {site!r} is not a domain-like name "
                         "(letters, digits, '.', '-', '_' only; no '/' or '..')")
    return site


def parse_seeds(text: str, source: str = "<seeds>") -> tuple[list[Seed], list[SeedError]]:
    """Parse a seed file's text into seeds and per-line errors."""
    seeds: list[Seed] = []
    errors: list[SeedError] = []
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")), "")
    header = [h.strip().lower() for h in next(csv.reader([first]))] if first else []
    seen: set[tuple[str, str]] = set()
    entries = _csv_entries(lines, header) if "url" in header else _url_entries(lines)
    for lineno, row_text, entry in entries:
        try:
            site, url = entry()
        except ValueError as exc:
            errors.append(SeedError(source, lineno, row_text, str(exc)))
            continue
        if (site, url) not in seen:
            seen.add((site, url))
            seeds.append(Seed(site, url, lineno))
    return seeds, errors


def _content_lines(lines: list[str]):
    """(line number, text) of the lines that are neither blank nor comments."""
    for lineno, row_text in enumerate(lines, start=1):
        if row_text.strip() and not row_text.lstrip().startswith("#"):
            yield lineno, row_text


def _csv_entries(lines: list[str], header: list[str]):
    """(line number, text, a function giving (site, url) or raising ValueError) of CSV rows."""
    site_col = header.index("site") if "site" in header else None
    url_col = header.index("url")

    def entry(row_text: str) -> tuple[str, str]:
        try:
            row = next(csv.reader(io.StringIO(row_text)))
        except csv.Error as exc:
            raise ValueError(f"unreadable CSV: {exc}") from None
        if len(row) <= url_col or (site_col is not None and len(row) <= site_col):
            raise ValueError(f"expected columns {', '.join(header)}, got {len(row)} field(s)")
        url = normalize_url(row[url_col])
        site = check_site(row[site_col]) if site_col is not None and row[site_col].strip() \
            else site_from_url(url)
        return site, url

    for n, (lineno, row_text) in enumerate(_content_lines(lines)):
        if n:  # the first content line is the header
            yield lineno, row_text, (lambda t=row_text: entry(t))


def _url_entries(lines: list[str]):
    """(line number, text, a function giving (site, url) or raising ValueError) of URL lines."""
    def entry(item: str) -> tuple[str, str]:
        url = normalize_url(item.split()[0] if len(item.split()) == 1 else _reject_spaces(item))
        return check_site(site_from_url(url)), url

    for lineno, row_text in _content_lines(lines):
        yield lineno, row_text, (lambda t=row_text.strip(): entry(t))


def _reject_spaces(item: str) -> str:
    raise ValueError("a URL line must hold one URL (found spaces); use CSV 'site,url' for two columns")


def read_seeds(path: str | Path) -> tuple[list[Seed], list[SeedError]]:
    """Read a seed file (CSV ``site,url`` or a list of URLs)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"seed file {str(p)!r} does not exist") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"seed file {str(p)!r} is not UTF-8 text: {exc}") from exc
    return parse_seeds(text, str(p))
