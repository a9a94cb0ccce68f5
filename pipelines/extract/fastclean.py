"""readability-lxml's whitespace clean-up and html2text's escaping: the same answers, cheaper.

readability-lxml measures every candidate's text as ``len(clean(el.text_content()))``, and its
``clean`` runs three regular expressions over the whole text (runs of 255 or more whitespace
characters to 255 spaces, a run holding a newline to one newline, a tab or a run of spaces and
tabs to one space). On policy pages the texts are long and measured many times over (every
ancestor of every paragraph): a fifth of the extractor's CPU went there.

All three act inside one run of whitespace and never across its ends, so the text is cleaned by
rewriting each run that can change (two characters or more, or a lone tab) with readability's own
expressions applied to that run alone, remembered, since the same indentation recurs thousands of
times a page; and a long text is cleaned once (readability measures the same element's text again
and again: half of the 41 million characters it cleans on the development pages are repeats).

html2text escapes every text it is handed with four expressions (a backslash before a markdown
character, and a number-dot, plus or dash at a line's start); most texts hold none of them, so
one search for what any of the four could match comes first, and only a text it finds is handed
to html2text's own function.

tests/test_extraction_speed.py holds both to the libraries' functions on random strings and on
every text the development pages hand them.
"""

from __future__ import annotations

import re

import html2text as _html2text
import readability.readability as _readability

_original_clean = _readability.clean
_original_escape = _html2text.escape_md_section
_CHANGING_RUN = re.compile(r"\s\s+|\t")  # as \s{2,}|\t, a third faster in sre
_runs: dict[str, str] = {}


def _run(match: re.Match) -> str:
    run = match.group()
    cleaned = _runs.get(run)
    if cleaned is None:
        cleaned = _original_clean("x" + run + "x")[1:-1]  # readability's own rules, on the run alone
        if len(_runs) < 100_000:
            _runs[run] = cleaned
    return cleaned


_texts: dict[str, str] = {}  # long texts already cleaned (readability measures each ancestor again)
_texts_chars = 0
_TEXTS_MAX_CHARS = 4_000_000  # a bound for a caller that never calls forget()


def clean(text: str) -> str:
    """readability.readability.clean(text), in one pass."""
    global _texts_chars
    if len(text) < 256:
        return _CHANGING_RUN.sub(_run, text).strip()
    cleaned = _texts.get(text)
    if cleaned is None:
        cleaned = _CHANGING_RUN.sub(_run, text).strip()
        if _texts_chars + len(text) > _TEXTS_MAX_CHARS:
            forget()
        _texts[text] = cleaned
        _texts_chars += len(text)
    return cleaned


# What any of escape_md_section's expressions can match, or more (its first needs a backslash
# followed by a markdown character; the others, in MULTILINE mode, a line starting with optional
# whitespace and a number and a dot, a plus or a dash).
_MAY_ESCAPE = re.compile(r"\\|^\s*(?:\d+\.|[+-])", re.MULTILINE)


def escape_md_section(text: str, snob: bool = False) -> str:
    """html2text.utils.escape_md_section(text, snob), with one search for texts it leaves alone."""
    if snob or _MAY_ESCAPE.search(text):
        return _original_escape(text, snob=snob)
    return text


def forget() -> None:
    """Drop the long texts remembered (the extractor calls it once readability is done with a page)."""
    global _texts_chars
    _texts.clear()
    _texts_chars = 0


def install() -> None:
    """Make readability-lxml use this clean (its scoring calls the module's global) and html2text
    this escaping (its handle_data calls the name it imported)."""
    _readability.clean = clean
    _html2text.escape_md_section = escape_md_section
