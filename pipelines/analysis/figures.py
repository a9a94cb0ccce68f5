"""One text's analysis figures, computed once per text (texts never change under their hash) and
kept in the corpus (``text_figures_v1``), in one process per core for the texts not measured yet."""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache

from pipelines.analysis import definitions as d
from pipelines.analysis.language import lemmatized, word_tokens
from pipelines.analysis.scores import readability
from pipelines.workers import worker_setup


@lru_cache(maxsize=1)
def _phrases() -> list[str]:
    # the paper lemmatises each phrase word by word, split on spaces
    from pipelines.analysis.language import lemma

    return [" ".join(lemma(w) for w in p.split(" ")) for p in d.GDPR_PHRASES]


def text_figures(markdown: str) -> dict:
    """words, readability, strict and simhash hashes, and the terms it matches, of one stored
    text (the policy text: without its title line)."""
    text = d.policy_text(markdown)
    fk, fre, ease, smog = readability(text)
    return {
        "words": d.word_count(text),
        "flesch_kincaid": fk, "flesch": fre, "flesch_ease": ease, "smog": smog,
        "sha1": d.strict_hash(text),
        "simhash": format(d.simhash(word_tokens(text)), "016x"),
        "terms": d.matched_terms(text, d.links_of(markdown), lemmatized(text), _phrases()),
    }


def _batch(jobs: list[tuple[str, str]]) -> list[tuple[str, dict]]:
    return [(h, text_figures(md)) for h, md in jobs]


def measure_texts(store, hashes: list[str], workers: int | None = None) -> tuple[dict[str, dict], int]:
    """(the figures of these texts, how many were measured now): from the corpus where kept,
    computed (and kept) otherwise."""
    known = store.text_figures.get_many(hashes)
    todo = [h for h in dict.fromkeys(hashes) if h not in known]
    if not todo:
        return known, 0
    n = min(workers or os.cpu_count() or 1, max(1, len(todo) // 8))
    batches = [todo[i:i + 32] for i in range(0, len(todo), 32)]
    if n <= 1:
        for batch in batches:
            _keep(store, known, _batch([(h, store.text(h)) for h in batch]))
        return known, len(todo)
    with ProcessPoolExecutor(n, initializer=worker_setup) as pool:
        # a few batches per process in flight: the texts read from the index stay few in memory
        pending = deque()
        for batch in batches:
            pending.append(pool.submit(_batch, [(h, store.text(h)) for h in batch]))
            if len(pending) >= 3 * n:
                _keep(store, known, pending.popleft().result())
        while pending:
            _keep(store, known, pending.popleft().result())
    return known, len(todo)


def _keep(store, known: dict, rows: list[tuple[str, dict]]) -> None:
    store.text_figures.put(rows)
    known.update(rows)
