"""Pure decisions on capture rows (a CDX listing or a WARC file's records): which payloads to fetch.

No I/O here (the corpus is asked through the ``known`` callback), so every rule tests in
milliseconds:

* one fetch per (status, digest) of a urlkey, whatever spelling of the URL a capture was listed
  under; redirects per original URL (their bodies are empty or generic);
* a ``warc/revisit`` row takes the key and the mimetype of the capture it repeats (in the same
  answer, else in the corpus), so a PDF listed only as revisits is known to be a PDF;
* which mimetypes hold text we extract (HTML, plain text, XML, PDF) and which are skipped
  without a fetch;
* which dates are asked for (``--from``/``--to`` padded to 14 digits) and sampled (``--every``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable
from urllib.parse import urlsplit

from pipelines.captures import CdxRecord

HTML_MIMES = ("text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml")
PDF_MIMES = ("application/pdf", "application/x-pdf")
TEXT_MIMES = HTML_MIMES + PDF_MIMES
UNKNOWN_MIMES = ("", "unk", "-", "unknown", "warc/revisit", "application/octet-stream")
_BINARY_PATH = re.compile(r"(?i)\.(png|jpe?g|gif|webp|svg|ico|bmp|tiff?|woff2?|ttf|otf|eot|css|js|"
                          r"mp[34]|webm|avi|mov|zip|gz|tgz|rar|7z|exe|dmg|swf)$")


@dataclass(frozen=True)
class Planned:
    """A CDX row with the key its payload is fetched under and its effective mimetype."""

    record: CdxRecord
    payload_key: str
    mimetype: str  # a revisit's is the original capture's, when known

    @property
    def is_textual(self) -> bool:
        if self.record.is_redirect:
            return True
        if (self.mimetype or "").lower() in UNKNOWN_MIMES and _BINARY_PATH.search(
                urlsplit(self.record.url).path):
            return False  # type unknown, but the URL names an image, font, script or stylesheet
        return is_textual_mime(self.mimetype)


def is_textual_mime(mimetype: str | None) -> bool:
    """Whether a capture may hold text we extract (unknown types are fetched to find out)."""
    mime = (mimetype or "").split(";")[0].strip().lower()
    return mime in UNKNOWN_MIMES or mime.startswith(TEXT_MIMES)


Known = Callable[[str, str], "tuple[str, str] | None"]  # (digest, key_url) -> (key, mimetype)


def plan_keys(records: Iterable[CdxRecord], known: Known | None = None) -> list[Planned]:
    """Payload keys and effective mimetypes of CDX rows, in order.

    A revisit repeats the payload of an earlier capture with the same digest in the same urlkey:
    it takes that capture's key (so it is never fetched separately) and its mimetype.
    """
    originals: dict[tuple[str, str], tuple[str, str]] = {}
    rows = list(records)
    for r in rows:  # the whole answer first: an original listed after its revisit still counts
        if not r.is_revisit and not r.is_redirect and r.status is not None and r.status < 300:
            originals.setdefault((r.digest, r.key_url), (r.payload_key, r.mimetype))
    out = []
    for r in rows:
        key, mime = r.payload_key, r.mimetype
        if r.is_revisit:
            found = originals.get((r.digest, r.key_url)) or (known(r.digest, r.key_url)
                                                             if known else None)
            if found:
                key, mime = found
        out.append(Planned(r, key, mime))
    return out


def fetchable(planned: Iterable[Planned]) -> list[Planned]:
    """Rows whose payload is worth a request: content, revisits and redirects (not 4xx/5xx)."""
    return [p for p in planned
            if p.record.is_revisit or (p.record.status is not None and p.record.status < 400)]


# -- which dates: --from/--to and --every sampling ----------------------------------------
def parse_every(every: str | None) -> int | None:
    """'6m' -> 6, '1y' -> 12 (months per sampling interval); None/'' -> no sampling."""
    if not every:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*([my])\s*", every.lower())
    if not m or int(m.group(1)) == 0:
        raise ValueError(f"--every takes a period like 6m or 1y, got {every!r}")
    n = int(m.group(1))
    return n * 12 if m.group(2) == "y" else n


def pad_timestamp(value: str | None, high: bool) -> str | None:
    """'2015' -> '20150101000000' (low) or '20151231235959' (high)."""
    if not value:
        return None
    digits = re.sub(r"[^0-9]", "", str(value))
    if not digits or len(digits) > 14 or len(digits) < 4:
        raise ValueError(f"a date must be YYYY[MM[DD[hhmmss]]], got {value!r}")
    if high:
        tail = "1231235959"
        out = digits + tail[len(digits) - 4:]
        if len(digits) == 6:  # YYYYMM: the end of that month
            out = digits + "31235959"
        return out[:14]
    return (digits + "0101000000"[len(digits) - 4:])[:14]


def interval_of(timestamp: str, months: int) -> int:
    return (int(timestamp[:4]) * 12 + int(timestamp[4:6]) - 1) // months
