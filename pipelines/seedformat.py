"""The seed format: one policy version per file, a header line, a blank line, then markdown."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pipelines.captures import parse_timestamp, wayback_link

HEADER_TEMPLATE = (
    "> *The following text is extracted and transformed from the {site} privacy policy that was "
    "archived on {date}. Please check the [{phrase}]({link}) for "
    "the most accurate reproduction.*"
)
WAYBACK_PHRASE = "original snapshot on the Wayback Machine"
_HEADER_RE = re.compile(
    r"^> \*The following text is extracted and transformed from the (?P<site>.+?) privacy policy "
    r"that was archived on (?P<date>\d{4}-\d{2}-\d{2})\. Please check the \[original snapshot on the "
    r"Wayback Machine\]\((?P<link>[^)]*/web/(?P<ts>\d{14})id_/(?P<url>[^)]*))\) for the most accurate "
    r"reproduction\.\*$"
)
# The same sentence for a capture of another archive (its name and its own link).
_OTHER_HEADER_RE = re.compile(
    r"^> \*The following text is extracted and transformed from the (?P<site>.+?) privacy policy "
    r"that was archived on (?P<date>\d{4}-\d{2}-\d{2})\. Please check the \[original (?:snapshot|capture) "
    r"(?:on|in) [^\]]+\]\((?P<link>[^)]*)\) for the most accurate reproduction\.\*$"
)


def header_line(site: str, timestamp: str, url: str,
                where: tuple[str, str] | None = None) -> str:
    """The seed header for a capture of ``url`` at ``timestamp`` belonging to ``site``;
    ``where`` = (link text, link) of a capture in another archive than the Internet Archive."""
    date = parse_timestamp(timestamp).strftime("%Y-%m-%d")
    phrase, link = where or (WAYBACK_PHRASE, wayback_link(timestamp, url))
    return HEADER_TEMPLATE.format(site=site, date=date, phrase=phrase, link=link)


LIVE_TEMPLATE = (
    "> *The following text is extracted and transformed from the {site} privacy policy as served "
    "live at {url} on {date}. It is not archived in the Wayback Machine yet; the next watch run "
    "asks the Wayback Machine to save it.*"
)


def render_document(site: str, timestamp: str, url: str, markdown: str,
                    live: tuple[str, str | None] | None = None,
                    where: tuple[str, str] | None = None) -> str:
    """A version file. ``live``: (url, saved timestamp or None) of a live check: saved, the header
    links the Wayback snapshot that Save Page Now made, exactly as for a historical capture; not
    saved yet, the header says it is a live capture."""
    if live is None:
        header = header_line(site, timestamp, url, where)
    elif live[1]:
        header = header_line(site, live[1], live[0])
    else:
        header = LIVE_TEMPLATE.format(site=site, url=live[0],
                                      date=parse_timestamp(timestamp).strftime("%Y-%m-%d"))
    return f"{header}\n\n{markdown.rstrip(chr(10))}\n"


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
    if m:
        return SeedDocument(m["site"], m["date"], m["ts"], m["link"], rest.lstrip("\r\n"))
    m = _OTHER_HEADER_RE.match(first.rstrip("\r"))
    if m:
        ts = re.search(r"(?<!\d)(\d{14})(?!\d)", m["link"])
        return SeedDocument(m["site"], m["date"], ts.group(1) if ts else None, m["link"],
                            rest.lstrip("\r\n"))
    return SeedDocument(None, None, None, None, text)


def text_hash(markdown: str) -> str:
    """The identity of a text version: see :func:`normalize_text`."""
    return hashlib.sha256(normalize_text(markdown).encode("utf-8")).hexdigest()


# Bumped whenever normalize_text changes: a corpus made with another identity re-hashes its texts.
IDENTITY_VERSION = "links/1"

_QUOTES = (("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"'), ("\u00a0", " "))
# A URL in a text: r"(?i)\b(?:https?:)?//[^\s()<>\[\]\"']+". Its first "//" is at its start or
# 5 or 6 characters in, so :func:`_canonical_urls` tries it only there (str.find walks the text
# in C; re's search would try every position).
_URL = re.compile(r"(?i)\b(?:https?:)?//[^\s()<>\[\]\"']+")
_WWW = re.compile(r"^www\d*\.")
# Query parameters that change from one visit (one capture) to the next without the page changing:
# session ids, cache busters and click ids. Compared lower-case.
VOLATILE_PARAMS = frozenset({
    "oscsid", "jsessionid", "phpsessid", "sid", "sessid", "sessionid", "session_id", "session",
    "zenid", "cfid", "cftoken", "aspsessionid", "s_sid", "xtcsid", "ceid", "wmsid", "sess",
    "_", "cb", "cachebust", "cachebuster", "nocache", "rnd", "rand", "random", "timestamp",
    "fbclid", "gclid", "msclkid", "_ga", "_gl", "mc_eid", "ref_", "__cf_chl_tk",
    "__cf_chl_jschl_tk__", "__cf_chl_captcha_tk__", "__cf_chl_rt_tk",
})
_CACHE_VALUE = re.compile(r"^[0-9a-fA-F.\-]{6,}$")  # ?v=1612345678, ?t=5f3a9c...
_SESSION_PATH = re.compile(r"(?i);(?:jsessionid|phpsessid|sid|sessionid|osCsid)=[^/?#;]*")
_HEX_SESSION = re.compile(r"^[0-9a-fA-F]{24,}$")


def canonical_link(url: str) -> str:
    """A link target as the identity of a text sees it: scheme, ``www.``, default ports and
    volatile parameters (session ids, cache busters) folded, Cloudflare's per-capture e-mail
    protection hex dropped. Relative links resolved against ``http://www.x.com:80/p`` or
    ``https://x.com/p`` come out the same."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    if parts.scheme.lower() not in ("http", "https", "") or not parts.netloc:
        return url
    host = _WWW.sub("", (parts.hostname or "").lower())
    if port and port not in (80, 443):
        host += f":{port}"
    path = _SESSION_PATH.sub("", parts.path)
    if "/cdn-cgi/l/email-protection" in path:
        return f"//{host}/cdn-cgi/l/email-protection"
    kept = []
    for pair in parts.query.split("&") if parts.query else []:
        name, _, value = pair.partition("=")
        low = name.lower()
        if low in VOLATILE_PARAMS or low.startswith(("utm_", "aspsessionid")):
            continue
        if low in ("v", "ver", "t", "ts", "s") and (_CACHE_VALUE.match(value) or
                                                    _HEX_SESSION.match(value)):
            continue
        if _HEX_SESSION.match(value) and ("sid" in low or "sess" in low or "token" in low):
            continue
        kept.append(pair)
    out = f"//{host}{path or '/'}"
    if kept:
        out += "?" + "&".join(kept)
    if parts.fragment:
        out += "#" + parts.fragment
    return out


