"""Readability as the paper scored it: py-readability-metrics 1.4.5's Flesch-Kincaid grade, Flesch
reading ease (and its category) and SMOG on its 30-sentence sample, over the same statistics
(NLTK's TweetTokenizer words without single punctuation marks, its syllable rule, NLTK Punkt
sentences). No score under 100 words; no SMOG under 30 sentences.

py-readability-metrics itself cannot be installed beside the extractor: both it and
readability-lxml are the top-level package ``readability``, and installing one overwrites the
other. Its formulas are therefore followed here, line for line, and ``tests/test_analysis.py``
runs the package itself, installed in a separate folder (``.ci/run``), on the same texts and
requires the same numbers."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from pipelines.analysis.language import ready_nltk

_PUNCTUATION = re.compile(r"^[.,\/#!$%\'\^&\*;:{}=\-_`~()]$")


def syllables(word: str) -> int:
    """readability/text/syllables.py's count."""
    word = word.lower()
    if len(word) <= 3:
        return 1
    word = re.sub("(?:[^laeiouy]es|[^laeiouy]e)$", "", word)
    word = re.sub("^y", "", word)
    return len(re.findall("[aeiouy]{1,2}", word))


@lru_cache(maxsize=1)
def _tweet_tokenizer():
    from nltk.tokenize import TweetTokenizer

    return TweetTokenizer()


@dataclass(frozen=True)
class Statistics:
    words: int
    syllables: int
    poly_syllable_words: int
    sentences: list[str]


def statistics(text: str) -> Statistics:
    """readability/text/analyzer.py's counts."""
    nltk = ready_nltk()
    words = syll = poly = 0
    for token in _tweet_tokenizer().tokenize(text):
        if _PUNCTUATION.match(token):
            continue
        words += 1
        n = syllables(token)
        syll += n
        poly += n >= 3
    return Statistics(words, syll, poly, nltk.sent_tokenize(text))


def flesch_kincaid(s: Statistics) -> float:
    return 0.38 * (s.words / len(s.sentences)) + 11.8 * (s.syllables / s.words) - 15.59


def flesch(s: Statistics) -> float:
    return 206.835 - 1.015 * (s.words / len(s.sentences)) - 84.6 * (s.syllables / s.words)


def flesch_ease(score: float) -> str:
    """readability/scorers/flesch.py's categories (its bounds, gaps included)."""
    if 90 <= score <= 100:
        return "very_easy"
    if 80 <= score < 90:
        return "easy"
    if 70 <= score < 80:
        return "fairly_easy"
    if 60 <= score < 70:
        return "standard"
    if 50 <= score < 60:
        return "fairly_difficult"
    if 30 <= score < 50:
        return "difficult"
    return "very_confusing"


def smog(s: Statistics) -> float:
    """SMOG on the 30-sentence sample: the first, middle and last ten sentences."""
    sentences = s.sentences
    mid = len(sentences) // 2
    sample = " ".join(sentences[:10] + sentences[mid - 5:mid + 5] + sentences[-10:])
    poly = statistics(sample).poly_syllable_words
    return 1.0430 * math.sqrt(30 * poly / 30) + 3.1291


def readability(text: str) -> tuple[float | None, float | None, str | None, float | None]:
    """(Flesch-Kincaid grade, Flesch reading ease, its category, SMOG); None where the package
    declines to score."""
    s = statistics(text)
    if s.words < 100 or not s.sentences:
        return None, None, None, None
    fre = flesch(s)
    return flesch_kincaid(s), fre, flesch_ease(fre), (smog(s) if len(s.sentences) >= 30 else None)
