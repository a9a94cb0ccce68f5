"""Distributed crawls: scrapy-redis workers sharing a queue, a rate limit and one corpus, against
pywb, with redis-server started on 127.0.0.1 by the test."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import REPO, UNLIMITED, citp, run_palimpsest
from crawler.demo.pywb import PywbServer, free_port, make_collection
from crawler.demo.warcs import Capture, write_warc
from fault_proxy import FaultProxy

N_SITES = 60
PAGES = ["welcomegateapp.com", "joyentcloud.com", "kickerstart.com", "quibi.com", "gyftr.com"]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    exe = shutil.which("redis-server")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed (.ci/run installs Debian's redis-server)")
        pytest.skip("redis-server not installed")
    port = free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait()


@pytest.fixture(scope="module")
def many_sites(wayback_bin, tmp_path_factory):
    """60 sites x 3 captures (two text versions and an identical recapture each) on pywb."""
    root = tmp_path_factory.mktemp("many")
    caps, rows = [], ["site,url"]
    for i in range(N_SITES):
        _, page, _ = citp(PAGES[i % len(PAGES)])
        url = f"http://www.site{i:03d}.example/privacy"
        rows.append(f"site{i:03d}.example,{url}")
        changed = page.replace(b"</body>", f"<p>Amendment for site {i}: we now share data with partners.</p></body>".encode(), 1)
        caps += [Capture(url, f"2015{i % 12 + 1:02d}01000000", page),
                 Capture(url, f"2016{i % 12 + 1:02d}01000000", page),
                 Capture(url, f"2017{i % 12 + 1:02d}01000000", changed)]
    warc = write_warc(root / "many.warc.gz", caps)
    make_collection(root, "many", [warc], wayback_bin)
    (root / "sites.csv").write_text("\n".join(rows) + "\n")
    with PywbServer(root, wayback_bin) as server:
        yield server, root / "sites.csv"


@pytest.fixture(scope="module")
def single_run(many_sites, tmp_path_factory) -> Path:
    server, seeds = many_sites
    out = tmp_path_factory.mktemp("single") / "out"
    r = run_palimpsest("crawl", str(seeds), "--out", str(out), "--archive", f"{server.url}/many", *UNLIMITED)
    assert r.returncode == 0, r.stderr[-2000:]
    return out


def corpus(out: Path) -> dict:
    files = {p.relative_to(out): p.read_bytes() for p in (out / "policies").rglob("*") if p.is_file()}
    files["changes.csv"] = (out / "changes.csv").read_bytes()
    return files


def kept(out: Path) -> list[tuple[str, str, str, str]]:
    """(URL, WARC-Date, record type, payload digest) of every capture record in OUT/snapshots/,
    read with warcio (every file there must be a valid WARC)."""
    from warcio.archiveiterator import ArchiveIterator

    assert not list((out / "snapshots" / ".open").glob("*")), "a snapshot file was left open"
    records = []
    for path in sorted((out / "snapshots").glob("*.warc.gz")):
        with path.open("rb") as fh:
            for r in ArchiveIterator(fh):
                if r.rec_type in ("response", "revisit"):
                    h = r.rec_headers
                    records.append((h.get_header("WARC-Target-URI"), h.get_header("WARC-Date"),
                                    r.rec_type, h.get_header("WARC-Payload-Digest")))
                    r.content_stream().read()
    return records


def check_snapshots_as_one_machine(out: Path, single: Path) -> None:
    """Every payload the single-process crawl kept is kept once, one response record per digest
    (which capture of a digest holds it depends on the order fetches arrive in), indexed."""
    ours, theirs = kept(out), kept(single)
    assert len(ours) == len(theirs) > 0
    assert sorted((u, d) for u, d, _, _ in ours) == sorted((u, d) for u, d, _, _ in theirs)
    assert len({(u, d) for u, d, _, _ in ours}) == len(ours), "a payload was kept twice"
    responses = [dg for _, _, kind, dg in ours if kind == "response"]
    assert sorted(responses) == sorted(dg for _, _, kind, dg in theirs if kind == "response")
    assert len(set(responses)) == len(responses)
    db, ref = sqlite3.connect(out / "corpus.sqlite"), sqlite3.connect(single / "corpus.sqlite")
    index = "SELECT count(*) FROM snapshots"
    assert db.execute(index).fetchone() == ref.execute(index).fetchone() == (len(ours),)


def start(args, env):
    """A palimpsest process whose output goes to a file: undrained pipes would block a process
    that logs more than a pipe holds while the test waits on another one."""
    log = tempfile.NamedTemporaryFile("w+", prefix="palimpsest-proc-", suffix=".log", delete=False)
    proc = subprocess.Popen([sys.executable, "-m", "crawler.cli", *args], cwd=REPO,
                            env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    proc.log_path = log.name
    log.close()
    return proc


def output(proc, timeout: float) -> str:
    proc.wait(timeout=timeout)
    text = Path(proc.log_path).read_text()
    os.unlink(proc.log_path)
    return text


CDX_PER_MIN, SNAPS_PER_S = 600, 25  # lifted for the test, but shared: the two workers together


def check_shared_limits(proxy: FaultProxy) -> None:
    for kind, interval in (("cdx", 60 / CDX_PER_MIN), ("snapshot", 1 / SNAPS_PER_S)):
        times = sorted(t for t, k, _, _ in proxy.log if k == kind)
        gaps = [b - a for a, b in zip(times, times[1:])]
        # Arrival times at the proxy jitter around the send times the gate spaced (on a loaded
        # machine a delayed request lands right before the next one), so single gaps say nothing:
        # the rate is checked over every one-second window (two unshared gates would double it).
        assert len(times) > 10, (kind, len(times), gaps[:5])
        for t in times:
            assert sum(1 for u in times if t <= u < t + 1.0) <= 1 / interval + 1, kind


def run_job(many_sites, tmp_path, redis_url, kill_one=False):
    server, seeds = many_sites
    proxy = FaultProxy(server.url, fault_rate=0.0)
    out = tmp_path / "out"
    job = f"job{int(time.time() * 1000)}"
    env = {"REDIS_URL": redis_url}
    rates = ["--cdx-per-minute", str(CDX_PER_MIN), "--snapshots-per-second", str(SNAPS_PER_S)]
    try:
        # workers first: they wait for the job, so each is ready when the seeds arrive
        workers = [start(["worker", "--job", job], env) for _ in range(2 if kill_one else 1)]
        time.sleep(1.0)
        coordinator = start(["crawl", str(seeds), "--out", str(out), "--archive", f"{proxy.url}/many",
                             "--distributed", "--job", job, *rates], env)
        if kill_one:  # kill -9 the first worker while it holds leased requests
            import redis

            server = redis.Redis.from_url(redis_url)
            holds = lambda: any(f"-{workers[0].pid}-" in lease.decode()  # noqa: E731
                                for lease in server.hkeys(f"palimpsest:{job}:processing"))
            deadline = time.time() + 60
            while time.time() < deadline and coordinator.poll() is None:
                if holds():
                    os.killpg(workers[0].pid, signal.SIGSTOP)  # freeze it, then make sure
                    if holds():
                        break
                    os.killpg(workers[0].pid, signal.SIGCONT)
                time.sleep(0.005)
            os.killpg(workers[0].pid, signal.SIGKILL)
            workers[0].wait()
        outs = [output(p, 240) for p in [coordinator, *workers[1 if kill_one else 0:]]]
        Path(tmp_path / "outputs.txt").write_text("\n=====\n".join(outs))
        assert coordinator.returncode == 0, outs[0][-3000:]
        return out, proxy, outs
    finally:
        proxy.stop()


def test_two_workers_make_the_single_process_corpus_within_one_rate_limit(many_sites, single_run, tmp_path, redis_url):
    out, proxy, outs = run_job(many_sites, tmp_path, redis_url)
    assert corpus(out) == corpus(single_run)
    assert "worker finished (finished)" in outs[1]
    check_shared_limits(proxy)
    # both processes did part of the work
    snapshots = [line for line in outs[1].splitlines() if "worker finished" in line][0]
    assert " 0 snapshots" not in snapshots
    check_snapshots_as_one_machine(out, single_run)
    # the job's snapshots re-derive the same corpus: reextract in place, ingest into a new one
    before = corpus(out)
    r = run_palimpsest("reextract", str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    assert "0 texts changed" in r.stderr and corpus(out) == before
    ingested = []
    for source in (out, single_run):  # the same corpus from the job's WARCs as from one machine's
        again = tmp_path / f"ingest-{len(ingested)}"
        r = run_palimpsest("ingest", *map(str, sorted((source / "snapshots").glob("*.warc.gz"))),
                           "--seeds", str(many_sites[1]), "--out", str(again))
        assert r.returncode == 0, r.stderr[-2000:]
        ingested.append(corpus(again))
    assert ingested[0] == ingested[1] and len(ingested[0]) > N_SITES


def test_killed_worker_loses_nothing(many_sites, single_run, tmp_path, redis_url):
    out, proxy, outs = run_job(many_sites, tmp_path, redis_url, kill_one=True)
    assert corpus(out) == corpus(single_run)
    db, ref = sqlite3.connect(out / "corpus.sqlite"), sqlite3.connect(single_run / "corpus.sqlite")
    for table in ("captures", "versions", "texts"):
        assert db.execute(f"SELECT count(*) FROM {table}").fetchone() == \
            ref.execute(f"SELECT count(*) FROM {table}").fetchone(), table
    assert db.execute("SELECT count(*) FROM errors").fetchone()[0] == 0
    check_snapshots_as_one_machine(out, single_run)
    # the killed worker held leased requests: the survivors put them back in the queue
    assert any("Re-queued" in o for o in outs), [o[-1500:] for o in outs]
