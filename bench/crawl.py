"""End-to-end benchmark: a generated archive served by pywb on loopback, limits lifted.

Builds SITES x CAPTURES captures from the citp-dev pages (each site's text changes every few
captures, with identical recaptures and HTML-only changes in between), runs ``palimpsest crawl``
twice (fresh, then with nothing new) and prints:

* fetches vs the 1 + D minimum (CDX queries + D distinct digests per urlkey: captures are listed
  under several spellings of the URL, as on the real archive, and each digest is fetched once);
* versions/s end to end, and the extraction-only rate for the same pages;
* peak RSS of the crawl process tree.

    python bench/crawl.py [--sites 100] [--captures 10] [--workers N] [--distributed K]
    python bench/crawl.py --sites 1000 --write-archive DIR     # on the archive machine, then
    python bench/crawl.py --sites 1000 --archive http://HOST:8080/bench   # on the crawling one
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crawler.demo.pywb import PywbServer, find_wayback, make_collection  # noqa: E402
from crawler.demo.warcs import Capture, write_warc  # noqa: E402
from pipelines.captures import payload_digest, surt_key  # noqa: E402
from pipelines.extract import extract_policy  # noqa: E402

CITP = REPO.parent / "shared" / "corpus" / "citp-dev"


def amend(page: bytes, sentence: str) -> bytes:
    """The page with a sentence added *inside* the policy text (after its middle paragraph), as
    real amendments are: not before </body>, where extractors rightly drop it."""
    ends = [i for i in range(len(page)) if page.startswith(b"</p>", i)] or \
        [i for i in range(len(page)) if page.startswith(b"<br", i)]
    if not ends:
        return page.replace(b"</body>", f"<p>{sentence}</p></body>".encode(), 1)
    at = ends[len(ends) // 2]
    return page[:at] + f" {sentence}".encode() + page[at:]


def build(sites: int, captures: int, seed: int = 7):
    """(captures, seed CSV, distinct (urlkey, digest) pairs, intended text changes)."""
    rng = random.Random(seed)
    pages = [(d / "page.html").read_bytes() for d in sorted(CITP.iterdir()) if d.is_dir()]
    caps, rows, distinct, intended = [], ["site,url"], set(), 0
    for i in range(sites):
        url = f"http://www.site{i:05d}.example/privacy"
        rows.append(f"site{i:05d}.example,{url}")
        base = pages[i % len(pages)]
        body = base
        for j in range(captures):
            ts = f"{2005 + j:04d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}120000"
            r = rng.random()
            if j and r < 0.3:  # the text changes: an amendment inside the policy text
                body = amend(base, f"Amendment {j}: we now share your e-mail address with partner {i}.")
                intended += 1
            elif j and r < 0.45:  # HTML-only change
                body = body.replace(b"<head>", f"<head><script>var b={j};</script>".encode(), 1)
            # one urlkey, several spellings (as real CDX answers list them)
            spelling = rng.choice([url, url, url.replace("http://www.", "https://"),
                                   url.replace("/privacy", ":80/privacy")])
            caps.append(Capture(spelling, ts, body))
            distinct.add((surt_key(url), payload_digest(body)))
    return caps, "\n".join(rows) + "\n", distinct, intended


def pss_mb(pid: int) -> tuple[float, float]:
    """(PSS of the process and all its descendants, RSS of the largest of them), in MB: summed
    RSS would count the memory forked workers share with the crawl process twice."""
    pids, stack = [], [pid]
    while stack:
        p = stack.pop()
        pids.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                stack += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    total = largest = 0.0
    for p in pids:
        try:
            text = Path(f"/proc/{p}/smaps_rollup").read_text()
        except OSError:
            continue
        fields = {line.split(":")[0]: int(line.split()[1]) for line in text.splitlines()[1:]
                  if line.split() and line.split()[1].isdigit()}
        total += fields.get("Pss", 0) / 1024
        largest = max(largest, fields.get("Rss", 0) / 1024)
    return total, largest


def changes_found(out: Path) -> int:
    import csv as _csv

    with open(out / "changes.csv", encoding="utf-8") as f:
        return sum(1 for row in _csv.DictReader(f) if row["extractor_changed"] in ("False", "0", ""))


def _cpu_seconds(pid: int, children: bool = False) -> float:
    """CPU time (user + system) of a live process from /proc; with children, of its reaped ones."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    i = 13 if children else 11
    return (int(fields[i]) + int(fields[i + 1])) / os.sysconf("SC_CLK_TCK")


