"""The whole cost table in one run: every figure with its peer measured beside it, order rotating.

One generated archive (bench/crawl.py's: SITES x CAPTURES from the citp-dev pages, text changes
inside the policy, HTML-only changes, several URL spellings) served by pywb on loopback, limits
lifted. Each round runs, in an order that rotates from round to round:

* ``palimpsest crawl`` and the careful script (bench/peer_careful.py) with the same extractor
  and with trafilatura, against the same pywb: wall, CPU of the process tree, requests, PSS;
* ``palimpsest ingest`` of the archive's WARC and ``palimpsest reextract`` of the corpus it
  makes, against the extraction-only ceiling (one extraction process per core, in memory);
* extraction CPU per page, this project's extractor and trafilatura's, on the development pages
  (../shared/corpus/citp-dev and modern-pairs).

Then the PSS of a crawl's process tree at each of ``--memory-sites`` (fewer captures per site:
what is measured is how memory grows with the number of sites). Prints each round's figures and
the table: ratios per round (the target holds only if it holds in every round).

    python bench/cost.py [--sites 300] [--captures 10] [--rounds 3] [--memory-sites 1000,10000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from crawl import PEERS, archive_server, build, changes_found, measure  # noqa: E402
from rederive import ceiling_rate, rederive_command, site_payloads  # noqa: E402
from pipelines.captures import payload_digest  # noqa: E402

CLI = [sys.executable, "-m", "crawler.cli"]


def crawl_command(root: Path, archive: str, out: Path) -> list[str]:
    """What a user types to crawl their own archive (lifted rates bring the concurrency)."""
    return CLI + ["crawl", str(root / "sites.csv"), "--out", str(out), "--archive", archive,
                  "--dialect", "pywb", "--cdx-per-minute", "0", "--snapshots-per-second", "0", "-q",
                  "-s", "PALIMPSEST_PROGRESS_INTERVAL=0"]


EXTRACTION_SCRIPT = """
import json, sys, time
sys.path.insert(0, {bench!r})
from devpages import dev_pages  # no project module: trafilatura's process loads none of them
pages = dev_pages()
if {tool!r} == "project":
    from pipelines.extract import extract_policy
    run = lambda h, u: extract_policy(h, None, u)
else:
    import trafilatura
    run = lambda h, u: trafilatura.extract(h, url=u, output_format="markdown", include_links=True,
                                           include_formatting=True, include_tables=True)
run(*pages[0])  # imports and first-call set-up are not the figure
c0 = time.process_time()
for html, url in pages:
    run(html, url)
