"""The seed format: golden header lines from the seed documents and the citp-dev references."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import pytest

from conftest import CITP, SHARED
from pipelines.seedformat import (header_line, read_document, render_document, safe_component,
                                  text_hash, version_path)

SEED_DOCS = sorted((SHARED / "seed-documents").glob("*.txt"))


def test_seed_documents_present():
    if not SEED_DOCS:
        pytest.skip("../shared/seed-documents missing")
    headed = [p for p in SEED_DOCS if read_document(p.read_text(encoding="utf-8")).site]
    assert len(headed) == 3 and len(SEED_DOCS) == 5  # two are plain text without a header


@pytest.mark.parametrize("path", SEED_DOCS, ids=lambda p: p.name)
def test_seed_document_header_reproduced(path: Path):
    text = path.read_text(encoding="utf-8")
    doc = read_document(text)
    if doc.site is None:
        assert doc.body == text  # accepted as plain text
        return
    url = unquote(doc.link.split("id_/", 1)[1])
    assert header_line(doc.site, doc.timestamp, url) == text.split("\n", 1)[0]


@pytest.mark.parametrize("name", sorted(p.name for p in CITP.iterdir() if p.is_dir()) if CITP.exists() else [])
def test_citp_header_reproduced(name: str):
    meta = json.loads((CITP / name / "meta.json").read_text())
    first = (CITP / name / "reference.md").read_text(encoding="utf-8").split("\n", 1)[0]
    assert header_line(meta["domain"], meta["timestamp"], meta["original_url"]) == first


def test_render_and_read_round_trip():
    doc = render_document("hasin.wordpress.com", "20100203040506", "https://en.wikipedia.org/wiki/X",
                          "# Title\n\nBody.\n\n\n")
    assert doc.endswith("Body.\n")
    back = read_document(doc)
    assert (back.site, back.timestamp, back.body) == ("hasin.wordpress.com", "20100203040506",
                                                      "# Title\n\nBody.\n")


def test_text_hash_ignores_whitespace_and_quote_variants():
    assert text_hash("We \u201cshare\u201d  data.\n") == text_hash('We "share" data.')
    assert text_hash("We\u00a0share data") == text_hash("We share data")
    assert text_hash("We share data") != text_hash("We sell data")


@pytest.mark.parametrize("site", ["../../etc", "a/b", "/abs", "..", "", "ü.example", "x" * 300])
def test_version_paths_stay_inside_out(tmp_path: Path, site: str):
    p = version_path(tmp_path, site, "20200101000000")
    assert (tmp_path / "policies").resolve() in p.parents
    assert p.parent.parent == (tmp_path / "policies").resolve()
    assert safe_component(site) not in ("", ".", "..")


def test_distinct_unsafe_names_do_not_collide():
    assert safe_component("a/b") != safe_component("a_b")
    assert safe_component("example.com") == "example.com"


def test_a_symlinked_site_folder_cannot_lead_out_of_out(tmp_path: Path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (tmp_path / "out" / "policies").mkdir(parents=True)
    (tmp_path / "out" / "policies" / "evil.example").symlink_to(outside)
    with pytest.raises(ValueError, match="outside"):
        version_path(tmp_path / "out", "evil.example", "20200101000000")
    inside = tmp_path / "out" / "policies" / "real.example"
    inside.mkdir()
    (tmp_path / "out" / "policies" / "alias.example").symlink_to(inside)
    assert version_path(tmp_path / "out", "alias.example", "20200101000000").name == "20200101000000.md"


def test_a_relative_out_is_the_current_folders(tmp_path: Path, monkeypatch):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        monkeypatch.chdir(tmp_path / name)
        assert version_path(Path("out"), "x.example", "20200101000000") == \
            (tmp_path / name / "out" / "policies" / "x.example" / "20200101000000.md").resolve()
