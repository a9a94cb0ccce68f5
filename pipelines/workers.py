"""A pool of extraction processes driven from the asyncio loop that Scrapy's reactor runs on.

Why not ``concurrent.futures.ProcessPoolExecutor``: its manager and feeder threads hand every
payload to the workers through two extra thread hops, and the reactor thread waits for the GIL at
each hop; one worker that dies (a crash in a C extension, the OOM killer) breaks the whole pool
for the rest of the crawl; and a page that makes an extractor hang holds a worker forever.

Here each worker has its own socket pair, written and read by the loop itself (``add_reader``):
each worker holds its running job and the next one, and an answer wakes the loop. A worker that
dies fails only its running job (:class:`ExtractionFailed`), its queued job goes to another
worker, and it is replaced; a job running longer than ``timeout`` seconds has its worker killed
and replaced the same way.
"""

from __future__ import annotations

import asyncio
import collections
import gc
import logging
import multiprocessing
import os
import pickle
import signal
import socket
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Callable

logger = logging.getLogger(__name__)


class ExtractionFailed(RuntimeError):
    """A job's worker raised, died or ran out of time; the message says which."""


def _grow_send_buffer(conn: Connection, size: int = 4 << 20) -> None:
    """Ask for a larger socket send buffer (the kernel caps it, e.g. at net.core.wmem_max)."""
    try:
        sock = socket.socket(fileno=os.dup(conn.fileno()))
    except OSError:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
    except OSError:
        pass
    finally:
        sock.close()


def worker_setup() -> None:
    """First thing in a forked worker process (a pool's ``initializer``): :func:`die_with_parent`,
    and ``gc.freeze()``: the objects inherited from the parent are left out of this process's
    garbage collections, which would otherwise write to every one of them and so copy into this
    process the memory pages it shares with the parent (copy-on-write)."""
    gc.freeze()
    die_with_parent()


