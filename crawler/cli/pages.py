"""Saved pages, one at a time: what the corpus would hold for a page (``palimpsest extract``),
what kind of document it is (``palimpsest classify``) and which of its links leads to the
privacy policy (``palimpsest links``). Users run these to debug extraction and discovery."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

from crawler.discovery import find_policy_links
from pipelines.extract import decode_html, extract_policy
from pipelines.classify.model import THRESHOLD, classify


class PageError(Exception):
    """A file that cannot be read as a page (its message names the file)."""


def read_page(path: str | Path) -> bytes:
    """The bytes of a saved page: HTML, PDF, or either gzipped (``.gz`` or gzip magic)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except IsADirectoryError:
        raise PageError(f"{path}: is a folder, not a page") from None
    except OSError as exc:
        raise PageError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise PageError(f"{path}: damaged gzip file ({exc})") from None
    return data


def extract_file(path: str | Path, url: str | None = None, content_type: str | None = None) -> dict:
    data = read_page(path)
    # no Content-Type: the charset comes from <meta> or detection; a PDF is known by its bytes
    got = extract_policy(data, content_type, url or f"file://{Path(path).resolve()}")
    return {"path": str(path), "markdown": got.markdown, "title": got.title,
            "extractor": got.extractor, "words": got.words, "language": got.language,
            "encoding": got.encoding, "reason": got.reason}


def classify_file(path: str | Path, url: str | None = None, content_type: str | None = None) -> dict:
    got = extract_file(path, url, content_type)
    if not got["markdown"]:
        return {"path": str(path), "policy": False, "probability": 0.0, "kind": "other",
                "language": None, "reason": got["reason"] or "no text"}
    verdict = classify(got["markdown"], got["title"])
    return {"path": str(path), "policy": verdict.probability >= THRESHOLD,
            "probability": round(verdict.probability, 4), "kind": verdict.kind,
            "language": got["language"],
            "title": got["title"]}


def links_file(path: str | Path, page_url: str) -> list[dict]:
    data = read_page(path)
    html, _ = decode_html(data, None)
    return [{"href": c.href, "text": c.text, "score": c.score, "why": c.why}
            for c in find_policy_links(html, page_url)]


def as_line(obj: dict, jsonl: bool) -> str:
    if jsonl:
        return json.dumps(obj, ensure_ascii=False)
    return "\t".join("" if v is None else str(v) for v in obj.values())


# -- the commands ---------------------------------------------------------------------------
def _each_page(args, one) -> int:
    """Run ``one(path)`` on each file: a bad file gets one line naming it, the rest go on."""
    failed = 0
    for path in args.files:
        try:
            result = one(path)
        except PageError as exc:
            print(f"palimpsest: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(as_line(result, args.jsonl))
    return 1 if failed else 0


def cmd_extract(args) -> int:
    return _each_page(args, lambda p: extract_file(p, args.url, args.content_type))


def cmd_classify(args) -> int:
    return _each_page(args, lambda p: classify_file(p, args.url, args.content_type))


def cmd_links(args) -> int:
    try:
        found = links_file(args.file, args.url)
    except PageError as exc:
        print(f"palimpsest: {exc}", file=sys.stderr)
        return 1
    for cand in found:
        print(as_line(cand, args.jsonl))
    return 0