def normalize_text(markdown: str) -> str:
    """The text a version is identified by (and that changes are measured on).

    Two captures are the same version when this is equal: Unicode compatibility forms (NFKC),
    curly and straight quotes, no-break and other spaces, and runs of white space are folded,
    and every URL (link targets included) is replaced by :func:`canonical_link`. What a reader
    sees (words, headings, lists, emphasis, link texts and where links point) still counts.
    """
    text = unicodedata.normalize("NFKC", markdown)
    for quote, plain in _QUOTES:  # str.replace: a dict translate walks the text in Python's slow path
        text = text.replace(quote, plain)
    text = _canonical_urls(text)
    return " ".join(text.split())  # re.sub(r"\s+", " ", text).strip(): \s is str.isspace()


def _canonical_urls(text: str) -> str:
    """``_URL.sub(lambda m: canonical_link(m.group(0)), text)``: the same matches, tried only
    where a "//" is (the leftmost match first, as re.sub finds them)."""
    parts, done = [], 0
    at = text.find("//")
    while at != -1:
        for start in (at - 6, at - 5, at):
            m = _URL.match(text, start) if start >= done else None
            if m:
                parts += (text[done:start], canonical_link(m.group(0)))
                done = m.end()
                break
        at = text.find("//", max(done, at + 1))
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


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


@lru_cache(maxsize=64)
def _policies_root(out: Path) -> Path:
    return (out / "policies").resolve()


def version_path(out: Path, site: str, timestamp: str) -> Path:
    """Where a version file goes: OUT/policies/<site>/<timestamp>.md, always inside OUT. The
    site's folder name is :func:`safe_component` (no separator, never '..') and the file name a
    checked timestamp, so only a symlinked site folder could lead out: that one is resolved."""
    parse_timestamp(timestamp)
    root = _policies_root(Path(out).absolute())  # absolute: a relative OUT is the cwd's
    folder = root / safe_component(site)
    if folder.is_symlink() and root not in folder.resolve().parents:
        raise ValueError(f"site name {site!r} would write outside {root}")
    return folder / f"{timestamp}.md"
