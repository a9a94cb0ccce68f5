"""``palimpsest analyze`` on a large corpus: SITES x VERSIONS versions (default 10,000 x 40) over
2000-2020, their texts drawn from a pool of DISTINCT real-policy texts (the citp-dev references,
each cut and amended into many variants), written straight into a corpus index.

Prints, from one run on this machine:

* cold: the first analyze, which measures every distinct text (readability, tokens, simhash,
  terms, lemmas) in one process per core, then aggregates: wall, CPU, texts/s;
* warm: analyze again (the figures are kept in the index): the aggregation alone over every
  (site, half-year), the time the target (within a minute on 2 cores) is about;
* --by rank on top of warm.

    python bench/analyze.py [--sites 10000] [--versions 40] [--distinct 2000]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipelines.corpus.store import CorpusStore  # noqa: E402
from pipelines.seedformat import text_hash  # noqa: E402


def texts(distinct: int, seed: int = 7) -> list[str]:
    """``distinct`` policy texts: each citp-dev reference text cut at a random paragraph and
    amended with one sentence of its own (a different text each)."""
    rng = random.Random(seed)
    refs = []
    for page in sorted((Path(os.environ.get("PALIMPSEST_SHARED", REPO.parent / "shared"))
                        / "corpus" / "citp-dev").glob("*/*.md")):
        body = page.read_text(encoding="utf-8").split("\n", 2)[-1]
        if len(body.split()) > 300:
            refs.append(body.split("\n\n"))
    out = []
    for n in range(distinct):
        paras = refs[n % len(refs)]
        cut = rng.randint(max(1, len(paras) // 2), len(paras))
        extra = f"Amendment {n}: we keep the records of order {n} for {n % 7 + 1} years."
        out.append("# Privacy Policy\n\n" + "\n\n".join(paras[:cut] + [extra]))
    return out


def build(out: Path, sites: int, versions: int, distinct: int) -> Path:
    pool = texts(distinct)
    hashes = [text_hash(t) for t in pool]
    store = CorpusStore(out)
    rng = random.Random(11)
    db = store.db
    with store.transaction():
        db.executemany("INSERT OR IGNORE INTO texts VALUES (?,?,?,?,?,?,?)",
                       [(h, "Privacy Policy", zlib.compress(t.encode()), len(t.split()), "en", "utf-8",
                         "bench") for h, t in zip(hashes, pool)])
        rows = []
        for s in range(sites):
            site = f"site{s:05d}.example"
            start = rng.randint(0, 20 * 12 - versions * 2)
            for v in range(versions):
                month = start + v * rng.randint(1, 5) // 2 + v
                ts = f"{2000 + month // 12:04d}{month % 12 + 1:02d}15120000"
                rows.append((site, ts, f"http://{site}/privacy", hashes[rng.randrange(distinct)],
                             0, "en", f"policies/{site}/{ts}.md"))
        db.executemany("INSERT OR IGNORE INTO versions VALUES (?,?,?,?,?,?,?)", rows)
    seeds = out / "seeds.csv"
    seeds.write_text("site,url,rank\n" + "".join(
        f"site{s:05d}.example,http://site{s:05d}.example/privacy,{rng.randint(1, 3_000_000)}\n"
        for s in range(sites)))
    store.close()
    return seeds


def run(*args: str) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "crawler.cli", "analyze", *args], cwd=REPO,
                       capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(r.stderr[-2000:])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, r.stderr.strip().splitlines()[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sites", type=int, default=10_000)
    ap.add_argument("--versions", type=int, default=40)
    ap.add_argument("--distinct", type=int, default=2_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="palimpsest-bench-analyze-") as tmp:
        out = Path(tmp) / "out"
        t = time.perf_counter()
        seeds = build(out, args.sites, args.versions, args.distinct)
        print(f"corpus: {args.sites} sites x {args.versions} versions, {args.distinct} distinct texts "
              f"(built in {time.perf_counter() - t:.1f} s, not counted)")
        wall, cpu, said = run(str(out))
        print(f"cold (measures {args.distinct} texts, then aggregates): wall {wall:.1f} s, CPU {cpu:.1f} s, "
              f"{args.distinct / wall:.0f} texts/s")
        wall, cpu, said = run(str(out))
        print(f"warm (figures kept in the index): wall {wall:.1f} s, CPU {cpu:.1f} s (target: within 60 s)")
        wall, cpu, said = run(str(out), "--by", "rank", "--seeds", str(seeds))
        print(f"warm --by rank (6 bins): wall {wall:.1f} s, CPU {cpu:.1f} s")
        print(f"  {said}")


if __name__ == "__main__":
    main()
