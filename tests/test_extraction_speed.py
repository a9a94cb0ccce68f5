"""The extractor's speed-ups give the answers of the code they replace (pipelines/extract/fastclean.py)."""

from __future__ import annotations

import json
import random

import pytest
import readability.readability as readability_module

from pipelines.extract import fastclean
from pipelines.extract.html import extract_policy
from conftest import CITP, SHARED

WHITESPACE = [" ", "  ", "\t", "\n", "\r", "\r\n", "\x0b", "\x0c", "\xa0", "\u2003", "\u3000", " \t \n "]


def test_readability_uses_the_fast_clean():
    """Importing the extractor installs it: readability's scoring calls the module's global."""
    assert readability_module.clean is fastclean.clean
    assert fastclean._original_clean is not fastclean.clean


def test_fast_clean_equals_readabilitys_on_random_whitespace():
    rng = random.Random(20261204)
    words = ["a", "Privacy", "é", "x.y", "", "—", "1."]
    for _ in range(20_000):
        parts = []
        for _ in range(rng.randint(0, 12)):
            if rng.random() < 0.5:
                parts.append(rng.choice(words))
            else:
                run = "".join(rng.choice(WHITESPACE) for _ in range(rng.randint(1, 6)))
                parts.append(run * (300 if rng.random() < 0.02 else 1))  # runs past readability's 255
        text = "".join(parts)
        assert fastclean.clean(text) == fastclean._original_clean(text), repr(text)


def test_fast_clean_equals_readabilitys_on_the_texts_real_pages_hand_it(monkeypatch):
    """Every text readability measures while extracting real pages, cleaned both ways."""
    pages = sorted(p for p in CITP.glob("*/page.html"))
    pages += sorted((SHARED / "corpus" / "modern-pairs").glob("*Privacy*/page.html"))[:6]
    if not pages:
        pytest.skip(f"{SHARED} is missing")
    seen: list[str] = []

    def recording(text):
        seen.append(text)
        return fastclean.clean(text)

    monkeypatch.setattr(readability_module, "clean", recording)
    for page in pages:
        meta = json.loads((page.parent / "meta.json").read_text())
        url = meta.get("url") or meta.get("original_url") or "http://example.test/"
        extract_policy(page.read_bytes(), None, url)
    assert len(seen) > 1000
    mismatched = [t for t in set(seen) if fastclean.clean(t) != fastclean._original_clean(t)]
    assert not mismatched, repr(mismatched[0][:300])