def die_with_parent() -> None:
    """Linux: the kernel kills this worker when the crawl process dies (even by SIGKILL)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _serve(conn: Connection, func: Callable[..., Any], inherited: tuple[int, ...] = ()) -> None:
    """A worker's loop: one (args) message in, one (ok, result or error text) message out.

    ``inherited``: the parent-side ends of the workers' pipes (its own included) that fork
    copied into this process; they are closed, or a killed crawl would leave this worker waiting
    forever for an end of file that its own copy prevents."""
    parent = os.getppid()
    worker_setup()
    for fd in inherited:
        try:
            os.close(fd)
        except OSError:
            pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the crawler's: it stops us itself
    conn.send_bytes(b"")  # ready: a worker that dies before this could not start at all
    while True:
        try:
            while not conn.poll(2.0):
                if os.getppid() != parent:  # the crawl process is gone (where prctl is missing)
                    return
            args = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        try:
            answer = (True, func(*args))
        except Exception as exc:  # reported to the caller, the worker lives on
            answer = (False, f"{type(exc).__name__}: {exc}")
        try:
            conn.send_bytes(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
        except (BrokenPipeError, OSError):
            return


@dataclass(eq=False)
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    # (args, future) of the jobs sent and not answered, oldest first; the oldest is running
    jobs: collections.deque = field(default_factory=collections.deque)
    started: float = 0.0  # when the running job started
    killed_for: str | None = None
    ready: bool = False


class WorkerPool:
    """``await pool.run(*args)`` runs ``func(*args)`` in one of ``size`` worker processes."""

    QUEUED_PER_WORKER = 2  # the running job and the next one
    QUEUED_MAX_BYTES = 192 * 1024  # a job queued behind a running one fits the socket buffer
    MAX_FAILED_STARTS = 3
    serve = staticmethod(_serve)  # a worker process's main function

    def __init__(self, func: Callable[..., Any], size: int, timeout: float | None = 300.0,
                 stats=None):
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.func = func
        self.size = size
        self.timeout = timeout
        self.stats = stats
        # fork: workers start at once, with the extraction modules already imported
        self.context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
        self.loop: asyncio.AbstractEventLoop | None = None
        self.workers: list[_Worker] = []
        self.waiting: collections.deque[tuple[tuple, asyncio.Future]] = collections.deque()
        self._watchdog: asyncio.TimerHandle | None = None
        self.closed = False
        self.broken: str | None = None  # why workers cannot run at all
        self._failed_starts = 0

    # -- lifecycle --------------------------------------------------------------------------
    def _start_worker(self) -> None:
        parent, child = self.context.Pipe(duplex=True)
        _grow_send_buffer(parent)  # so that queueing a job behind a running one rarely blocks
        inherited = tuple(w.conn.fileno() for w in self.workers) + (parent.fileno(),)
        args = (child, self.func, inherited) if self.context.get_start_method() == "fork" \
            else (child, self.func)
        process = self.context.Process(target=self.serve, args=args, daemon=True,
                                       name="palimpsest-extract")
        process.start()
        child.close()
        worker = _Worker(process, parent)
        self.workers.append(worker)
        self.loop.add_reader(parent.fileno(), self._answer, worker)

    def _ensure_started(self) -> None:
        if self.loop is None:
            self.loop = asyncio.get_running_loop()
            for _ in range(self.size):
                self._start_worker()
            if self.timeout:
                self._watchdog = self.loop.call_later(self._tick, self._check_time)

    def close(self) -> None:
        """Stop the workers (their jobs, if any, fail)."""
        self.closed = True
        if self._watchdog:
            self._watchdog.cancel()
        for worker in list(self.workers):
            self._retire(worker, "was stopped: the pool was closed", replace=False)
        for _, future in self.waiting:
            if not future.done():
                future.set_exception(ExtractionFailed("the pool was closed"))
        self.waiting.clear()

    @property
    def _tick(self) -> float:
        return max(0.05, min(5.0, self.timeout / 2))

    # -- jobs -------------------------------------------------------------------------------
    async def run(self, *args: Any) -> Any:
        if self.closed or self.broken:
            raise ExtractionFailed(self.broken or "the pool was closed")
        self._ensure_started()
        future = self.loop.create_future()
        self.waiting.append((args, future))
        self._dispatch()
        return await future

    def _dispatch(self) -> None:
        """Send waiting jobs: first to idle workers, then one more queued behind each running
        job, so that no worker waits for the loop between two jobs."""
        while self.waiting:
            worker = min(self.workers, key=lambda w: len(w.jobs), default=None)
            if worker is None or len(worker.jobs) >= self.QUEUED_PER_WORKER:
                return
            args, future = self.waiting[0]
            if future.done():  # cancelled while waiting
                self.waiting.popleft()
                continue
            message = pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL)
            if worker.jobs and len(message) > self.QUEUED_MAX_BYTES:
                return  # a big job waits for an idle worker: queueing it could block the loop
            self.waiting.popleft()
            if not worker.jobs:
                worker.started = self.loop.time()
            worker.jobs.append((args, future))
            try:
                worker.conn.send_bytes(message)
            except (BrokenPipeError, OSError):
                self._retire(worker, "died before its job could be sent")

    def _answer(self, worker: _Worker) -> None:
        try:
            message = worker.conn.recv_bytes()
            if not worker.ready:  # the worker's first message says it is up
                worker.ready = True
                self._failed_starts = 0
                return
            ok, result = pickle.loads(message)
        except (EOFError, OSError, pickle.UnpicklingError):
            self._retire(worker, worker.killed_for or "died")
            return
        _, future = worker.jobs.popleft()
        worker.started = self.loop.time()  # the next queued job, if any, starts now
        if not future.done():
            if ok:
                future.set_result(result)
            else:
                future.set_exception(ExtractionFailed(result))
        self._dispatch()

    def _retire(self, worker: _Worker, why: str, replace: bool = True) -> None:
        """Remove a worker (killing it if needed), fail its job, start a replacement."""
        if worker not in self.workers:
            return
        self.workers.remove(worker)
        self.loop.remove_reader(worker.conn.fileno())
        worker.conn.close()
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(5)
        code = worker.process.exitcode
        if worker.jobs:
            (_, running), queued = worker.jobs.popleft(), list(worker.jobs)
            worker.jobs.clear()
            if not running.done():
                detail = f"the extraction worker {why} (exit code {code})"
                if replace:
                    if self.stats:
                        self.stats.inc_value("palimpsest/extraction_worker_lost")
                    logger.warning("%s; starting another one", detail)
                running.set_exception(ExtractionFailed(detail))
            # jobs queued behind the lost one were not started: they go first to another worker
            self.waiting.extendleft(reversed(queued))
        if not worker.ready and worker.killed_for is None:
            self._failed_starts += 1
        if not self.broken and replace and self._failed_starts >= self.MAX_FAILED_STARTS:
            # workers die before they are even up: a broken environment, not a bad page
            self.broken = (f"extraction workers failed to start {self._failed_starts} times in a "
                           f"row (last exit code {code}); not restarted")
            logger.error("%s", self.broken)
        if self.broken:
            for _, future in self.waiting:
                if not future.done():
                    future.set_exception(ExtractionFailed(self.broken))
            self.waiting.clear()
            replace = False
            # replacements started before the verdict would die the same way, or sit idle: a
            # broken pool keeps no worker (nothing is sent to it any more)
            for other in list(self.workers):
                other.killed_for = "was stopped: the pool cannot start workers"
                self._retire(other, other.killed_for, replace=False)
        if replace and not self.closed:
            self._start_worker()
            self._dispatch()

    def _check_time(self) -> None:
        now = self.loop.time()
        for worker in list(self.workers):
            if worker.jobs and now - worker.started > self.timeout:
                worker.killed_for = f"took longer than {self.timeout:g} s and was stopped"
                self._retire(worker, worker.killed_for)
        self._watchdog = self.loop.call_later(self._tick, self._check_time)
