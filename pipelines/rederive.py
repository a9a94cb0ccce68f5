"""Versions derived again from what was kept, with no archive request: ``reextract`` (the
corpus's own snapshots through the current extractor) and ``ingest`` (a corpus from WARC files
someone already has: Webrecorder, Archive-It, Heritrix, Common Crawl extracts, our snapshots)."""

from __future__ import annotations

import logging
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pipelines.captures import CdxRecord, Outcome, payload_digest, surt_key
from pipelines.corpus.recorder import Recorder
from pipelines.corpus.store import CorpusStore
from pipelines.corpus.warcfiles import SnapshotStore, iter_records, read_record
from pipelines.extract import extract_policy, load_language_model
from pipelines.items import ExtractedText, Fetch, SnapshotKind
from pipelines.payloads import is_textual_mime
from pipelines.publish.finalize import finalize
from pipelines.seeds import read_seeds
from pipelines.workers import die_with_parent

logger = logging.getLogger(__name__)


def _extract_snapshot(job: tuple[str, str, int, str, int]) -> tuple[str, dict | None, str | None]:
    """In a worker: read one record from its file and extract it."""
    payload_key, path, offset, url, max_bytes = job
    try:
        where = Path(path)
        if not where.exists() and where.parent.name == ".open":  # closed since: moved into place
            where = where.parent.parent / where.name
        body, ctype, _, _ = read_record(where, offset)
        return payload_key, extract_policy(body, ctype, url, max_bytes).as_dict(), None
    except Exception as exc:  # one unreadable record is reported, the others go on
        return payload_key, None, f"{type(exc).__name__}: {exc}"


def _extract_batch(jobs: list) -> list:
    return [_extract_snapshot(job) for job in jobs]


def _typed(result: tuple[str, dict | None, str | None]) -> tuple[str, ExtractedText | None, str | None]:
    key, extracted, error = result
    return key, (ExtractedText(**extracted) if extracted is not None else None), error


