"""The extraction worker pool: results, errors, a worker that dies, a job that hangs."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from pipelines.workers import ExtractionFailed, WorkerPool


def job(kind: str, value: int = 0):
    if kind == "ok":
        return {"pid": os.getpid(), "value": value * 2}
    if kind == "raise":
        raise ValueError(f"bad page {value}")
    if kind == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    if kind == "hang":
        time.sleep(60)
    if kind == "sleep":
        time.sleep(value)
        return "slept"
    if kind == "size":
        return len(value)
    raise AssertionError(kind)


def run(coro):
    return asyncio.run(coro)


def test_results_come_back_in_parallel_workers():
    async def main():
        pool = WorkerPool(job, 2)
        try:
            results = await asyncio.gather(*(pool.run("ok", i) for i in range(20)))
        finally:
            pool.close()
        return results

    results = run(main())
    assert [r["value"] for r in results] == [2 * i for i in range(20)]
    assert len({r["pid"] for r in results}) == 2 and os.getpid() not in {r["pid"] for r in results}


def test_an_exception_fails_only_its_job():
    async def main():
        pool = WorkerPool(job, 1)
        try:
            outcomes = await asyncio.gather(pool.run("ok", 1), pool.run("raise", 7), pool.run("ok", 2),
                                            return_exceptions=True)
        finally:
            pool.close()
        return outcomes

    a, err, b = run(main())
    assert a["value"] == 2 and b["value"] == 4
    assert isinstance(err, ExtractionFailed) and "ValueError: bad page 7" in str(err)


def test_a_dead_worker_is_replaced_and_fails_only_its_job():
    async def main():
        pool = WorkerPool(job, 1)
        try:
            first = await pool.run("ok", 1)
            outcomes = await asyncio.gather(pool.run("die"), pool.run("ok", 3), return_exceptions=True)
        finally:
            pool.close()
        return first, outcomes

    first, (err, after) = run(main())
    assert isinstance(err, ExtractionFailed) and "died" in str(err) and "-9" in str(err)
    assert after["value"] == 6 and after["pid"] != first["pid"]


def test_a_hanging_job_is_stopped_after_the_timeout():
    async def main():
        pool = WorkerPool(job, 1, timeout=0.5)
        t0 = time.monotonic()
        try:
            outcomes = await asyncio.gather(pool.run("hang"), pool.run("ok", 5), return_exceptions=True)
        finally:
            pool.close()
        return outcomes, time.monotonic() - t0

    (err, after), elapsed = run(main())
    assert isinstance(err, ExtractionFailed) and "longer than 0.5 s" in str(err)
    assert after["value"] == 10
    assert elapsed < 30  # not the job's 60 s: it was stopped


def test_closed_pool_refuses_jobs_and_leaves_no_process():
    async def main():
        pool = WorkerPool(job, 2)
        await pool.run("ok", 1)
        procs = [w.process for w in pool.workers]
        pool.close()
        with pytest.raises(ExtractionFailed):
            await pool.run("ok", 2)
        return procs

    procs = run(main())
    assert all(not p.is_alive() for p in procs)


def test_a_big_job_waits_for_an_idle_worker_instead_of_blocking_the_loop():
    async def main():
        pool = WorkerPool(job, 1)
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.05)
                ticks += 1

        tick_task = asyncio.create_task(ticker())
        try:
            # a 12 MB job behind a running one would fill the socket and block the loop for 1 s
            results = await asyncio.gather(pool.run("sleep", 1.0), pool.run("size", b"x" * (12 << 20)))
        finally:
            tick_task.cancel()
            pool.close()
        return results, ticks

    (slept, size), ticks = run(main())
    assert slept == "slept" and size == 12 << 20
    assert ticks >= 12  # the loop kept running while the first job slept


def test_pages_that_kill_their_worker_do_not_stop_the_pool():
    async def main():
        pool = WorkerPool(job, 1)
        try:
            outcomes = await asyncio.gather(*(pool.run("die") for _ in range(5)), return_exceptions=True)
            after = await pool.run("ok", 1)
        finally:
            pool.close()
        return outcomes, after

    outcomes, after = run(main())
    assert all(isinstance(o, ExtractionFailed) and "died" in str(o) for o in outcomes)
    assert after["value"] == 2


def _exit_at_start(conn, func, *inherited):
    os._exit(3)


class _CannotStart(WorkerPool):
    serve = staticmethod(_exit_at_start)


def test_workers_that_cannot_start_are_not_restarted_forever():
    async def main():
        pool = _CannotStart(job, 2)
        try:
            outcomes = await asyncio.wait_for(asyncio.gather(
                *(pool.run("ok", i) for i in range(8)), return_exceptions=True), 30)
            alive = len(pool.workers)
        finally:
            pool.close()
        return outcomes, alive

    outcomes, alive = run(main())
    assert all(isinstance(o, ExtractionFailed) for o in outcomes)
    assert "failed to start 3 times in a row (last exit code 3)" in str(outcomes[-1])
    assert alive == 0


POOL_SCRIPT = """
import asyncio, sys
sys.path.insert(0, {repo!r})
from pipelines.workers import WorkerPool

def job(x):
    return x

async def main():
    pool = WorkerPool(job, 2, timeout=60)
    await asyncio.gather(*(pool.run(i) for i in range(4)))
    print(" ".join(str(w.process.pid) for w in pool.workers), flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


def test_workers_die_with_a_killed_crawl():
    """kill -9 of the crawl process leaves no extraction worker behind (each used to keep its own
    pipe's other end open, so it waited forever)."""
    import signal
    import subprocess
    import sys
    import time

    from conftest import REPO

    proc = subprocess.Popen([sys.executable, "-c", POOL_SCRIPT.format(repo=str(REPO))],
                            stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert len(pids) == 2
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 20
        alive = pids
        while alive and time.monotonic() < deadline:
            alive = [p for p in pids if os.path.exists(f"/proc/{p}") and
                     "Z" not in open(f"/proc/{p}/stat").read().split()[2]]
            time.sleep(0.05)
        assert not alive, alive
    finally:
        if proc.poll() is None:
            proc.kill()
