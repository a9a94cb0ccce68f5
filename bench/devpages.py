"""The development pages bench/cost.py measures extraction CPU on (the 198 citp-dev and
modern-pairs pages), read with the standard library only: the trafilatura peer's process imports
nothing of this project (the extractor's import patches readability-lxml and html2text)."""

from __future__ import annotations

import json
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def dev_pages() -> list[tuple[bytes, str]]:
    """(html, url) of the development pages the extraction figure is measured on."""
    pages = []
    for d in sorted((SHARED / "citp-dev").iterdir()):
        if (d / "page.html").exists():
            pages.append(((d / "page.html").read_bytes(), "http://www.example.com/privacy"))
    for d in sorted((SHARED / "modern-pairs").iterdir()):
        if (d / "page.html").exists():
            meta = json.loads((d / "meta.json").read_text())
            pages.append(((d / "page.html").read_bytes(), meta.get("url") or "https://example.invalid/"))
    return pages
