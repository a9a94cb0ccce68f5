"""Run a local pywb archive (for the demo, tests and benchmarks).

pywb pins old dependencies and monkeypatches sockets on import (gevent), so it lives in its own
virtual environment and runs as a subprocess. Where it is found, in order: ``PALIMPSEST_PYWB``
(the ``wayback`` executable or a venv folder), then
``~/.cache/palimpsest/pywb-venv`` (created with ``pip install pywb`` when missing).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from pipelines.files import user_cache

PYWB_REQUIREMENT = "pywb==2.10.*"
DEFAULT_VENV = user_cache("pywb-venv")


class PywbNotAvailable(RuntimeError):
    pass


def _bin(venv: Path, name: str) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / name


def find_wayback(install: bool = False) -> Path:
    """Path of pywb's ``wayback`` executable; install pywb in its own venv if asked."""
    env = os.environ.get("PALIMPSEST_PYWB")
    if env:
        p = Path(env)
        cand = _bin(p, "wayback") if p.is_dir() else p
        if cand.exists():
            return cand
        raise PywbNotAvailable(f"PALIMPSEST_PYWB={env!r} does not point to pywb's wayback")
    if _bin(DEFAULT_VENV, "wayback").exists():
        return _bin(DEFAULT_VENV, "wayback")
    if not install:
        raise PywbNotAvailable("pywb is not installed: run `palimpsest demo` (it installs pywb into "
                               f"{DEFAULT_VENV}) or set PALIMPSEST_PYWB")
    print(f"Installing pywb into its own environment {DEFAULT_VENV} (one time)...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(DEFAULT_VENV)], check=True)
    subprocess.run([str(_bin(DEFAULT_VENV, "python")), "-m", "pip", "install", "-q", "--upgrade",
                    "pip"], check=True)
    subprocess.run([str(_bin(DEFAULT_VENV, "python")), "-m", "pip", "install", "-q",
                    PYWB_REQUIREMENT], check=True)
    return _bin(DEFAULT_VENV, "wayback")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_collection(root: Path, name: str, warcs: list[Path], wayback: Path) -> None:
    """Create ``root/collections/name`` holding ``warcs`` and index it with wb-manager."""
    root.mkdir(parents=True, exist_ok=True)
    wb_manager = wayback.with_name("wb-manager")
    if not (root / "collections" / name).exists():
        subprocess.run([str(wb_manager), "init", name], cwd=root, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    result = subprocess.run([str(wb_manager), "add", name, *map(str, warcs)], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"wb-manager add failed: {result.stdout[-2000:]}")


def pywb_environment() -> dict[str, str]:
    """Environment for the pywb process.

    pywb's front end calls its own warcserver over HTTP for every request. With gevent's default
    thread-pool resolver each call resolves ``localhost`` on a worker thread, and ``requests`` scans
    the whole environment for proxy variables twice; a blocking resolver and a short environment
    without proxy variables cut pywb's CPU per request by about a tenth (what it serves is the same).
    """
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env["GEVENT_RESOLVER"] = "block"
    return env


class PywbServer:
    """A pywb ``wayback`` subprocess on 127.0.0.1; use as a context manager."""

    def __init__(self, root: Path, wayback: Path, port: int | None = None, log: Path | None = None):
        self.root = Path(root)
        self.wayback = wayback
        self.port = port or free_port()
        self.log_path = log or self.root / "pywb.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> "PywbServer":
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([str(self.wayback), "-b", "127.0.0.1", "-p", str(self.port),
                                      "-d", str(self.root)], cwd=self.root, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     env=pywb_environment())
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pywb exited early; see {self.log_path}")
            try:
                urllib.request.urlopen(self.url + "/", timeout=1).read()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"pywb did not answer on {self.url} within {timeout} s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> "PywbServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

