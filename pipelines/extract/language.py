"""Which language a text is in (py3langid), and words as the extractor counts them.

py3langid ships its model LZMA-compressed: unpacking it costs about half a second of CPU in every
process that detects a language (each ingest, reextract and crawl, before its workers can start).
The model is unpacked once per model (known by its content) into the user's cache
(``~/.cache/palimpsest/langid-*``, one ``.npy`` file per array) and mapped from there,
read-only: loading is then a few milliseconds and the pages are shared by every process that
maps them. Where the cache cannot be
written, the model is loaded as py3langid loads it."""

from __future__ import annotations

import codecs
import hashlib
import logging
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path

import lxml.html

from pipelines.files import user_cache

logger = logging.getLogger(__name__)


# A word is a run of \w (re's word characters: str.isalnum() or "_"). Counting them with re
# walks the text one character at a time in re's engine (an eighth of an extraction's CPU: each
# page's text is counted several times). Here the text becomes one byte per character, "a" for
# a word character and a space otherwise (bytes.translate, in C), and the words are the places
# where an "a" follows a space; the characters outside ASCII are classed by the encoder's error
# handler, one run of them at a time. Measured on the 1,490 real legal texts and articles of
# ../shared/corpus/real-pages, in many scripts: a quarter of re's time, the same counts.
_ASCII_CLASS = bytes(97 if (chr(i).isalnum() or i == 95) else 32 for i in range(128)) + b" " * 128


def _class_non_ascii(exc: UnicodeEncodeError) -> tuple[str, int]:
    return "".join(["a" if ch.isalnum() else " " for ch in exc.object[exc.start:exc.end]]), exc.end


codecs.register_error("palimpsest-word-class", _class_non_ascii)


def word_count(text: str) -> int:
    r"""len(re.findall(r"\w+", text)), counted in C."""
    classes = text.encode("ascii", "palimpsest-word-class").translate(_ASCII_CLASS)
    return classes.count(b" a") + (classes[:1] == b"a")


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of a text's language (py3langid: the maintained langid.py, model shipped
    in the package), or None for too little text."""
    sample = re.sub(r"\]\([^)]*\)|https?://\S+", " ", text[:2500])[:1500]  # enough to tell
    if word_count(sample) < 5:
        return None
    return _classify(sample)


@lru_cache(maxsize=512)
def _classify(sample: str) -> str:
    """py3langid's answer for one sample. Remembered: successive captures of one policy mostly
    begin alike (an amendment is rarely in its first 1,500 characters, an HTML-only change
    leaves the text as it was), and py3langid walks every byte of the sample in Python (about
    1 ms, an eighth of an extraction); a worker keeps its last 512 samples' answers."""
    import py3langid.langid

    if py3langid.langid.IDENTIFIER is None:
        py3langid.langid.IDENTIFIER = _mapped_identifier()  # None: py3langid loads its own
    return py3langid.langid.classify(sample)[0]


_ARRAYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")


def _unpack_model(model: Path, folder: Path) -> None:
    """The model's arrays as .npy files in ``folder``, which appears whole or not at all."""
    import numpy as np
    from py3langid.modelio import load_model

    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".langid-", dir=folder.parent))
    try:
        ptc, pc, classes, nextmove, row, out_feat = load_model(model)
        values = (ptc, pc, np.array(classes), np.frombuffer(nextmove, dtype=f"u{nextmove.itemsize}"),
                  np.frombuffer(row, dtype=f"u{row.itemsize}"), np.array(out_feat, dtype=np.int32))
        for name, value in zip(_ARRAYS, values):
            np.save(work / f"{name}.npy", value, allow_pickle=False)
        os.replace(work, folder)
    except OSError:
        if not (folder / "out_feat.npy").exists():  # not another process having written it first
            raise
    finally:
        if work.exists():
            for f in work.iterdir():
                f.unlink()
            work.rmdir()


def _mapped_identifier():
    """py3langid's identifier over its model's arrays mapped from the user's cache (unpacked
    there first when missing), or None when the cache cannot be used."""
    try:
        import numpy as np
        import py3langid
        from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

        model = MODEL_DIR / MODEL_FILE
        with open(model, "rb") as f:  # by content, not mtime: every new venv has the same model
            key = hashlib.file_digest(f, "sha1").hexdigest()[:16]  # 4.5 MB: a few ms
        folder = user_cache(f"langid-{py3langid.__version__}-{key}")
        if not (folder / "out_feat.npy").exists():
            _unpack_model(model, folder)
        a = {name: np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
             for name in _ARRAYS}
        # the walk over a text's bytes indexes these per byte: memoryviews of the mapped pages
        # give Python ints as fast as py3langid's own arrays, with no copy
        return LanguageIdentifier(a["ptc"], np.asarray(a["pc"]), a["classes"].tolist(),
                                  memoryview(a["nextmove"]), a["out_feat"].tolist(),
                                  tk_row=memoryview(a["nextmove_row"]))
    except (OSError, ValueError, ImportError, AttributeError) as exc:
        logger.debug("language model cache not used (%s): py3langid loads its own", exc)
        return None


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
