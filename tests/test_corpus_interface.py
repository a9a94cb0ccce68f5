"""The corpus interface a crawl writes through: one Recorder for a single process, the same writes
through a job's op log replayed on the coordinator's corpus; the crawl's corpus opened once."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from scrapy import Spider
from scrapy.utils.test import get_crawler

from crawler.corpus import Corpus, CorpusAlreadyOpen
from pipelines.captures import CdxRecord, Outcome
from pipelines.corpus.oplog import OpLogRecorder, UnknownOp, apply_op, encode_op
from pipelines.corpus.recorder import Recorder
from pipelines.corpus.store import CorpusStore
from pipelines.items import ExtractedText, Fetch
from pipelines.seedformat import text_hash


class ListOpLog:
    """The OpLog protocol over a Python list (Redis's list in a real job)."""

    def __init__(self):
        self.ops: list[bytes] = []
        self.fetched: set[str] = set()

    def push_op(self, raw: bytes) -> None:
        self.ops.append(raw)

    def mark_fetched(self, key: str) -> None:
        self.fetched.add(key)


def crawl_one_site(recorder: Recorder) -> None:
    site, url = "a.example", "http://a.example/privacy"
    recorder.add_seed(site, url)
    rows = [CdxRecord("example,a)/privacy", f"201{i}0101000000", url, "text/html", 200, f"D{i % 2}", 10)
            for i in range(4)]
    _, new = recorder.plan_captures(site, url, rows)
    assert len(new) == 4
    recorder.cdx_checked(site, url, rows[-1].timestamp)
    for p in {p.payload_key: p for p in new}.values():
        md = f"# Privacy\n\nText {p.record.digest}."
        extracted = ExtractedText(md, "Privacy", text_hash(md), 3, "en", "utf-8", "test")
        recorder.record_fetch(Fetch(p.payload_key, p.record.timestamp, url, 200, p.record.digest,
                                    Outcome.TEXT, text_hash=extracted.text_hash,
                                    extracted=extracted, sites=(site,)))
    recorder.log_error(site, url, None, "one error")


def corpus_rows(store: CorpusStore) -> dict:
    tables = ("seeds", "urls", "captures", "texts", "errors")
    rows = {t: sorted(store.db.execute(f"SELECT * FROM {t}").fetchall()) for t in tables}
    rows["urls"] = [r[:6] for r in rows["urls"]]  # without the check times
    rows["seeds"] = [r[:2] for r in rows["seeds"]]
    rows["errors"] = [r[:4] for r in rows["errors"]]
    rows["fetches"] = sorted(r[:13] for r in store.db.execute("SELECT * FROM fetches"))
    return rows


def test_op_log_replays_to_the_corpus_a_single_process_writes(tmp_path: Path):
    single = CorpusStore(tmp_path / "single")
    crawl_one_site(Recorder(single))
    single.versions.build_dirty()

    oplog = ListOpLog()
    worker = OpLogRecorder(CorpusStore(tmp_path / "scratch"), oplog)
    crawl_one_site(worker)
    main = CorpusStore(tmp_path / "main")
    replay = Recorder(main)
    for raw in oplog.ops:
        apply_op(replay, raw)
    main.versions.build_dirty()
    assert corpus_rows(main) == corpus_rows(single)
    for raw in oplog.ops:  # replayed again (a coordinator killed between applying and acking)
        apply_op(replay, raw)
    again = corpus_rows(main)
    assert len(again.pop("errors")) == 2  # the error log is a log: the one write that adds a row
    assert again == {k: v for k, v in corpus_rows(single).items() if k != "errors"}
    assert [v.timestamp for v in main.versions.of()] == [v.timestamp for v in single.versions.of()]
    assert len(oplog.fetched) == 2  # the job's 'fetched' set: two distinct payloads
    assert {pickle.loads(raw)[0] for raw in oplog.ops} == {
        "add_seed", "add_captures", "cdx_checked", "record_fetch", "log_error"}


def test_op_log_names_only_writes(tmp_path: Path):
    with pytest.raises(UnknownOp):
        encode_op("close", {})
    with pytest.raises(UnknownOp):
        apply_op(Recorder(CorpusStore(tmp_path)), pickle.dumps(("close", {})))


def test_the_crawl_opens_its_corpus_once_and_refuses_another_folder(tmp_path: Path):
    crawl = get_crawler(Spider, {"PALIMPSEST_OUT": str(tmp_path / "out")})
    corpus = Corpus.of(crawl, str(tmp_path / "out"))
    assert Corpus.of(crawl) is corpus and Corpus.of(crawl, str(tmp_path / "out")) is corpus
    with pytest.raises(CorpusAlreadyOpen):
        Corpus.of(crawl, str(tmp_path / "elsewhere"))
    corpus.close()


def test_a_batch_commits_its_units_together_and_a_failure_loses_only_the_open_batch(tmp_path: Path):
    """ingest and reextract commit their units (a capture, a fetch and its text) a batch at a
    time: readers of the index see whole batches; an exception (as a kill) loses only the batch
    still open, and the units' own transactions join it."""
    import sqlite3

    from pipelines.corpus.db import Batch

    store = CorpusStore(tmp_path)
    rec = Recorder(store)

    def seen() -> int:  # what another process reading the index sees
        db = sqlite3.connect(tmp_path / "corpus.sqlite")
        try:
            return db.execute("SELECT count(*) FROM seeds").fetchone()[0]
        finally:
            db.close()

    with pytest.raises(RuntimeError, match="boom"):
        with Batch(store.db, 3, seconds=3600) as batch:  # by count alone, whatever the machine's speed
            for n in range(8):
                rec.add_seed(f"s{n}.test", f"http://s{n}.test/privacy")  # its own transaction joins
                batch.done()
                assert seen() == (n + 1) // 3 * 3  # committed three at a time
            raise RuntimeError("boom")
    assert seen() == 6 and not store.db.in_transaction  # the open batch (two units) rolled back
    with store.batch(100) as batch:
        rec.add_seed("late.test", "http://late.test/privacy")
        batch.done()
        assert seen() == 6
    assert seen() == 7  # leaving the block commits
    with store.transaction(), pytest.raises(RuntimeError):
        store.batch().__enter__()  # not inside another transaction
    store.close()
