"""Extraction on the real citp-dev pages (measured against the reference corpus) and charsets."""

from __future__ import annotations

import json
import sys

import pytest

from conftest import CITP, REPO
from pipelines.extraction import decode_html, extract_policy
from pipelines.seedformat import read_document

sys.path.insert(0, str(REPO / "bench"))
from extraction import token_f1, verbatim_share  # noqa: E402

PAGES = sorted(p.name for p in CITP.iterdir() if p.is_dir()) if CITP.exists() else []


@pytest.mark.parametrize("name", PAGES)
def test_citp_page_close_to_reference(name):
    d = CITP / name
    meta = json.loads((d / "meta.json").read_text())
    ref = read_document((d / "reference.md").read_text(encoding="utf-8")).body
    out = extract_policy((d / "page.html").read_bytes(), "text/html", meta["original_url"])
    assert out.markdown.split("\n", 1)[0] == ref.split("\n", 1)[0]  # '# <title>' line
    assert token_f1(out.markdown, ref) >= 0.99
    assert verbatim_share(out.markdown, ref) >= 0.85
    assert out.words > 100 and out.reason is None


def test_mislabelled_utf8_is_read_as_utf8():
    page = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'
            '<title>P</title></head><body><p>\u2022 We keep data \u2014 safely.</p></body></html>').encode()
    text, enc = decode_html(page, None)
    assert enc == "utf-8" and "\u2022 We keep data \u2014 safely." in text


@pytest.mark.parametrize("encoding,sample", [
    ("cp1251", "Политика конфиденциальности. Мы собираем ваши персональные данные только с вашего согласия "
               "и никогда не передаём их третьим лицам без законного основания."),
    ("shift_jis", "プライバシーポリシー。当社はお客様の個人情報を適切に取り扱い、法令に基づく場合を除き、"
                  "ご本人の同意なく第三者に提供することはありません。"),
])
def test_pages_without_charset_are_detected(encoding, sample):
    html = f"<html><head><title>T</title></head><body><div><p>{sample}</p><p>{sample}</p></div></body></html>"
    out = extract_policy(html.encode(encoding), "text/html", "http://x.example/p")
    assert sample in out.markdown.replace("\n", " ")


def test_empty_and_non_html_payloads_have_reasons():
    assert extract_policy(b"", "text/html", "http://x/").reason == "empty page"
    pdf = extract_policy(b"%PDF-1.4 ...", "application/pdf", "http://x/p.pdf")
    assert pdf.markdown == "" and "unreadable PDF" in pdf.reason  # a broken PDF: a reason
    image = extract_policy(b"\x89PNG...", "image/png", "http://x/p.png")
    assert image.markdown == "" and "not HTML" in image.reason
    nav_only = extract_policy(b"<html><head><title>T</title></head><body><script>x()</script></body></html>",
                              "text/html", "http://x/")
    assert nav_only.markdown == "" and nav_only.reason