print(json.dumps({{"pages": len(pages), "cpu": time.process_time() - c0}}))
"""


def extraction_cpu(tool: str) -> tuple[float, int]:
    """(CPU seconds, pages) of one extractor over the development pages, in a fresh process."""
    stdout, _, _ = measure([sys.executable, "-c", EXTRACTION_SCRIPT.format(bench=str(REPO / "bench"), tool=tool)])
    got = json.loads(stdout.strip().splitlines()[-1])
    return got["cpu"], got["pages"]


def memory_at(sites: int, captures: int, root: Path) -> dict:
    """A crawl of ``sites`` sites: PSS of its process tree (peak), wall, versions."""
    caps, seeds_csv, _, _ = build(sites, captures, seed=11)
    root.mkdir(parents=True)
    (root / "sites.csv").write_text(seeds_csv)
    with archive_server(root, caps, None) as (archive, _):
        _, wall, fig = measure(crawl_command(root, archive, root / "out"))
    summary = json.loads((root / "out" / "last_run.json").read_text())
    shutil.rmtree(root)
    return {"sites": sites, "pss_mb": fig["pss_mb"], "wall": wall,
            "versions": summary["corpus"]["versions"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sites", type=int, default=300)
    ap.add_argument("--captures", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--memory-sites", default="1000,10000",
                    help="comma-separated site counts for the memory figure ('' to skip)")
    ap.add_argument("--memory-captures", type=int, default=3)
    a = ap.parse_args()
    cores = os.cpu_count() or 1
    caps, seeds_csv, distinct, intended = build(a.sites, a.captures)
    bodies = site_payloads(caps)  # what the corpus extracts: each urlkey's distinct payloads
    peers = {"careful (project extractor)": PEERS["careful (project extractor)"],
             "careful (trafilatura)": PEERS["careful (trafilatura)"]}
    names = ["palimpsest crawl", *peers, "ingest", "reextract", "ceiling",
             "extraction: project", "extraction: trafilatura"]
    got: dict[str, list[dict]] = {n: [] for n in names}
    with tempfile.TemporaryDirectory(prefix="palimpsest-cost-") as tmp:
        root = Path(tmp)
        (root / "sites.csv").write_text(seeds_csv)
        with archive_server(root, caps, None) as (archive, archive_pid):
            warc = root / "bench.warc.gz"  # the archive's own WARC: what ingest reads
            for r in range(a.rounds):
                order = names[r % len(names):] + names[:r % len(names)]
                print(f"round {r + 1}: " + ", ".join(order), flush=True)
                corpus = root / f"ingested-{r}"
                for name in order:
                    out = root / f"out-{r}-{names.index(name)}"
                    if name == "palimpsest crawl":
                        _, wall, fig = measure(crawl_command(root, archive, out), archive_pid)
                        summary = json.loads((out / "last_run.json").read_text())
                        got[name].append({"wall": wall, "cpu": fig["cpu"], "pss": fig["pss_mb"],
                                          "requests": summary["cdx_requests"] + summary["snapshot_requests"],
                                          "changes": changes_found(out)})
                    elif name in peers:
                        stdout, wall, fig = measure([sys.executable, str(REPO / "bench" / "peer_careful.py"),
                                                     archive, str(root / "sites.csv"), str(out), *peers[name]])
                        result = json.loads(stdout.strip().splitlines()[-1])
                        got[name].append({"wall": wall, "cpu": fig["cpu"], "pss": fig["pss_mb"],
                                          "requests": result["requests"], "changes": result["changes"]})
                    elif name == "ceiling":
                        got[name].append({"rate": ceiling_rate(bodies, cores)})
                    elif name.startswith("extraction: "):
                        cpu, pages = extraction_cpu(name.split(": ")[1])
                        got[name].append({"cpu": cpu, "pages": pages})
                    else:  # ingest, reextract (of this round's ingested corpus)
                        _, wall, fig = measure(rederive_command(name, warc, root / "sites.csv", corpus))
                        got[name].append({"rate": len(bodies) / wall, "wall": wall, "cpu": fig["cpu"],
                                          "pss": fig["pss_mb"]})
                    if out.exists():
                        shutil.rmtree(out)
        memory = [memory_at(n, a.memory_captures, root / f"memory-{n}")
                  for n in (int(x) for x in a.memory_sites.split(",") if x.strip())]

    def each(name: str, key: str) -> list[float]:
        return [row[key] for row in got[name]]

    def rounds(values: list[float], unit: str = "x") -> str:
        return ", ".join(f"{v:.2f}{unit}" for v in values)

    print(f"\narchive: {a.sites} sites x {a.captures} captures = {len(caps)} captures, "
          f"{len(distinct)} distinct digests per urlkey (each extracted once), "
          f"{len({payload_digest(c.body) for c in caps})} distinct bodies, "
          f"{intended} intended text changes; {a.rounds} rounds, order rotating; {cores} cores")
    print(f"{'tool':32} {'wall s':>7} {'CPU s':>7} {'requests':>9} {'PSS MB':>7} {'changes':>8}  (medians)")
    for name in ("palimpsest crawl", *peers):
        print(f"{name:32} {statistics.median(each(name, 'wall')):7.1f} "
              f"{statistics.median(each(name, 'cpu')):7.1f} {got[name][-1]['requests']:9d} "
              f"{statistics.median(each(name, 'pss')):7.0f} {got[name][-1]['changes']:8d}")
    careful = "careful (project extractor)"
    wall_ratio = [o / c for o, c in zip(each("palimpsest crawl", "wall"), each(careful, "wall"))]
    cpu_ratio = [o / c for o, c in zip(each("palimpsest crawl", "cpu"), each(careful, "cpu"))]
    ceiling = each("ceiling", "rate")
    ingest = [r / c for r, c in zip(each("ingest", "rate"), ceiling)]
    reextract = [r / c for r, c in zip(each("reextract", "rate"), ceiling)]
    extraction = [p / t for p, t in zip(each("extraction: project", "cpu"),
                                        each("extraction: trafilatura", "cpu"))]
    pages = got["extraction: project"][0]["pages"]
    print("\n| figure | each round | target |\n| --- | --- | --- |")
    print(f"| crawl wall / careful script with the same extractor | {rounds(wall_ratio)} | <= 0.90x in every run |")
    print(f"| crawl CPU / the same script | {rounds(cpu_ratio)} | <= 1.0x |")
    if memory:
        flat = memory[-1]["pss_mb"] / max(1.0, memory[0]["pss_mb"])
        print("| PSS of the crawl's process tree | " + ", ".join(
            f"{m['pss_mb']:.0f} MB at {m['sites']:,} sites" for m in memory) +
              f" ({flat:.2f}x) | <= 250 MB at 1,000 sites, flat from 1k to 10k |")
    print(f"| extraction CPU per page / trafilatura's on the same {pages} pages | {rounds(extraction)} "
          f"({1000 * statistics.median(each('extraction: project', 'cpu')) / pages:.1f} ms vs "
          f"{1000 * statistics.median(each('extraction: trafilatura', 'cpu')) / pages:.1f} ms) | <= 1.2x |")
    print(f"| ingest / {cores}-core extraction-only ceiling | {rounds(ingest, '')} "
          f"(ceiling {statistics.median(ceiling):.0f} payloads/s) | >= 0.85 |")
    print(f"| reextract / the same ceiling | {rounds(reextract, '')} | >= 0.85 |")
    for m in memory:
        print(f"memory run: {m['sites']:,} sites x {a.memory_captures} captures: {m['wall']:.0f} s, "
              f"{m['versions']} versions, PSS {m['pss_mb']:.0f} MB")


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"bench/cost.py: {time.perf_counter() - t0:.0f} s")
