"""The seed format: one policy version per file, a header line, a blank line, then markdown."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from crawler.wayback import parse_timestamp, wayback_link

HEADER_TEMPLATE = (
    "> *The following text is extracted and transformed from the {site} privacy policy that was "
    "archived on {date}. Please check the [original snapshot on the Wayback Machine]({link}) for "
    "the most accurate reproduction.*"
)
_HEADER_RE = re.compile(
    r"^> \*The following text is extracted and transformed from the (?P<site>.+?) privacy policy "
    r"that was archived on (?P<date>\d{4}-\d{2}-\d{2})\. Please check the \[original snapshot on the "
    r"Wayback Machine\]\((?P<link>[^)]*/web/(?P<ts>\d{14})id_/(?P<url>[^)]*))\) for the most accurate "
    r"reproduction\.\*$"
)


def header_line(site: str, timestamp: str, url: str) -> str:
    """The seed header for a capture of ``url`` at ``timestamp`` belonging to ``site``."""
    date = parse_timestamp(timestamp).strftime("%Y-%m-%d")
    return HEADER_TEMPLATE.format(site=site, date=date, link=wayback_link(timestamp, url))


def render_document(site: str, timestamp: str, url: str, markdown: str) -> str:
    return f"{header_line(site, timestamp, url)}\n\n{markdown.rstrip(chr(10))}\n"


@dataclass(frozen=True)
class SeedDocument:
    site: str | None
    date: str | None
    timestamp: str | None
    link: str | None
    body: str


def read_document(text: str) -> SeedDocument:
    """Read a seed-format file; documents without a header line are accepted as plain text."""
    first, _, rest = text.partition("\n")
    m = _HEADER_RE.match(first.rstrip("\r"))
    if not m:
        return SeedDocument(None, None, None, None, text)
    return SeedDocument(m["site"], m["date"], m["ts"], m["link"], rest.lstrip("\r\n"))


def text_hash(markdown: str) -> str:
    """Hash of a text version, insensitive to whitespace and Unicode space/quote variants."""
    return hashlib.sha256(normalize_text(markdown).encode("utf-8")).hexdigest()


_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})


def normalize_text(markdown: str) -> str:
    text = unicodedata.normalize("NFKC", markdown).translate(_QUOTES)
    return re.sub(r"\s+", " ", text).strip()


_UNSAFE = re.compile(r"[^A-Za-z0-9._\-]")


def safe_component(name: str, max_len: int = 120) -> str:
    """A file-name-safe form of a site name: never '..', never a path, never empty."""
    try:
        ascii_name = name.encode("idna").decode("ascii") if not name.isascii() else name
    except UnicodeError:
        ascii_name = name
    clean = _UNSAFE.sub("_", ascii_name).strip("._") or "_"
    clean = re.sub(r"\.{2,}", "_", clean)
    if clean != ascii_name or len(clean) > max_len:
        # characters were replaced or cut: a hash of the real name keeps distinct names apart
        suffix = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
        clean = f"{clean[:max_len]}~{suffix}"
    return clean


def version_path(out: Path, site: str, timestamp: str) -> Path:
    """Where a version file goes: OUT/policies/<site>/<timestamp>.md, always inside OUT."""
    parse_timestamp(timestamp)
    root = (out / "policies").resolve()
    path = (root / safe_component(site) / f"{timestamp}.md").resolve()
    if root not in path.parents:
        raise ValueError(f"site name {site!r} would write outside {root}")
    return path
