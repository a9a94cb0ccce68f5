"""Files the corpus writes: complete or absent, never half-written, with the user's umask."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Iterator, TextIO


def _file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


FILE_MODE = _file_mode()  # what open() would give a new file under the user's umask


@contextlib.contextmanager
def atomic_open(path: Path, durable: bool = True) -> Iterator[TextIO]:
    """A text file to write in pieces that appears whole at ``path`` once the block ends, and
    not at all if it raises: either absent, old, or complete, never half-written.

    ``durable=False`` leaves the fsync to the caller, who writes many files and then makes
    them durable at once (``os.sync()``) before recording that they exist."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    except FileNotFoundError:  # the folder is made once, not asked for before every file
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)  # mkstemp makes 0600; corpus files follow the user's umask
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            yield f
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write(path: Path, data: str, durable: bool = True) -> None:
    """A whole file written with :func:`atomic_open`."""
    with atomic_open(path, durable) as f:
        f.write(data)


def user_cache(*parts: str) -> Path:
    """A folder in the user's cache (``$XDG_CACHE_HOME/palimpsest/...``, else
    ``~/.cache/palimpsest/...``) for what is made once and read by every run."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base, "palimpsest", *parts)


def write_json(path: Path, value) -> None:
    """A JSON file written atomically (indented, one trailing newline)."""
    atomic_write(Path(path), json.dumps(value, indent=2) + "\n")
