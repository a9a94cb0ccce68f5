"""Versions derived again from what was kept, with no archive request: ``reextract`` (the
corpus's own snapshots through the current extractor) and ``ingest`` (a corpus from WARC files
someone already has: Webrecorder, Archive-It, Heritrix, Common Crawl extracts, our snapshots)."""

from __future__ import annotations

import contextlib
import logging
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from crawler.plan import is_textual_mime
from crawler.seeds import read_seeds
from crawler.wayback import CdxRecord, payload_digest, surt_key
from pipelines.extraction import extract_policy
from pipelines.finalize import finalize
from pipelines.snapshots import SnapshotStore, iter_records, read_record
from pipelines.storage import CorpusStore, Outcome

logger = logging.getLogger(__name__)


def _extract_snapshot(job: tuple[str, str, int, str, int]) -> tuple[str, dict | None, str | None]:
    """In a worker: read one record from its file and extract it."""
    payload_key, path, offset, url, max_bytes = job
    try:
        body, ctype, _, _ = read_record(path, offset)
        return payload_key, extract_policy(body, ctype, url, max_bytes).as_dict(), None
    except Exception as exc:  # one unreadable record is reported, the others go on
        return payload_key, None, f"{type(exc).__name__}: {exc}"


def reextract(out: str | Path, site: str | None = None, workers: int | None = None,
              max_bytes: int = 20_000_000) -> dict:
    """Run the current extractor over the kept snapshots (of one site), then rebuild versions,
    changes and feeds. No archive request."""
    store = CorpusStore(out)
    snaps = SnapshotStore(out)
    try:
        rows = store.snapshot_rows(site)
        # where each payload's bytes are (a revisit's original may belong to another site)
        responses = {r[7]: r for r in (store.snapshot_rows() if site else rows) if r[4] == "response"}
        jobs = []
        for key, file, offset, _length, kind, url, _ts, digest in rows:
            if store.fetch_outcome(key) not in (Outcome.TEXT, Outcome.NO_TEXT):
                continue  # redirects and archived error pages have no text to re-derive
            if kind == "revisit":  # the payload is in the response record with its digest
                original = responses.get(digest)
                if original is None:
                    continue
                file, offset = original[1], original[2]
            jobs.append((key, str(snaps.path(file)), offset, url, max_bytes))
        changed = failed = 0
        n = workers or os.cpu_count() or 1
        with contextlib.ExitStack() as stack:
            if n <= 1 or len(jobs) < 8:
                results = map(_extract_snapshot, jobs)
            else:
                pool = stack.enter_context(ProcessPoolExecutor(n))
                results = pool.map(_extract_snapshot, jobs, chunksize=16)
            for key, extracted, error in results:
                if error:
                    failed += 1
                    logger.error("reextract: payload %s: %s; its text is left as it was", key, error)
                    continue
                changed += store.replace_text(key, extracted)
        figures = finalize(store, workers)
        return {"payloads": len(jobs), "texts_changed": changed, "failed": failed, **figures}
    finally:
        store.close()


def _timestamp(warc_date: str) -> str:
    digits = "".join(c for c in warc_date if c.isdigit())
    return (digits + "0" * 14)[:14]


def ingest(paths: list[str], seeds_path: str, out: str | Path, workers: int | None = None,
           max_bytes: int = 20_000_000) -> dict:
    """A corpus from WARC files: the response and revisit records of the seed URLs (matched by
    SURT, as the CDX API matches them: any spelling of the URL) become captures, each distinct
    payload is extracted once and copied into OUT/snapshots/; then the same finalize step as a
    crawl. No server, no HTTP."""
    seeds, errors = read_seeds(seeds_path)
    for err in errors:
        logger.error("Bad seed line: %s", err)
    wanted: dict[str, list[tuple[str, str]]] = {}
    store = CorpusStore(out)
    snaps = SnapshotStore(out)
    figures = {"records": 0, "captures": 0, "payloads": 0, "skipped_records": 0}
    try:
        for seed in seeds:
            store.add_seed(seed.site, seed.url)
            wanted.setdefault(surt_key(seed.url), []).append((seed.site, seed.url))
        for revisits in (False, True):  # originals first, so every revisit finds its payload
            for path, record in iter_records(paths):
                kind = record.rec_type
                if kind not in ("response", "revisit") or (kind == "revisit") != revisits:
                    continue
                uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                owners = wanted.get(surt_key(uri)) if uri.startswith(("http://", "https://")) else None
                if not owners:
                    continue
                figures["records"] += 1
                _ingest_record(store, snaps, record, uri, owners, figures, max_bytes)
        snaps.close()
        figures.update(finalize(store, workers))
        return figures
    finally:
        snaps.close()
        store.close()


def _ingest_record(store, snaps, record, uri, owners, figures, max_bytes) -> None:
    ts = _timestamp(record.rec_headers.get_header("WARC-Date") or "")
    http = record.http_headers
    digest = (record.rec_headers.get_header("WARC-Payload-Digest") or "").split(":", 1)[-1]
    if record.rec_type == "revisit":
        rec = CdxRecord(surt_key(uri), ts, uri, "warc/revisit", None, digest, None)
        found = store.resolve_revisit(digest, rec.key_url)
        key = found[0] if found else rec.payload_key
    else:
        status = int(http.get_statuscode()) if http and http.get_statuscode() else 200
        ctype = http.get_header("Content-Type") if http else None
        body = record.content_stream().read()
        digest = digest or payload_digest(body)
        rec = CdxRecord(surt_key(uri), ts, uri, (ctype or "").split(";")[0], status, digest, len(body))
        key = rec.payload_key
    for site, seed_url in owners:
        if not store.capture_exists(site, ts, uri, digest):
            figures["captures"] += store.add_captures(site, seed_url, [(rec, key)])
    if record.rec_type == "revisit" or store.fetched_keys([key]):
        return
    headers = list(http.headers) if http else []
    ref = snaps.write_response(uri, ts, rec.status or 200, headers, body, digest, source=None)
    extracted, outcome, location, reason = None, Outcome.HTTP_STATUS, None, None
    if rec.is_redirect:
        outcome = Outcome.REDIRECT
        location = http.get_header("Location") if http else None
    elif rec.status and 200 <= rec.status < 300:
        if not is_textual_mime(rec.mimetype):
            outcome, reason = Outcome.NO_TEXT, f"not a text type ({rec.mimetype})"
        else:
            extracted = extract_policy(body, ctype, uri, max_bytes).as_dict()
            outcome = Outcome.TEXT if extracted["markdown"] else Outcome.NO_TEXT
            reason = extracted.get("reason")
    else:
        reason = f"archived HTTP {rec.status}"
    store.record_fetch(payload_key=key, timestamp=ts, url=uri, status=rec.status, digest=digest,
                       outcome=outcome, http_status=rec.status, location=location,
                       text_hash=extracted["text_hash"] if outcome == "text" else None,
                       reason=reason, digest_ok=payload_digest(body) == digest, size=len(body),
                       extracted=extracted if outcome == "text" else None,
                       sites=[s for s, _ in owners], snapshot=ref)
    figures["payloads"] += 1
