"""Extraction: an archived payload (HTML or PDF) to the policy text in the seed format's markdown.

:mod:`decode` (bytes to text), :mod:`html` (the main-content cut and html2text), :mod:`fastclean`
(readability's whitespace clean-up and html2text's escaping, cheaper), :mod:`pdf`, :mod:`language`.
Workers call :func:`extract_to_dict` (a picklable result)."""

from __future__ import annotations

from pipelines.extract.decode import (cloudflare_email, decode_cloudflare_emails, decode_html,
                                      strip_xml_declaration)
from pipelines.extract.html import EXTRACTOR_VERSION, extract_policy
from pipelines.extract.language import detect_language, load_language_model
from pipelines.extract.pdf import PDF_EXTRACTOR_VERSION, extract_pdf

__all__ = ["EXTRACTOR_VERSION", "PDF_EXTRACTOR_VERSION", "cloudflare_email", "decode_cloudflare_emails", "decode_html",
           "detect_language", "extract_pdf", "extract_policy", "extract_to_dict",
           "load_language_model", "strip_xml_declaration"]


def extract_to_dict(body: bytes, content_type: str | None, url: str, max_bytes: int) -> dict:
    """:func:`extract_policy` as a plain dict (what a worker process sends back)."""
    return extract_policy(body, content_type, url, max_bytes).as_dict()
