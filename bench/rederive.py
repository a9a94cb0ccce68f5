"""Re-deriving versions without the archive: ``palimpsest ingest`` and ``palimpsest reextract``
against the extraction-only ceiling of this machine, measured in the same run.

Builds the same generated archive as bench/crawl.py (SITES x CAPTURES from the citp-dev pages,
text changes inside the policy, HTML-only changes, several URL spellings) as one WARC, then:

* ceiling: the payloads the corpus must extract (each distinct payload of each urlkey, with its
  URL) extracted by one process per core (a process pool over in-memory bodies: nothing but
  extraction), in payloads/s;
* ingest: the WARC into a new corpus (index, WARC snapshots, extraction, versions, changes);
* reextract: the same corpus after its texts were marked as an older extractor's (every text
  is extracted and stored again, versions and changes rebuilt);

and prints each one's payloads/s as a share of the ceiling (target: >= 0.85), its wall and CPU
time, and the PSS of its process tree.

    python bench/rederive.py [--sites 300] [--captures 10] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from crawl import build, measure  # noqa: E402
from crawler.demo.warcs import write_warc  # noqa: E402
from pipelines.captures import payload_digest, surt_key  # noqa: E402
from pipelines.extract import extract_policy  # noqa: E402

_BODIES: list[tuple[str, bytes]] = []


def site_payloads(caps) -> list[tuple[str, bytes]]:
    """What a corpus of these captures must extract: each distinct payload of each urlkey once,
    with the URL of its first capture. The generated archive gives many sites the same page, but
    a page's links resolve against its own URL and its text is its own site's, so two sites'
    identical bytes are two extractions for ingest, reextract, the crawl and the careful script
    alike (an earlier ceiling extracted each distinct body once: 1,182 of the 1,544 payloads)."""
    pairs: dict[tuple[str, str], tuple[str, bytes]] = {}
    for c in caps:
        pairs.setdefault((surt_key(c.url), payload_digest(c.body)), (c.url, c.body))
    return list(pairs.values())


def _extract(i: int) -> int:
    url, body = _BODIES[i]
    return extract_policy(body, "text/html", url).words


def ceiling_rate(bodies: list[tuple[str, bytes]], cores: int) -> float:
    """Payloads/s of extraction alone, one process per core (workers forked with the (URL, body)
    pairs)."""
    global _BODIES
    _BODIES = bodies
    with ProcessPoolExecutor(cores) as pool:
        list(pool.map(_extract, range(min(len(bodies), cores * 2))))  # imports and warm-up
        t0 = time.perf_counter()
        list(pool.map(_extract, range(len(bodies)), chunksize=16))
        return len(bodies) / (time.perf_counter() - t0)


def mark_texts_old(out: Path) -> None:
    """As if an older extractor had written every text: reextract has all of them to redo."""
    db = sqlite3.connect(out / "corpus.sqlite")
    with db:
        db.execute("INSERT OR IGNORE INTO texts SELECT 'old-' || text_hash, title, markdown, words, "
                   "language, encoding, 'older/1' FROM texts WHERE text_hash NOT LIKE 'old-%'")
        db.execute("UPDATE fetches SET text_hash = 'old-' || text_hash "
                   "WHERE text_hash IS NOT NULL AND text_hash NOT LIKE 'old-%'")
    db.close()


def rederive_command(what: str, warc: Path, seeds: Path, out: Path) -> list[str]:
    """The command to time: ``ingest`` of the WARC into a new corpus at ``out``, or ``reextract``
    of the corpus at ``out`` with every text marked as an older extractor's (a corpus is ingested
    there first, not timed, when there is none)."""
    cli = [sys.executable, "-m", "crawler.cli"]
    ingest = cli + ["ingest", str(warc), "--seeds", str(seeds), "--out", str(out)]
    if what == "ingest":
        if out.exists():
            shutil.rmtree(out)
        return ingest
    if not out.exists():
        measure(ingest)
    mark_texts_old(out)
    return cli + ["reextract", str(out)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sites", type=int, default=300)
    ap.add_argument("--captures", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=2, help="runs of each; medians are printed")
    a = ap.parse_args()
    cores = os.cpu_count() or 1
    caps, seeds_csv, distinct, intended = build(a.sites, a.captures)
    bodies = site_payloads(caps)
    figures: dict[str, list] = {"ceiling": [], "ingest": [], "reextract": []}
    with tempfile.TemporaryDirectory(prefix="palimpsest-bench-") as tmp:
        root = Path(tmp)
        warc = write_warc(root / "archive.warc.gz", caps)
        (root / "sites.csv").write_text(seeds_csv)
        for n in range(a.rounds):  # the three side by side, order rotating
            order = ["ceiling", "ingest", "reextract"]
            order = order[n % 3:] + order[:n % 3]
            out = root / f"out{n}"
            for what in order:
                if what == "ceiling":
                    figures["ceiling"].append((ceiling_rate(bodies, cores), None))
                    continue
                _, wall, f = measure(rederive_command(what, warc, root / "sites.csv", out))
                figures[what].append((len(bodies) / wall, (wall, f["cpu"], f["pss_mb"])))
    ceiling = statistics.median(r for r, _ in figures["ceiling"])
    print(f"archive: {a.sites} sites x {a.captures} captures = {len(caps)} records, "
          f"{len(bodies)} distinct payloads per urlkey (what the corpus extracts), "
          f"{len({payload_digest(c.body) for c in caps})} distinct bodies, {intended} intended text changes")
    print(f"ceiling: extraction alone in {cores} processes: {ceiling:.1f} payloads/s "
          f"(rounds: {', '.join(f'{r:.1f}' for r, _ in figures['ceiling'])})")
    for what in ("ingest", "reextract"):
        rate = statistics.median(r for r, _ in figures[what])
        wall = statistics.median(x[0] for _, x in figures[what])
        cpu = statistics.median(x[1] for _, x in figures[what])
        pss = max(x[2] for _, x in figures[what])
        print(f"{what:9s}: {rate:.1f} payloads/s = {rate / ceiling:.2f} of the ceiling "
              f"(target >= 0.85); wall {wall:.1f} s, CPU {cpu:.1f} s, PSS of the tree {pss:.0f} MB")


if __name__ == "__main__":
    main()
