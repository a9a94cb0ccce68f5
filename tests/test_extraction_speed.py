"""The extractor's speed-ups give the answers of the code they replace: readability's clean and
html2text's escaping (pipelines/extract/fastclean.py), word counts, the identity's white space."""

from __future__ import annotations

import json
import random
import re
import sys

import pytest
import html2text
import readability.readability as readability_module

from pipelines.extract import fastclean
from pipelines.extract.html import extract_policy
from pipelines.extract.language import word_count
from pipelines.seedformat import normalize_text
from conftest import CITP, SHARED

WHITESPACE = [" ", "  ", "\t", "\n", "\r", "\r\n", "\x0b", "\x0c", "\xa0", "\u2003", "\u3000", " \t \n "]


def test_readability_uses_the_fast_clean():
    """Importing the extractor installs it: readability's scoring calls the module's global."""
    assert readability_module.clean is fastclean.clean
    assert fastclean._original_clean is not fastclean.clean
    assert html2text.escape_md_section is fastclean.escape_md_section
    assert fastclean._original_escape is html2text.utils.escape_md_section


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


MARKDOWNISH = ["\\", "\\*", "\\.", "1.", "12. ", "+", "+ ", "-", "- ", "--", "\n", "\n  ", " ", "\t",
               "a", "x.y", "#", "*", "_", "(", "]", "\xa0", "\u2003", "3", "é"]


def test_fast_escape_equals_html2texts_on_random_texts():
    rng = random.Random(4)
    for _ in range(30_000):
        text = "".join(rng.choice(MARKDOWNISH) for _ in range(rng.randint(0, 10)))
        for snob in (False, True):
            assert (fastclean.escape_md_section(text, snob=snob)
                    == fastclean._original_escape(text, snob=snob)), repr(text)


def test_fast_escape_equals_html2texts_on_the_texts_real_pages_hand_it(monkeypatch):
    pages = sorted((SHARED / "corpus" / "modern-pairs").glob("*/page.html"))[:12]
    if not pages:
        pytest.skip(f"{SHARED} is missing")
    seen: list[str] = []

    def recording(text, snob=False):
        seen.append(text)
        return fastclean.escape_md_section(text, snob=snob)

    monkeypatch.setattr(html2text, "escape_md_section", recording)
    for page in pages:
        extract_policy(page.read_bytes(), None, json.loads((page.parent / "meta.json").read_text())["url"])
    assert len(seen) > 1000
    assert [t for t in seen if fastclean.escape_md_section(t) != fastclean._original_escape(t)] == []
    assert any(fastclean._original_escape(t) != t for t in seen)  # escapes happen, and are kept


def test_word_count_counts_what_findall_finds():
    rng = random.Random(7)
    alphabet = ["a", "Z", "9", "_", "é", "ß", "中", " ", "\n", "-", ".", "'", "\u0301", "\xa0"]
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 15)))
        assert word_count(text) == len(re.findall(r"\w+", text)), repr(text)


def test_word_count_classes_every_character_as_re_does():
    """Every code point (surrogates included) is a word character for the count exactly when re's
    \w matches it."""
    from pipelines.extract.language import _ASCII_CLASS

    every = "".join(map(chr, range(sys.maxunicode + 1)))
    classes = every.encode("ascii", "palimpsest-word-class").translate(_ASCII_CLASS)
    word = re.compile(r"\w")
    expected = bytes(97 if word.match(c) else 32 for c in every)
    assert len(classes) == len(every)
    assert [hex(i) for i in range(len(every)) if classes[i] != expected[i]] == []
    assert word_count(every) == len(re.findall(r"\w+", every))


def test_the_identitys_white_space_is_what_the_regex_folded():
    """normalize_text folds white space with str.split(): the same characters as re's \\s."""
    assert [c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace() != bool(re.match(r"\s", c))] == []
    text = "a\u2003 b\x1c\x1d c\u3000\n\t d\u200b e\x85f "
    assert normalize_text(text) == re.sub(r"\s+", " ", text).strip()


IDENTITY_URL = re.compile(r"(?i)\b(?:https?:)?//[^\s()<>\[\]\"']+")  # the identity's own pattern


