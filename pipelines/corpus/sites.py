"""Seeds, each site's policy URLs (with the ones it moved to), the archive's blocks, and errors."""

from __future__ import annotations

import time

from pipelines.corpus.db import Repository


class Sites(Repository):
    def add_seed(self, site: str, url: str) -> None:
        with self.transaction():
            self.db.execute("INSERT OR IGNORE INTO seeds VALUES (?,?,?)", (site, url, time.time()))
            self.db.execute("INSERT OR IGNORE INTO urls (site, url, hops) VALUES (?,?,0)", (site, url))

    def add_url(self, site: str, url: str, via_url: str, via_timestamp: str, hops: int) -> bool:
        """Record a URL a site's policy moved to. True when it is new for that site."""
        with self.transaction():
            cur = self.db.execute(
                "INSERT OR IGNORE INTO urls (site, url, via_url, via_timestamp, hops) VALUES (?,?,?,?,?)",
                (site, url, via_url, via_timestamp, hops))
            return cur.rowcount > 0

    def urls(self, site: str) -> list[tuple[str, int, str | None]]:
        """(url, hops, last CDX timestamp seen) for every URL of a site."""
        return list(self.db.execute(
            "SELECT url, hops, last_timestamp FROM urls WHERE site=? ORDER BY hops, url", (site,)))

    def set_blocked(self, site: str, url: str, message: str) -> None:
        """The archive blocks this URL (its wording kept): not queried again for a while."""
        with self.transaction():
            self.db.execute("UPDATE urls SET blocked=?, blocked_at=? WHERE site=? AND url=?",
                            (message, time.time(), site, url))

    def blocked(self, site: str, url: str, recheck_days: float) -> str | None:
        """The archive's wording if ``url`` was found blocked less than ``recheck_days`` ago."""
        row = self.db.execute("SELECT blocked, blocked_at FROM urls WHERE site=? AND url=?",
                              (site, url)).fetchone()
        if not row or not row[0] or (row[1] or 0) < time.time() - recheck_days * 86400:
            return None
        return row[0]

    def blocked_urls(self) -> list[tuple[str, str, str]]:
        """(site, url, the archive's wording) of every URL the archive blocks."""
        return list(self.db.execute(
            "SELECT site, url, blocked FROM urls WHERE blocked IS NOT NULL ORDER BY site, url"))

    def cdx_checked_since(self, site: str, url: str, since: float) -> bool:
        """Whether ``url``'s CDX listing was stored at or after ``since`` (epoch seconds)."""
        row = self.db.execute("SELECT cdx_checked_at FROM urls WHERE site=? AND url=?",
                              (site, url)).fetchone()
        return bool(row and row[0] and row[0] >= since)

    def cdx_checked(self, site: str, url: str, last_timestamp: str | None) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE urls SET last_timestamp=max(coalesce(last_timestamp,''), coalesce(?,'')), "
                "cdx_checked_at=? WHERE site=? AND url=?", (last_timestamp, time.time(), site, url))

    def log_error(self, site: str | None, url: str | None, timestamp: str | None, message: str) -> None:
        with self.transaction():
            self.db.execute("INSERT INTO errors VALUES (?,?,?,?,?)",
                            (site, url, timestamp, message, time.time()))
