"""Policies published as PDF: their text with pypdf."""

from __future__ import annotations

import io
import re

from pipelines.extract.language import guess_language, word_count as _word_count
from pipelines.items import ExtractedText
from pipelines.seedformat import text_hash

PDF_EXTRACTOR_VERSION = "pypdf/1"


def extract_pdf(body: bytes, url: str, max_bytes: int = 20_000_000) -> ExtractedText:
    """A policy published as PDF: its text with pypdf (pure Python, maintained), one paragraph per
    block of lines, the document title (metadata, else the first line) as ``# title``."""
    if len(body) > max_bytes:
        return ExtractedText("", "", "", 0, None, "", PDF_EXTRACTOR_VERSION,
                             reason=f"PDF larger than {max_bytes} bytes: skipped")
    from pypdf import PdfReader  # imported when a PDF comes: 56 ms of every command's start-up
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(body))
        pages = [page.extract_text() or "" for page in reader.pages]
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        return ExtractedText("", "", "", 0, None, "", PDF_EXTRACTOR_VERSION,
                             reason=f"unreadable PDF: {exc}")
    paragraphs: list[str] = []
    for page_text in pages:
        for block in re.split(r"\n\s*\n", page_text.replace("\r", "")):
            line = re.sub(r"[ \t]*\n[ \t]*", " ", block).strip()
            line = re.sub(r"[ \t]{2,}", " ", line)
            if line:
                paragraphs.append(line)
    if not paragraphs:
        return ExtractedText("", "", "", 0, None, "", PDF_EXTRACTOR_VERSION,
                             reason="no text in the PDF (scanned image?)")
    title = re.sub(r"\s+", " ", str(meta_title)).strip() or paragraphs[0][:200]
    body_md = "\n\n".join(paragraphs)
    markdown = f"# {title}\n\n{body_md}"
    return ExtractedText(markdown, title, text_hash(markdown), _word_count(body_md),
                         guess_language(None, body_md), "binary", PDF_EXTRACTOR_VERSION)
