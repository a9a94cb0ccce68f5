"""Which language a text is in (py3langid), and words as the extractor counts them."""

from __future__ import annotations

import re

import lxml.html


_WORD = re.compile(r"\w+")


def word_count(text: str) -> int:
    r"""len(re.findall(r"\w+", text)), without building the list of words (subn counts them)."""
    return _WORD.subn("", text)[1]


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of a text's language (py3langid: the maintained langid.py, model shipped
    in the package), or None for too little text."""
    sample = re.sub(r"\]\([^)]*\)|https?://\S+", " ", text[:2500])[:1500]  # enough to tell
    if len(re.findall(r"\w+", sample)) < 5:
        return None
    import py3langid

    return py3langid.classify(sample)[0]


def guess_language(doc: lxml.html.HtmlElement | None, text: str) -> str | None:
    """The language of the extracted text; the page's ``<html lang>`` only when the text is too
    short to tell (pages often declare ``en`` and are written in another language)."""
    found = detect_language(text)
    if found:
        return found
    lang = doc.get("lang") if doc is not None else None
    return lang.split("-")[0].split("_")[0].lower()[:8] if lang else None


def load_language_model() -> None:
    """Load the language model now (before worker processes fork: they share its pages)."""
    detect_language("This privacy policy explains how we collect and use personal data.")
