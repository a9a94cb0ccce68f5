"""The corpus as the datasets people load: Parquet tables (pyarrow: pandas, DuckDB, Hugging Face
``datasets`` read them in one line), Open Terms Archive's dataset layout, and a WACZ of the
snapshots (py-wacz: ReplayWeb.page replays it).

* ``versions.parquet``: one row per version (site, url, timestamp, captured_at, source,
  snapshot, title, text, words, language, extractor, hash); ``captures.parquet``: every capture
  with what fetching its payload gave; ``changes.parquet``: the change log's rows.
* OTA: ``<site>/Privacy Policy/<YYYY-MM-DDTHH-MM-SSZ>.md`` per version (its text, as OTA's
  versions hold the text alone) and a README.md naming the source, the period and the licence.
* WACZ: OUT/snapshots/*.warc.gz packed with ``wacz create``, its pages.jsonl listing the capture
  that began each version (url, ts, title).

Every file is written beside its final name and moved into place, so an interrupted export never
leaves a half-written table under the final name."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
from datetime import timezone
from pathlib import Path

from pipelines.captures import parse_timestamp, wayback_link
from pipelines.changes.history import Source, iter_changes
from pipelines.files import atomic_write
from pipelines.seedformat import safe_component

OTA_TERMS_TYPE = "Privacy Policy"  # OTA's name for the terms type


class ExportError(RuntimeError):
    """An export that cannot be made (a missing package, no snapshots for a WACZ); one line."""


def _iso(ts: str) -> str:
    return parse_timestamp(ts).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _split_title(markdown: str) -> tuple[str, str]:
    first, _, rest = markdown.partition("\n")
    if first.startswith("# "):
        return first[2:].strip(), rest.lstrip("\n")
    return "", markdown


def version_records(store) -> list[dict]:
    """The versions as rows: what versions.parquet holds."""
    rows = []
    for v in store.versions.of():
        live = store.live.capture(v.site, v.timestamp)
        snapshot_ts = live[1] if live else v.timestamp
        markdown = store.text(v.text_hash)
        title, _ = _split_title(markdown)
        rows.append({
            "site": v.site, "url": v.url, "timestamp": v.timestamp,
            "captured_at": parse_timestamp(v.timestamp),
            "source": str(Source.LIVE if live else Source.ARCHIVE),
            "snapshot": (wayback_link(snapshot_ts, v.url) if live else v.snapshot_link)
            if snapshot_ts else None, "archive": v.archive or "",
            "title": title, "text": markdown, "words": v.words, "language": v.language,
            "extractor": v.extractor, "hash": v.text_hash})
    return rows


CAPTURE_COLUMNS = ["site", "timestamp", "url", "query_url", "urlkey", "mimetype", "status", "digest",
                   "length", "payload_key", "outcome", "http_status", "text_hash", "archive"]


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:  # an optional dependency: pip install "palimpsest[datasets]"
        raise ExportError("--parquet needs pyarrow: pip install 'palimpsest[datasets]'") from None
    return pyarrow, pyarrow.parquet


def _write_table(pq, table, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def export_parquet(store, folder: str | Path) -> dict[str, int]:
    """versions.parquet, captures.parquet and changes.parquet in ``folder``; rows per table."""
    pa, pq = _pyarrow()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    versions = version_records(store)
    schema = pa.schema([
        ("site", pa.string()), ("url", pa.string()), ("timestamp", pa.string()),
        ("captured_at", pa.timestamp("s", tz="UTC")), ("source", pa.string()), ("snapshot", pa.string()),
        ("title", pa.string()), ("text", pa.large_string()), ("words", pa.int64()),
        ("language", pa.string()), ("extractor", pa.string()), ("hash", pa.string())])
    _write_table(pq, pa.Table.from_pylist(versions, schema=schema), folder / "versions.parquet")
    captures = [dict(zip(CAPTURE_COLUMNS, row)) for row in store.captures.export_rows()]
    cap_schema = pa.schema([(c, pa.int64() if c in ("status", "length", "http_status") else pa.string())
                            for c in CAPTURE_COLUMNS])
    _write_table(pq, pa.Table.from_pylist(captures, schema=cap_schema), folder / "captures.parquet")
    changes = []
    for change in iter_changes(store):
        row = change.as_dict()
        row["kind"], row["source"] = str(change.kind), str(change.source)
        changes.append(row)
    change_schema = pa.schema([
        ("site", pa.string()), ("url", pa.string()), ("previous_timestamp", pa.string()),
        ("timestamp", pa.string()), ("changed_after", pa.string()), ("changed_by", pa.string()),
        ("similarity", pa.float64()), ("words_added", pa.int64()), ("words_removed", pa.int64()),
        ("sections_changed", pa.int64()), ("kind", pa.string()), ("score", pa.float64()),
        ("topics", pa.list_(pa.string())), ("moved_paragraphs", pa.int64()),
        ("extractor_changed", pa.bool_()), ("source", pa.string())])
    _write_table(pq, pa.Table.from_pylist(changes, schema=change_schema), folder / "changes.parquet")
    return {"versions": len(versions), "captures": len(captures), "changes": len(changes)}


def ota_file_name(ts: str) -> str:
    """OTA's version file name: the ISO 8601 time with ``-`` for ``:`` (valid on every system)."""
    return _iso(ts).replace(":", "-") + ".md"


