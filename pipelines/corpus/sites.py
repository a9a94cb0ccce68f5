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

    def urls(self, site: str, archive: str = "") -> list[tuple[str, int, str | None]]:
        """(url, hops, last CDX timestamp ``archive`` listed) for every URL of a site."""
        return list(self.db.execute(
            "SELECT u.url, u.hops, s.last_timestamp FROM urls u LEFT JOIN url_state s ON "
            "s.site = u.site AND s.url = u.url AND s.archive = ? WHERE u.site=? ORDER BY u.hops, u.url",
            (archive, site)))

    def _state(self, site: str, url: str, archive: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO url_state (site, url, archive) VALUES (?,?,?)",
                        (site, url, archive))

    def set_blocked(self, site: str, url: str, message: str, archive: str = "") -> None:
        """``archive`` blocks this URL (its wording kept): not asked again for a while."""
        with self.transaction():
            self._state(site, url, archive)
            self.db.execute("UPDATE url_state SET blocked=?, blocked_at=? WHERE site=? AND url=? "
                            "AND archive=?", (message, time.time(), site, url, archive))

    def blocked(self, site: str, url: str, recheck_days: float, archive: str = "") -> str | None:
        """The archive's wording if ``url`` was found blocked less than ``recheck_days`` ago."""
        row = self.db.execute("SELECT blocked, blocked_at FROM url_state WHERE site=? AND url=? "
                              "AND archive=?", (site, url, archive)).fetchone()
        if not row or not row[0] or (row[1] or 0) < time.time() - recheck_days * 86400:
            return None
        return row[0]

    def blocked_urls(self) -> list[tuple[str, str, str]]:
        """(site, url, the archive's wording) of every URL an archive blocks."""
        return list(self.db.execute(
            "SELECT site, url, blocked FROM url_state WHERE blocked IS NOT NULL ORDER BY site, url"))

    def cdx_checked_since(self, site: str, url: str, since: float, archive: str = "") -> bool:
        """Whether ``archive`` listed ``url`` at or after ``since`` (epoch seconds)."""
        row = self.db.execute("SELECT cdx_checked_at FROM url_state WHERE site=? AND url=? AND "
                              "archive=?", (site, url, archive)).fetchone()
        return bool(row and row[0] and row[0] >= since)

    def checked_in(self, site: str, url: str, prefix: str) -> set[str]:
        """The archives whose id starts with ``prefix`` (a Common Crawl crawl is ``cc:<id>``) that
        have listed ``url`` of ``site``: a crawl's index never changes, so it is asked once."""
        return {r[0] for r in self.db.execute(
            "SELECT archive FROM url_state WHERE site=? AND url=? AND cdx_checked_at IS NOT NULL "
            "AND substr(archive, 1, ?) = ?", (site, url, len(prefix), prefix))}

    def cdx_checked(self, site: str, url: str, last_timestamp: str | None, archive: str = "") -> None:
        with self.transaction():
            self._state(site, url, archive)
            self.db.execute(
                "UPDATE url_state SET last_timestamp=max(coalesce(last_timestamp,''), coalesce(?,'')), "
                "cdx_checked_at=? WHERE site=? AND url=? AND archive=?",
                (last_timestamp, time.time(), site, url, archive))

    def adopt_legacy(self, archive: str) -> None:
        """Rows of a corpus written before archives were recorded (archive '') are ``archive``'s:
        a crawl's first archive takes them over, once."""
        if not archive:
            return
        with self.transaction():
            self.db.execute("UPDATE OR IGNORE url_state SET archive=? WHERE archive=''", (archive,))
            self.db.execute("UPDATE OR IGNORE captures SET archive=? WHERE archive=''", (archive,))
            self.db.execute("UPDATE fetches SET archive=? WHERE archive IS NULL", (archive,))

    def log_error(self, site: str | None, url: str | None, timestamp: str | None, message: str) -> None:
        with self.transaction():
            self.db.execute("INSERT INTO errors VALUES (?,?,?,?,?)",
                            (site, url, timestamp, message, time.time()))
