"""``ingest``: a corpus from archive files someone already has (Archive-It and Heritrix
collections, wget, wpull, Webrecorder and Browsertrix crawls, the Internet Archive's ARC files,
Common Crawl extracts, our own snapshots), with no server and no HTTP.

The capture records of the seed URLs (:mod:`pipelines.archivefiles`: WARC, ARC, WACZ; matched by
SURT, as the CDX API matches them) become captures; each distinct payload is copied once into
OUT/snapshots/ and extracted (in one worker process per core) while the files are read on;
revisits are resolved by payload digest across every file given (a url-agnostic revisit names
another URL's record: its payload is found there, in a second pass over the files when no seed
URL's record holds it); then the same end-of-run step as a crawl.

A damaged file does not stop the run: each unreadable stretch is one line naming the file, the
offset and the reason, what can be read is ingested, and the files are listed in the figures.
A killed ingest is resumed by the same command: captures already indexed are not added again,
payloads whose text was stored are not extracted again."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from pathlib import Path
from typing import Iterator

from pipelines.archivefiles import (ArchiveProblem, ArchiveRecord, digest_matches, read_archives,
                                    timestamp14)
from pipelines.captures import CdxRecord, Outcome, payload_digest, surt_key
from pipelines.corpus.db import Batch
from pipelines.corpus.recorder import Recorder
from pipelines.corpus.store import CorpusStore
from pipelines.corpus.warcfiles import SnapshotStore
from pipelines.items import Fetch
from pipelines.payloads import is_textual_mime
from pipelines.publish.finalize import EarlyFinish
from pipelines.rederive import Extractions
from pipelines.seeds import read_seeds

logger = logging.getLogger(__name__)


FILES = "files"  # the archive id of captures read from archive files (linked as Wayback captures)


def _revisit_record(record: ArchiveRecord) -> CdxRecord:
    """The capture a revisit record is, before its payload is known."""
    return CdxRecord(surt_key(record.url), record.timestamp, record.url, "warc/revisit", None,
                     record.digest or "", None, FILES)


class Ingest:
    """One ingest run: the seed URLs it looks for, the corpus it writes, the payloads waiting
    for their text."""

    def __init__(self, out: str | Path, workers: int | None, max_bytes: int):
        self.store = Recorder(CorpusStore(out))
        self.snaps = SnapshotStore(out)
        self.extractions = Extractions(workers)
        self.max_bytes = max_bytes
        self.owners: dict[str, list[tuple[str, str]]] = {}  # urlkey -> (site, seed URL)
        self.pending: dict[str, dict] = {}  # payload key -> its fetch row, waiting for its text
        self.problems: list[ArchiveProblem] = []
        self.figures = {"records": 0, "captures": 0, "payloads": 0, "unresolved_revisits": 0}
        self.batch: Batch | None = None  # the open batch of index writes, while the files are read

    @contextlib.contextmanager
    def batched(self, size: int) -> Iterator[Batch]:
        """Index writes committed ``size`` units (records read, texts stored) at a time while
        the block runs; a killed run does the last batch again (see :class:`Batch`)."""
        with self.store.store.batch(size) as batch:
            self.batch = batch
            try:
                yield batch
            finally:
                self.batch = None

    def add_seed(self, site: str, url: str) -> None:
        self.store.add_seed(site, url)
        self.owners.setdefault(surt_key(url), []).append((site, url))

    def owners_of(self, url: str) -> list[tuple[str, str]]:
        return self.owners.get(surt_key(url), []) if url.startswith(("http://", "https://")) else []

    def unreadable(self, problem: ArchiveProblem) -> None:
        self.problems.append(problem)
        logger.error("%s", problem)

    # -- captures -----------------------------------------------------------------------------
    def add_capture(self, rec: CdxRecord, key: str) -> None:
        for site, seed_url in self.owners_of(rec.url):
            if not self.store.store.captures.exists(site, rec.timestamp, rec.url, rec.digest):
                self.figures["captures"] += self.store.add_captures(site, seed_url, [(rec, key)])

    def payload(self, record: ArchiveRecord) -> None:
        """A response or resource record: its capture, and its payload kept (once) and extracted
        or its outcome stored."""
        body = record.body or b""
        digest = record.digest or payload_digest(body)
        mimetype = (record.content_type or "").split(";")[0].strip().lower()
        rec = CdxRecord(surt_key(record.url), record.timestamp, record.url, mimetype, record.status,
                        digest, len(body), FILES)
        key = rec.payload_key
        self.add_capture(rec, key)
        if key in self.pending or self.store.fetched_keys([key]):
            return
        ref = self.snaps.copy_member(record.file, record.offset, record.member_length) \
            if record.member_length else None
        if ref is None:
            ref = self.snaps.write_response(record.url, record.timestamp, rec.status or 200,
                                            record.headers, body, digest, source=None)
        row = dict(payload_key=key, timestamp=record.timestamp, url=record.url, status=rec.status,
                   digest=digest, http_status=rec.status, digest_ok=digest_matches(body, digest),
                   size=len(body), sites=tuple(s for s, _ in self.owners_of(record.url)), snapshot=ref,
                   archive=FILES)
        if rec.status and 200 <= rec.status < 300 and not rec.is_redirect and is_textual_mime(mimetype):
            self.pending[key] = row  # its payload is in the snapshot file (flushed): extracted meanwhile
            self.extractions.add((key, str(self.snaps.path(ref.file)), ref.offset, record.url,
                                  self.max_bytes))
            self.store_texts(self.extractions.results())
            return
        outcome, location, reason = Outcome.HTTP_STATUS, None, None
        if rec.is_redirect:
            outcome = Outcome.REDIRECT
            location = next((v for k, v in record.headers if k.lower() == "location"), None)
        elif rec.status and 200 <= rec.status < 300:
            outcome, reason = Outcome.NO_TEXT, f"not a text type ({mimetype or 'none given'})"
        else:
            reason = f"archived HTTP {rec.status}"
        self.store.record_fetch(Fetch(**row, outcome=outcome, location=location, reason=reason))
        self.figures["payloads"] += 1

    def revisit(self, record: ArchiveRecord) -> bool:
        """A revisit resolved against a payload of the corpus (of its URL, else of any URL):
        its capture is indexed under that payload. False when no capture holds its digest."""
        rec = _revisit_record(record)
        found = self.store.store.captures.resolve_revisit(rec.digest, rec.key_url, any_url=True) \
            if rec.digest else None
        if found is None and record.refers_to_url and record.refers_to_date:
            # a revisit with no payload digest (some server-not-modified revisits): the record it
            # names by URL and date
            named = self.store.store.captures.key_at(surt_key(record.refers_to_url),
                                                    timestamp14(record.refers_to_date))
            if named is not None:
                found = named
                rec = dataclasses.replace(rec, digest=named[1])
        if found is None:
            return False
        self.add_capture(rec, found[0])
        return True

    def unresolved(self, record: ArchiveRecord) -> None:
        """A revisit whose payload no file given holds: indexed, with no text."""
        rec = _revisit_record(record)
        self.add_capture(rec, rec.payload_key)
        self.figures["unresolved_revisits"] += 1
        logger.warning("%s: the revisit of %s at %s names payload %s (%s at %s), which no file "
                       "given holds: indexed without text", record.file, record.url,
                       record.timestamp, record.digest, record.refers_to_url or "its URL",
                       record.refers_to_date or "an earlier time")

    # -- texts --------------------------------------------------------------------------------
    def store_texts(self, results) -> None:
        for key, extracted, error in results:
            row = self.pending.pop(key)
            if error:
                logger.error("ingest: %s at %s: %s; not stored, re-run the same command to retry",
                             row["url"], row["timestamp"], error)
                continue
            text = extracted.has_text
            self.store.record_fetch(Fetch(**row, outcome=Outcome.TEXT if text else Outcome.NO_TEXT,
                                          text_hash=extracted.text_hash if text else None,
                                          reason=extracted.reason, extracted=extracted if text else None))
            self.figures["payloads"] += 1
            if self.batch is not None:
                self.batch.done()

    def finish(self, workers: int | None) -> dict:
        """Every record is read: the texts still being extracted are collected, each site
        finalised as soon as its last text is in (see :class:`EarlyFinish`)."""
        self.snaps.close()
        early = EarlyFinish(self.store.store, self.extractions.pool)
        early.expect(list(self.pending))
        for result in self.extractions.results(wait=True):
            self.store_texts([result])
            early.arrived(result[0])
        self.figures.update(early.finish(workers))
        self.figures["problem_files"] = sorted(dict.fromkeys(p.file for p in self.problems))
        return self.figures

    def close(self) -> None:
        self.extractions.close()
        self.snaps.close()
        self.store.close()


def ingest(paths: list[str], seeds_path: str, out: str | Path, workers: int | None = None,
           max_bytes: int = 20_000_000, commit_every: int = 256) -> dict:
    """Ingest archive files (WARC, ARC, WACZ) into the corpus in ``out``; returns the figures
    (``problem_files``: the files with an unreadable stretch, each told in the log). Index
    writes are committed ``commit_every`` units (records read, texts stored) at a time."""
    seeds, errors = read_seeds(seeds_path)
    for err in errors:
        logger.error("Bad seed line: %s", err)
    run = Ingest(out, workers, max_bytes)
    try:
        for seed in seeds:
            run.add_seed(seed.site, seed.url)
        # Captures and fetches are committed a batch at a time (a killed run does the last
        # batch again); payloads are in their snapshot file before the batch naming them commits.
        with run.batched(commit_every) as batch:
            revisits: list[ArchiveRecord] = []
            for record in read_archives(paths, lambda kind, url, digest: bool(run.owners_of(url)),
                                        run.unreadable):
                run.figures["records"] += 1
                if record.kind == "revisit":  # resolved once every original has been read
                    revisits.append(record)
                else:
                    run.payload(record)
                batch.done()
            unresolved = [r for r in revisits if not run.revisit(r)]
            if unresolved:  # url-agnostic revisits: their payloads are in other URLs' records
                digests = {r.digest for r in unresolved if r.digest}
                found: dict[str, ArchiveRecord] = {}
                for record in read_archives(
                        paths, lambda kind, url, digest: kind != "revisit" and digest in digests
                        and digest not in found, lambda problem: None):  # told in the first pass
                    found.setdefault(record.digest, record)
                for rev in unresolved:
                    original = found.get(rev.digest)
                    if original is None:
                        run.unresolved(rev)
                    elif not run.revisit(rev):  # the first revisit of this payload keeps it
                        run.payload(dataclasses.replace(original, url=rev.url, timestamp=rev.timestamp,
                                                        file=rev.file, offset=rev.offset,
                                                        member_length=None))
                    batch.done()
            return run.finish(workers)
    finally:
        run.close()