class Extractions:
    """Snapshot records extracted in one process per core while the caller goes on (ingest
    reads and indexes the next WARC records meanwhile); results are collected as they finish."""

    BATCH = 16

    def __init__(self, workers: int | None):
        n = workers or os.cpu_count() or 1
        self.pool = None
        if n > 1:
            # The language model is loaded before the workers fork: they share it instead of
            # each one spending a second loading its own copy.
            load_language_model()
            self.pool = ProcessPoolExecutor(n, initializer=die_with_parent)
        self.batch: list = []
        self.futures: set = set()
        self.ready: list = []

    def add(self, job) -> None:
        self.batch.append(job)
        if len(self.batch) >= self.BATCH:
            self._submit()

    def _submit(self) -> None:
        if not self.batch:
            return
        if self.pool is None:
            self.ready.extend(_extract_batch(self.batch))
        else:
            self.futures.add(self.pool.submit(_extract_batch, self.batch))
        self.batch = []

    def results(self, wait: bool = False):
        """(payload key, ExtractedText or None, error or None) of the jobs finished so far; with
        ``wait``, of every job added."""
        from concurrent.futures import FIRST_COMPLETED
        from concurrent.futures import wait as wait_for

        if wait:
            self._submit()
        while True:
            ready, self.ready = self.ready, []
            yield from map(_typed, ready)
            if not self.futures:
                return
            done, self.futures = wait_for(self.futures, timeout=None if wait else 0,
                                          return_when=FIRST_COMPLETED)
            for future in done:
                yield from map(_typed, future.result())
            if not wait and not done:
                return

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def reextract(out: str | Path, site: str | None = None, workers: int | None = None,
              max_bytes: int = 20_000_000) -> dict:
    """Run the current extractor over the kept snapshots (of one site), then rebuild versions,
    changes and feeds. No archive request."""
    store = CorpusStore(out)
    snaps = SnapshotStore(out)
    try:
        rows = store.fetches.snapshot_rows(site)
        # where each payload's bytes are (a revisit's original may belong to another site)
        responses = {r.digest: r for r in (store.fetches.snapshot_rows() if site else rows)
                     if r.kind == SnapshotKind.RESPONSE}
        jobs = []
        for row in rows:
            if store.fetches.outcome(row.payload_key) not in (Outcome.TEXT, Outcome.NO_TEXT):
                continue  # redirects and archived error pages have no text to re-derive
            where = row
            if row.kind == SnapshotKind.REVISIT:  # the payload is in the response record with its digest
                where = responses.get(row.digest)
                if where is None:
                    continue
            jobs.append((row.payload_key, str(snaps.path(where.file)), where.offset, row.url, max_bytes))
        changed = failed = 0
        extractions = Extractions(workers if len(jobs) >= 8 else 1)
        try:
            for job in jobs:
                extractions.add(job)
            for key, extracted, error in extractions.results(wait=True):
                if error:
                    failed += 1
                    logger.error("reextract: payload %s: %s; its text is left as it was", key, error)
                    continue
                changed += store.fetches.replace_text(key, extracted)
        finally:
            extractions.close()
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
    payload is copied once into OUT/snapshots/ and extracted (from there, in one worker process
    per core); then the same finalize step as a crawl. No server, no HTTP.

    A killed ingest is resumed by the same command: captures already indexed are not added
    again, payloads whose text was stored are not extracted again."""
    seeds, errors = read_seeds(seeds_path)
    for err in errors:
        logger.error("Bad seed line: %s", err)
    wanted: dict[str, list[tuple[str, str]]] = {}
    store = Recorder(CorpusStore(out))
    snaps = SnapshotStore(out)
    figures = {"records": 0, "captures": 0, "payloads": 0, "skipped_records": 0}
    pending: dict[str, dict] = {}  # payload key -> its fetch row, waiting for its text
    extractions = Extractions(workers)

    def store_texts(results) -> None:
        for key, extracted, error in results:
            row = pending.pop(key)
            if error:
                logger.error("ingest: %s at %s: %s; not stored, re-run the same command to retry",
                             row["url"], row["timestamp"], error)
                continue
            text = extracted.has_text
            store.record_fetch(Fetch(**row, outcome=Outcome.TEXT if text else Outcome.NO_TEXT,
                                     text_hash=extracted.text_hash if text else None,
                                     reason=extracted.reason, extracted=extracted if text else None))
            figures["payloads"] += 1

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
                key = _ingest_record(store, snaps, record, uri, owners, figures, pending)
                if key:  # its payload is in the snapshot file (flushed): extract it meanwhile
                    ref = pending[key]["snapshot"]
                    extractions.add((key, str(snaps.path(ref.file)), ref.offset, uri, max_bytes))
                    store_texts(extractions.results())
        snaps.close()
        store_texts(extractions.results(wait=True))
        figures.update(finalize(store.store, workers))
        return figures
    finally:
        extractions.close()
        snaps.close()
        store.close()


def _ingest_record(store, snaps, record, uri, owners, figures, pending: dict) -> str | None:
    """Index one WARC record's capture; keep its payload (once) and store its outcome, or leave
    it in ``pending`` for extraction (its payload key is returned)."""
    ts = _timestamp(record.rec_headers.get_header("WARC-Date") or "")
    http = record.http_headers
    digest = (record.rec_headers.get_header("WARC-Payload-Digest") or "").split(":", 1)[-1]
    if record.rec_type == "revisit":
        rec = CdxRecord(surt_key(uri), ts, uri, "warc/revisit", None, digest, None)
        found = store.store.captures.resolve_revisit(digest, rec.key_url)
        key = found[0] if found else rec.payload_key
    else:
        status = int(http.get_statuscode()) if http and http.get_statuscode() else 200
        ctype = http.get_header("Content-Type") if http else None
        body = record.content_stream().read()
        digest = digest or payload_digest(body)
        rec = CdxRecord(surt_key(uri), ts, uri, (ctype or "").split(";")[0], status, digest, len(body))
        key = rec.payload_key
    for site, seed_url in owners:
        if not store.store.captures.exists(site, ts, uri, digest):
            figures["captures"] += store.add_captures(site, seed_url, [(rec, key)])
    if record.rec_type == "revisit" or key in pending or store.fetched_keys([key]):
        return None
    headers = list(http.headers) if http else []
    ref = snaps.write_response(uri, ts, rec.status or 200, headers, body, digest, source=None)
    row = dict(payload_key=key, timestamp=ts, url=uri, status=rec.status, digest=digest,
               http_status=rec.status, digest_ok=payload_digest(body) == digest, size=len(body),
               sites=tuple(s for s, _ in owners), snapshot=ref)
    if rec.status and 200 <= rec.status < 300 and not rec.is_redirect and is_textual_mime(rec.mimetype):
        pending[key] = row
        return key
    outcome, location, reason = Outcome.HTTP_STATUS, None, None
    if rec.is_redirect:
        outcome = Outcome.REDIRECT
        location = http.get_header("Location") if http else None
    elif rec.status and 200 <= rec.status < 300:
        outcome, reason = Outcome.NO_TEXT, f"not a text type ({rec.mimetype})"
    else:
        reason = f"archived HTTP {rec.status}"
    store.record_fetch(Fetch(**row, outcome=outcome, location=location, reason=reason))
    figures["payloads"] += 1
    return None