def export_ota(store, folder: str | Path) -> int:
    """Open Terms Archive's dataset layout in ``folder``; returns the number of version files.
    Versions no longer in the corpus (after a re-extraction) are removed from it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    versions = store.versions.of()
    written: set[Path] = set()
    for v in versions:
        path = folder / safe_component(v.site) / OTA_TERMS_TYPE / ota_file_name(v.timestamp)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, store.text(v.text_hash).rstrip("\n") + "\n")
        written.add(path)
    for old in folder.glob(f"*/{OTA_TERMS_TYPE}/*.md"):
        if old not in written:
            old.unlink()
    sites = sorted({v.site for v in versions})
    first = min((v.timestamp for v in versions), default=None)
    last = max((v.timestamp for v in versions), default=None)
    period = (f"between {_iso(first)[:10]} and {_iso(last)[:10]}" if first else "(no version yet)")
    atomic_write(folder / "README.md", _OTA_README.format(
        n=len(sites), versions=len(versions), period=period, terms=OTA_TERMS_TYPE))
    return len(versions)


_OTA_README = """# Privacy policies over time (Palimpsest)

This dataset consolidates the privacy policies of {n} service providers, in {versions} versions
captured {period}.

It has been generated with Palimpsest from web archive captures (the Internet Archive's Wayback
Machine or another Wayback archive), in the dataset format of Open Terms Archive.

## Source

Each version is the text extracted from an archived capture; the capture itself is named in the
corpus's `versions.parquet` (`palimpsest export OUT --parquet DIR`) and in each version file of
the corpus (its header line links the snapshot). A file's name is the capture time (UTC).

## Dataset format

    ├ README.md
    ├┬ Service provider (the site, e.g. example.com)
    │└┬ {terms}
    │ ├ YYYY-MM-DDTHH-MM-SSZ.md (e.g. 2021-08-01T01-03-12Z.md)
    ┆ ┆
    │ └ YYYY-MM-DDTHH-MM-SSZ.md

## License

The texts are the services' own documents, as archived; their copyright remains with their
authors. This compilation is offered for research under the terms of the archive it was
built from; check them (and your jurisdiction's text-and-data-mining rules) before you
redistribute it.
"""


def wacz_pages(store) -> list[dict]:
    """pages.jsonl of the WACZ: the capture that began each archived version."""
    pages = []
    for v in store.versions.of():
        if store.live.capture(v.site, v.timestamp):
            continue  # a live check has no record in the snapshots
        title, _ = _split_title(store.text(v.text_hash))
        pages.append({"url": v.url, "ts": _iso(v.timestamp), "title": title or v.site})
    return pages


def export_wacz(store, target: str | Path) -> int:
    """OUT/snapshots packed as a WACZ at ``target`` (py-wacz's ``wacz create``, its pages the
    versions' captures); returns the number of pages."""
    try:
        from wacz.main import main as wacz_main
    except ImportError:
        raise ExportError("--wacz needs py-wacz: pip install 'palimpsest[datasets]'") from None
    warcs = sorted((Path(store.out) / "snapshots").glob("*.warc.gz"))
    if not warcs:
        raise ExportError(f"{store.out}/snapshots holds no WARC file to package (was the corpus "
                          "crawled with --no-snapshots?)")
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    pages = wacz_pages(store)
    work = Path(tempfile.mkdtemp(prefix="palimpsest-wacz-"))
    try:
        pages_file = work / "pages.jsonl"
        pages_file.write_text(json.dumps({"format": "json-pages-1.0", "id": "pages",
                                          "title": "Policy captures"}) + "\n"
                              + "".join(json.dumps(p) + "\n" for p in pages), encoding="utf-8")
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}.wacz")
        with contextlib.redirect_stdout(io.StringIO()) as said:  # py-wacz narrates each step
            code = wacz_main(["create", "-o", str(tmp), "-p", str(pages_file), "--title",
                              f"Palimpsest corpus {Path(store.out).name}", *map(str, warcs)])
        if code not in (0, None) or not tmp.exists():
            last = (said.getvalue().strip().splitlines() or ["no message"])[-1]
            raise ExportError(f"wacz create failed (exit {code}): {last}")
        os.replace(tmp, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return len(pages)
