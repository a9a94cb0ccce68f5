"""The corpus index's SQLite connection: WAL mode, one transaction per unit of work (or per
batch of units, for the commands that store thousands of them)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path


def connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, timeout=60)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    return db


class Transaction:
    """``with Transaction(db):`` one IMMEDIATE transaction; nested uses join the outer one."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self.outer = False

    def __enter__(self):
        self.outer = not self.db.in_transaction
        if self.outer:
            self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, exc, tb):
        if self.outer:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")
        return False


class Batch:
    """Units of work joined into fewer transactions: ``ingest`` and ``reextract`` store thousands
    of small units (a capture, a fetch and its text), and a commit each cost more than the units
    themselves. Inside ``with Batch(db, size) as batch:`` each unit's own :class:`Transaction`
    joins the open one, and ``batch.done()`` after a unit commits once ``size`` units are in or
    ``seconds`` have passed since the batch began (a long run shows its progress to readers of
    the index). Leaving the block commits what is in; an exception rolls the open batch back: at
    most one batch of units, which the next run does again, as after a kill."""

    def __init__(self, db: sqlite3.Connection, size: int = 256, seconds: float = 1.0):
        self.db, self.size, self.seconds = db, max(1, size), seconds
        self.units, self.began = 0, 0.0

    def __enter__(self) -> "Batch":
        if self.db.in_transaction:
            raise RuntimeError("a batch cannot begin inside a transaction")
        self._begin()
        return self

    def _begin(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        self.units, self.began = 0, time.monotonic()

    def done(self) -> None:
        """One unit is complete: committed with the others once the batch is full."""
        self.units += 1
        if self.units >= self.size or time.monotonic() - self.began >= self.seconds:
            self.db.execute("COMMIT")
            self._begin()

    def __exit__(self, exc_type, exc, tb):
        if self.db.in_transaction:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")
        return False


class Repository:
    """Base of the corpus's repositories: one concern's tables behind typed methods."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def transaction(self) -> Transaction:
        return Transaction(self.db)

    def mark_dirty(self, *sites: str) -> None:
        """These sites' versions are to be rebuilt (the index changed under them)."""
        self.db.executemany("INSERT OR IGNORE INTO dirty_sites VALUES (?)", [(s,) for s in sites])
