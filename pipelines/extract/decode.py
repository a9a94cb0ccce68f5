"""Bytes to the text a browser shows: charsets (BOM, HTTP, <meta>, detection), XML declarations,
Cloudflare's protected e-mail addresses."""

from __future__ import annotations

import re

from charset_normalizer import from_bytes
from w3lib.encoding import html_to_unicode


def _detect_encoding(body: bytes) -> str | None:
    best = from_bytes(body[:200_000]).best()
    return best.encoding if best else None


_SINGLE_BYTE_WESTERN = {"cp1252", "latin-1", "iso8859-1", "iso-8859-1", "ascii", "windows-1252",
                        "iso8859-15", "iso-8859-15"}


def decode_html(body: bytes, content_type: str | None) -> tuple[str, str]:
    """Decode a page: BOM, HTTP charset, <meta> charset, then statistical detection.

    A page declared Latin-1/Windows-1252 whose bytes are valid UTF-8 with multi-byte sequences is
    UTF-8 (a common mislabel; real Latin-1 text almost never forms valid UTF-8).
    """
    encoding, text = html_to_unicode(content_type, body, auto_detect_fun=_detect_encoding)
    if encoding.lower() in _SINGLE_BYTE_WESTERN and not body.isascii():
        try:
            text, encoding = body.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    return strip_xml_declaration(text), encoding


_XML_DECLARATION = re.compile(r"^\ufeff?\s*<\?xml[^>]*\?>", re.I)


def strip_xml_declaration(html: str) -> str:
    """XHTML pages often start with ``<?xml version="1.0" encoding="utf-8"?>``: once decoded,
    lxml refuses such a string ("Unicode strings with encoding declaration are not supported"),
    which emptied both extraction and link discovery. The text is already decoded: drop it."""
    return _XML_DECLARATION.sub("", html, count=1)


_CF_ELEMENT = re.compile(r"(?is)<(a|span)\b([^>]*?)\bdata-cfemail=[\"']([0-9a-f]+)[\"']([^>]*)>.*?</\1>")
_CF_ANCHOR = re.compile(r"(?is)<a\b([^>]*?)href=([\"'])(?:https?://[^\"'/]*)?/cdn-cgi/l/"
                        r"email-protection#([0-9a-f]+)\2([^>]*)>(.*?)</a>")
_CF_PLACEHOLDER = re.compile(r"(?i)\[email(?:&#160;|&nbsp;|\s|\u00a0)*protected\]")


def cloudflare_email(hex_string: str) -> str | None:
    """Decode Cloudflare's e-mail protection: the first byte is the XOR key of the others."""
    try:
        data = bytes.fromhex(hex_string)
    except ValueError:
        return None
    if len(data) < 2:
        return None
    text = bytes(b ^ data[0] for b in data[1:]).decode("utf-8", "replace")
    return text if "@" in text or text.isprintable() else None


def decode_cloudflare_emails(html: str) -> str:
    """Put back the addresses Cloudflare hides on every capture under a new hex string
    (``/cdn-cgi/l/email-protection#<hex>``, ``data-cfemail``): the reader's text, not noise."""
    if "cdn-cgi/l/email-protection" not in html and "data-cfemail" not in html:
        return html

    def element(m: re.Match) -> str:
        email = cloudflare_email(m.group(3))
        if email is None:
            return m.group(0)
        safe = email.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
        return f'<a href="mailto:{safe}">{safe}</a>' if m.group(1).lower() == "a" else safe

    def anchor(m: re.Match) -> str:
        email = cloudflare_email(m.group(3))
        if email is None:
            return m.group(0)
        safe = email.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
        inner = _CF_PLACEHOLDER.sub(safe, m.group(5))
        return f'<a{m.group(1)}href="mailto:{safe}"{m.group(4)}>{inner}</a>'

    html = _CF_ELEMENT.sub(element, html)
    return _CF_ANCHOR.sub(anchor, html)