def test_the_identitys_urls_are_what_the_pattern_found():
    """Matches are tried only around each "//": the same text out as the pattern's re.sub, on
    random strings and on every markdown the development pages give."""
    from pipelines.seedformat import _canonical_urls, canonical_link

    def by_regex(text: str) -> str:
        return IDENTITY_URL.sub(lambda m: canonical_link(m.group(0)), text)

    rng = random.Random(11)
    pieces = ["http", "HTTPS", "hTtP", ":", "//", "/", "h", "H", "x", "é", " ", "(", ")", "[", "]",
              "\"", "'", "<", ">", "\n", "a.b", "ftp:", "_", "9", "ſ", "K", "\u212a", "www.A.com:80/p",
              "?sid=0123456789abcdef0123456789&v=2"]
    for _ in range(50_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        assert _canonical_urls(text) == by_regex(text), repr(text)
    texts = [p.read_text(encoding="utf-8") for p in sorted(CITP.glob("*/reference.md"))]
    texts += [extract_policy(p.read_bytes(), "text/html", "https://example.com/privacy").markdown
              for p in sorted(CITP.glob("*/page.html"))]
    texts += [p.read_text(encoding="utf-8") for p in sorted((SHARED / "seed-documents").glob("*"))
              if p.is_file()]
    assert sum(len(IDENTITY_URL.findall(t)) for t in texts) > 40
    for text in texts:
        assert _canonical_urls(text) == by_regex(text)


LANGUAGE_SAMPLES = [
    "This privacy policy explains how we collect, use and share your personal data.",
    "Diese Datenschutzerklärung erläutert, wie wir Ihre personenbezogenen Daten verarbeiten.",
    "Cette politique de confidentialité explique comment nous utilisons vos données personnelles.",
    "Esta política de privacidad explica cómo tratamos sus datos personales y sus derechos.",
    "Questa informativa sulla privacy spiega come trattiamo i tuoi dati personali.",
    "Deze privacyverklaring legt uit hoe wij uw persoonsgegevens verwerken en bewaren.",
    "Настоящая политика конфиденциальности описывает, как мы обрабатываем ваши данные.",
    "本隐私政策说明我们如何收集、使用和保护您的个人信息。",
    "本プライバシーポリシーは、当社がお客様の個人情報をどのように取り扱うかを説明します。",
    "개인정보 처리방침은 회사가 이용자의 개인정보를 어떻게 처리하는지 설명합니다.",
    "سياسة الخصوصية هذه توضح كيف نجمع بياناتك الشخصية ونستخدمها.",
    "Polityka prywatności wyjaśnia, w jaki sposób przetwarzamy Twoje dane osobowe.",
]


def test_the_mapped_language_model_answers_as_py3langids_own(tmp_path, monkeypatch):
    """The model unpacked into the cache and mapped gives py3langid's own answers, scores too;
    a second process-start maps what the first one unpacked."""
    import py3langid.langid as langid
    from pipelines.extract import language

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    mapped = language._mapped_identifier()
    assert mapped is not None
    folders = list((tmp_path / "palimpsest").glob("langid-*"))
    assert len(folders) == 1 and (folders[0] / "nextmove.npy").exists()
    assert not list((tmp_path / "palimpsest").glob(".langid-*"))  # no half-written folder left
    own = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE)
    pages = [(CITP / d / "page.html").read_bytes().decode("utf-8", "replace")[:3000]
             for d in sorted(p.name for p in CITP.iterdir() if p.is_dir())[:20]]
    for text in LANGUAGE_SAMPLES + pages:
        assert mapped.classify(text) == pytest.approx(own.classify(text), abs=1e-4)
    assert {mapped.classify(t)[0] for t in LANGUAGE_SAMPLES} >= {"en", "de", "fr", "es", "ru", "ja"}
    again = language._mapped_identifier()  # from the folder the first call wrote
    assert again.classify(LANGUAGE_SAMPLES[1]) == mapped.classify(LANGUAGE_SAMPLES[1])
    assert len(list((tmp_path / "palimpsest").glob("langid-*"))) == 1


def test_a_model_unpacked_by_another_process_first_is_kept(tmp_path):
    """Two processes that both find no cache unpack it side by side: the one that is second to
    move its folder into place keeps the first one's and leaves no half-made folder behind."""
    import py3langid.langid as langid
    from pipelines.extract import language

    model = langid.MODEL_DIR / langid.MODEL_FILE
    folder = tmp_path / "langid-x"
    language._unpack_model(model, folder)
    first = {f.name: f.stat().st_mtime_ns for f in folder.iterdir()}
    language._unpack_model(model, folder)  # as the slower of two processes would
    assert {f.name: f.stat().st_mtime_ns for f in folder.iterdir()} == first
    assert sorted(first) == sorted(f"{name}.npy" for name in language._ARRAYS)
    assert [p.name for p in tmp_path.iterdir()] == ["langid-x"]


def test_an_unwritable_cache_leaves_py3langid_to_load_its_model(tmp_path, monkeypatch):
    from pipelines.extract import language

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert language._mapped_identifier() is None
    import py3langid.langid as langid

    monkeypatch.setattr(langid, "IDENTIFIER", None)
    language._classify.cache_clear()
    assert language.detect_language(LANGUAGE_SAMPLES[2]) == "fr"
    assert langid.IDENTIFIER is not None  # py3langid's own, loaded from its package