def measure(cmd: list[str], archive_pid: int | None = None) -> tuple[str, float, dict]:
    """Run one command; (stdout, wall seconds, figures: CPU by process, PSS of the tree)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    archive_before = _cpu_seconds(archive_pid) if archive_pid else 0.0
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    main_cpu = [0.0]
    memory = [0.0, 0.0]

    def sample() -> None:  # the main process's CPU and the tree's memory, read until it exits
        while proc.poll() is None:
            try:
                main_cpu[0] = _cpu_seconds(proc.pid)
                pss, largest = pss_mb(proc.pid)
                memory[0], memory[1] = max(memory[0], pss), max(memory[1], largest)
            except (OSError, IndexError, ValueError):
                pass
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    elapsed = time.perf_counter() - t0
    sampler.join()
    if proc.returncode != 0:
        print(stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"{cmd[:3]} failed")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    tree = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return stdout, elapsed, {
        "crawler": main_cpu[0], "pools": max(0.0, tree - main_cpu[0]), "cpu": tree,
        "archive": (_cpu_seconds(archive_pid) - archive_before) if archive_pid else 0.0,
        "pss_mb": memory[0], "largest_rss_mb": memory[1]}


def run(args: list[str], archive_pid: int | None = None) -> tuple[dict, float, float, dict]:
    """Run one crawl; returns (summary, wall seconds, peak RSS MB, figures)."""
    _, elapsed, figures = measure([sys.executable, "-m", "crawler.cli", *args], archive_pid)
    out = Path(args[args.index("--out") + 1])
    return json.loads((out / "last_run.json").read_text()), elapsed, figures["largest_rss_mb"], figures


PEERS = {"careful (project extractor)": ["--extractor", "project"],
         "careful (trafilatura)": ["--extractor", "trafilatura"],
         "naive per-capture (project extractor)": ["--extractor", "project", "--naive"]}


def run_peers(root: Path, archive: str, rounds: int, first: dict, t_first: float, cpu: dict,
              found: int) -> str:
    """The peers against the same archive in the same run, their order rotating each round;
    palimpsest's first-run figures are the reference. Returns the table to print."""
    names = list(PEERS)
    results: dict[str, list[tuple[float, dict, dict]]] = {n: [] for n in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            out = root / f"peer-{len(results[name])}-{names.index(name)}"
            stdout, wall, fig = measure([sys.executable, str(REPO / "bench" / "peer_careful.py"), archive,
                                         str(root / "sites.csv"), str(out), *PEERS[name]])
            results[name].append((wall, fig, json.loads(stdout.strip().splitlines()[-1])))
    ours_requests = first["cdx_requests"] + first["snapshot_requests"]
    lines = [f"{'tool':40} {'wall s':>7} {'CPU s':>7} {'requests':>9} {'PSS MB':>7} {'changes':>8}",
             f"{'palimpsest crawl':40} {t_first:7.1f} {cpu['cpu']:7.1f} "
             f"{ours_requests:9d} {cpu['pss_mb']:7.0f} {found:8d}"]
    careful = None
    for name in names:
        wall = statistics.median(w for w, _, _ in results[name])
        cpu_s = statistics.median(f["cpu"] for _, f, _ in results[name])
        pss = statistics.median(f["pss_mb"] for _, f, _ in results[name])
        got = results[name][-1][2]
        lines.append(f"{name:40} {wall:7.1f} {cpu_s:7.1f} {got['requests']:9d} {pss:7.0f} {got['changes']:8d}")
        if name.startswith("careful (project"):
            careful = (wall, cpu_s, got["requests"], pss)
    if careful:
        lines.append(f"palimpsest / careful script with the same extractor: wall {t_first / careful[0]:.2f}x, "
                     f"CPU {(cpu['cpu']) / careful[1]:.2f}x, requests "
                     f"{ours_requests / careful[2]:.2f}x, PSS {cpu['pss_mb'] / max(1, careful[3]):.2f}x")
    return "\n".join(lines)


def run_distributed(common: list[str], processes: int, job: str) -> tuple[dict, float]:
    """Coordinator + (processes - 1) workers on a private redis-server; returns (summary, wall)."""
    import shutil

    from crawler.demo.pywb import free_port

    port = free_port()
    redis_proc = subprocess.Popen([shutil.which("redis-server"), "--port", str(port), "--save", "",
                                   "--appendonly", "no"], stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    env = {**os.environ, "REDIS_URL": f"redis://127.0.0.1:{port}/0"}
    try:
        t0 = time.perf_counter()
        coord = subprocess.Popen([sys.executable, "-m", "crawler.cli", *common, "--distributed",
                                  "--job", job], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        workers = [subprocess.Popen([sys.executable, "-m", "crawler.cli", "worker", "--job", job, "-q"],
                                    cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                   for _ in range(processes - 1)]
        coord.wait()
        for w in workers:
            w.wait()
        elapsed = time.perf_counter() - t0
    finally:
        redis_proc.terminate()
    out = Path(common[common.index("--out") + 1])
    return json.loads((out / "last_run.json").read_text()), elapsed


@contextlib.contextmanager
def archive_server(root: Path, caps: list[Capture], url: str | None):
    """(archive URL, pywb pid or None): a local pywb on loopback, or the given remote archive."""
    if url:
        yield url.rstrip("/"), None
        return
    wayback = find_wayback(install=True)
    write_archive(root, caps, wayback)
    with PywbServer(root / "pywb", wayback) as server:
        yield f"{server.url}/bench", server.proc.pid


def write_archive(root: Path, caps: list[Capture], wayback: Path) -> Path:
    """The benchmark's WARC and its pywb collection ``bench`` under ``root/pywb``."""
    root.mkdir(parents=True, exist_ok=True)
    warc = write_warc(root / "bench.warc.gz", caps)
    make_collection(root / "pywb", "bench", [warc], wayback)
    return root / "pywb"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sites", type=int, default=100)
    ap.add_argument("--captures", type=int, default=10)
    ap.add_argument("--workers", type=int, default=None, help="extraction processes")
    ap.add_argument("--distributed", type=int, default=0,
                    help="also run the crawl as a distributed job with this many processes")
    ap.add_argument("--write-archive", metavar="DIR",
                    help="only write the archive (WARC + pywb collection 'bench') to DIR, to serve "
                         "it from another machine with: wayback -b 0.0.0.0 -p 8080 -d DIR/pywb")
    ap.add_argument("--peers", type=int, default=0, metavar="ROUNDS",
                    help="also run the peer scripts (bench/peer_careful.py: careful with this "
                         "project's extractor, careful with trafilatura, naive per-capture) this "
                         "many rounds, order rotating, and print ratios")
    ap.add_argument("--archive", metavar="URL",
                    help="crawl this already-running copy of the archive (e.g. "
                         "http://otherhost:8080/bench, written with the same --sites/--captures) "
                         "instead of a local pywb: the archive's CPU is then not on this machine")
    a = ap.parse_args()
    caps, seeds_csv, distinct, intended = build(a.sites, a.captures)
    if a.write_archive:
        coll = write_archive(Path(a.write_archive).resolve(), caps, find_wayback(install=True))
        print(f"archive written: serve it with `wayback -b 0.0.0.0 -p 8080 -d {coll}`, then run "
              f"`python bench/crawl.py --sites {a.sites} --captures {a.captures} "
              f"--archive http://HOST:8080/bench` on the crawling machine")
        return
    with tempfile.TemporaryDirectory(prefix="palimpsest-bench-") as tmp:
        root = Path(tmp)
        (root / "sites.csv").write_text(seeds_csv)
        with archive_server(root, caps, a.archive) as (archive_url, archive_pid):
            # the command a user types for a local archive (lifted rates bring the concurrency)
            common = ["crawl", str(root / "sites.csv"), "--out", str(root / "out"), "--archive",
                      archive_url, "--dialect", "pywb", "--cdx-per-minute", "0",
                      "--snapshots-per-second", "0", "-q", "-s", "PALIMPSEST_PROGRESS_INTERVAL=0"]
            if a.workers is not None:
                common += ["-s", f"PALIMPSEST_EXTRACT_WORKERS={a.workers}"]
            first, t_first, rss, cpu = run(common, archive_pid)
            found = changes_found(root / "out")
            peers = run_peers(root, archive_url, a.peers, first, t_first, cpu, found) if a.peers else None
            second, t_second, _, _ = run(common)
            dist = None
            if a.distributed:
                dcommon = list(common)
                dcommon[dcommon.index("--out") + 1] = str(root / "out-distributed")
                dist = run_distributed(dcommon + ["-s", "PALIMPSEST_EXTRACT_WORKERS=1"],
                                       a.distributed, "bench")
        # extraction alone, one core, over the distinct payloads
        bodies = list({payload_digest(c.body): c.body for c in caps}.values())
        t0 = time.perf_counter()
        for b in bodies:
            extract_policy(b, "text/html", "http://x.example/privacy")
        extract_rate = len(bodies) / (time.perf_counter() - t0)
    requests = first["cdx_requests"] + first["snapshot_requests"]
    per_url = a.sites + len(distinct)  # 1 + D per URL
    versions = first["corpus"]["versions"]
    print(f"archive: {a.sites} sites x {a.captures} captures = {len(caps)} captures, "
          f"{len(distinct)} distinct digests per urlkey (D)")
    print(f"requests: {requests} (CDX {first['cdx_requests']} + snapshots {first['snapshot_requests']}); "
          f"1 + D per URL: {per_url}; ratio {requests / per_url:.2f}")
    print(f"first run: {t_first:.1f} s wall (incl. ~2 s start-up), {versions} versions, "
          f"{versions / t_first:.1f} versions/s, {first['snapshot_requests'] / t_first:.1f} fetches/s")
    print(f"extraction alone: {extract_rate:.1f} payloads/s on one core")
    print(f"re-run with nothing new: {second['snapshot_requests']} fetches, {second['cdx_requests']} CDX, "
          f"{t_second:.1f} s")
    print(f"memory: PSS of the process tree {cpu['pss_mb']:.0f} MB (largest process RSS "
          f"{cpu['largest_rss_mb']:.0f} MB)")
    print(f"changes: found {found} of {intended} intended")
    fetched = first["snapshot_requests"]
    cores = os.cpu_count() or 1
    ceiling = cores * extract_rate
    print(f"end to end vs the {cores}-core extraction ceiling ({ceiling:.0f} payloads/s): "
          f"{fetched / t_first / ceiling:.2f}")
    ms = {k: 1000 * v / fetched for k, v in cpu.items() if k in ("crawler", "pools", "archive")}
    archive_ms = f"pywb {ms['archive']:.1f} ms" if a.archive is None else "the archive: elsewhere"
    print(f"CPU per fetched payload: extraction + change pools {ms['pools']:.1f} ms, crawler process "
          f"{ms['crawler']:.1f} ms, {archive_ms} (all start-up included); "
          f"extraction alone {1000 / extract_rate:.1f} ms")
    if a.archive is None:
        # pywb runs on the same cores: with a crawler that cost nothing, extraction could
        # still only have the CPU that pywb leaves.
        box = cores / (1 / extract_rate + cpu["archive"] / fetched)
        print(f"ceiling with pywb on the same {cores} cores (extraction + pywb only): {box:.0f} "
              f"payloads/s = {box / ceiling:.2f} of the {cores}-core ceiling; end to end reaches "
              f"{fetched / t_first / box:.2f} of it")
    if peers:
        print(peers)
    if dist:
        summary, wall = dist
        print(f"distributed, {a.distributed} processes (1 extraction worker each) sharing one Redis "
              f"job: {wall:.1f} s wall, {summary['corpus']['versions']} versions "
              f"(single process: {t_first:.1f} s, {versions} versions)")


if __name__ == "__main__":
    main()
