"""The corpus index's SQLite connection: WAL mode, one transaction per unit of work."""

from __future__ import annotations

import sqlite3
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


class Repository:
    """Base of the corpus's repositories: one concern's tables behind typed methods."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def transaction(self) -> Transaction:
        return Transaction(self.db)

    def mark_dirty(self, *sites: str) -> None:
        """These sites' versions are to be rebuilt (the index changed under them)."""
        self.db.executemany("INSERT OR IGNORE INTO dirty_sites VALUES (?)", [(s,) for s in sites])
