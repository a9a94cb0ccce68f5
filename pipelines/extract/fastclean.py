"""readability-lxml's whitespace clean-up, the same answer at a third of the cost.

readability-lxml measures every candidate's text as ``len(clean(el.text_content()))``, and its
``clean`` runs three regular expressions over the whole text (runs of 255 or more whitespace
characters to 255 spaces, a run holding a newline to one newline, a tab or a run of spaces and
tabs to one space). On policy pages the texts are long and measured many times over (every
ancestor of every paragraph): a fifth of the extractor's CPU went there.

All three act inside one run of whitespace and never across its ends, so the text is cleaned by
rewriting each run that can change (two characters or more, or a lone tab) with readability's own
expressions applied to that run alone, remembered, since the same indentation recurs thousands of
times a page. tests/test_extraction_speed.py holds it to readability's function on random
whitespace and on every text the development pages hand it.
"""

from __future__ import annotations

import re

import readability.readability as _readability

_original_clean = _readability.clean
_CHANGING_RUN = re.compile(r"\s{2,}|\t")
_runs: dict[str, str] = {}


def _run(match: re.Match) -> str:
    run = match.group()
    cleaned = _runs.get(run)
    if cleaned is None:
        cleaned = _original_clean("x" + run + "x")[1:-1]  # readability's own rules, on the run alone
        if len(_runs) < 100_000:
            _runs[run] = cleaned
    return cleaned


def clean(text: str) -> str:
    """readability.readability.clean(text), in one pass."""
    return _CHANGING_RUN.sub(_run, text).strip()


def install() -> None:
    """Make readability-lxml use this clean (its scoring calls the module's global)."""
    _readability.clean = clean
