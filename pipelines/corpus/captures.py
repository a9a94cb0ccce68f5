"""Captures: every CDX row (or WARC record) of a site's policy URLs, keyed (site, timestamp,
original URL, digest), with the payload key it is fetched under."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

from pipelines.captures import CdxRecord, Outcome
from pipelines.corpus.db import Repository
from pipelines.payloads import Planned, plan_keys


@dataclass(frozen=True)
class PendingFetch:
    """A capture whose payload has not been fetched yet."""

    payload_key: str
    timestamp: str
    url: str
    status: int | None
    digest: str
    mimetype: str = ""
    effective_mimetype: str | None = None  # a revisit's: the capture it repeats
    archive: str = ""  # the archive that listed it
    locator: str | None = None

    def planned(self) -> Planned:
        return Planned(CdxRecord("", self.timestamp, self.url, self.mimetype, self.status,
                                 self.digest, None, self.archive, self.locator),
                       self.payload_key, self.effective_mimetype or self.mimetype)


class Captures(Repository):
    def resolve_revisit(self, digest: str, key_url: str, any_url: bool = False) -> tuple[str, str] | None:
        """(payload key, mimetype) of the capture that a revisit of ``digest`` in the urlkey
        ``key_url`` repeats, if known (any spelling of the URL); with ``any_url``, failing that,
        of a capture of another URL with that payload (a url-agnostic revisit)."""
        row = self.db.execute(
            "SELECT payload_key, mimetype FROM captures WHERE digest=? AND status < 300 "
            "AND substr(payload_key, 5) = ? ORDER BY timestamp LIMIT 1",
            (digest, f"{digest}:{key_url}")).fetchone()
        if row is None and any_url:
            row = self.db.execute(
                "SELECT payload_key, mimetype FROM captures WHERE digest=? AND status < 300 "
                "AND payload_key NOT LIKE 'revisit:%' ORDER BY timestamp LIMIT 1", (digest,)).fetchone()
        return (row[0], row[1]) if row else None

    def sites_of_keys(self, payload_keys) -> dict[str, set[str]]:
        """payload key -> the sites with a capture of it."""
        keys = list(payload_keys)
        found: dict[str, set[str]] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            for key, site in self.db.execute(
                    "SELECT DISTINCT payload_key, site FROM captures WHERE payload_key IN "
                    f"({','.join('?' * len(chunk))})", chunk):
                found.setdefault(key, set()).add(site)
        return found

    def key_at(self, key_url: str, timestamp: str) -> tuple[str, str] | None:
        """(payload key, digest) of the capture of ``key_url`` at exactly ``timestamp`` (what a
        revisit's WARC-Refers-To-Target-URI and -Date name), if indexed with a payload."""
        row = self.db.execute(
            "SELECT payload_key, digest FROM captures WHERE urlkey=? AND timestamp=? AND "
            "payload_key NOT LIKE 'revisit:%' LIMIT 1", (key_url, timestamp)).fetchone()
        return (row[0], row[1]) if row else None

    def add(self, site: str, query_url: str, records: Iterable[tuple[CdxRecord, str]]) -> int:
        """Store CDX rows with their payload keys; returns how many were new."""
        new = 0
        with self.transaction():
            for rec, key in records:
                cur = self.db.execute(
                    "INSERT OR IGNORE INTO captures VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (site, rec.timestamp, rec.url, query_url, rec.urlkey, rec.mimetype, rec.status,
                     rec.digest, rec.length, key, rec.archive, rec.locator))
                new += cur.rowcount
            if new:
                self.mark_dirty(site)
        return new

    def plan_new(self, records: Iterable[CdxRecord], site: str) -> tuple[list[Planned], list[Planned]]:
        """The payload keys of a CDX listing (:func:`pipelines.payloads.plan_keys`, revisits
        resolved against the corpus too): (every row planned, the ones the index lacks)."""
        planned = plan_keys(records, self.resolve_revisit)
        new = [p for p in planned if not self.exists(
            site, p.record.timestamp, p.record.url, p.record.digest, p.record.archive)]
        return planned, new

    def exists(self, site: str, timestamp: str, url: str, digest: str, archive: str = "") -> bool:
        return self.db.execute(
            "SELECT 1 FROM captures WHERE site=? AND timestamp=? AND original=? AND digest=? "
            "AND archive=?", (site, timestamp, url, digest, archive)).fetchone() is not None

    def unfetched(self, site: str, query_url: str | None = None) -> list[PendingFetch]:
        """Captures of a site (or one URL) whose payload has not been fetched, oldest first."""
        sql = ("SELECT c.payload_key, c.timestamp, c.original, c.status, c.digest, c.mimetype, "
               "(SELECT o.mimetype FROM captures o WHERE o.payload_key = c.payload_key "
               " AND o.mimetype != 'warc/revisit' LIMIT 1), c.archive, c.locator FROM captures c "
               "LEFT JOIN fetches f ON f.payload_key = c.payload_key WHERE c.site=? "
               "AND f.payload_key IS NULL")
        args: list = [site]
        if query_url:
            sql += " AND c.query_url=?"
            args.append(query_url)
        sql += " ORDER BY c.timestamp"
        return [PendingFetch(*row) for row in self.db.execute(sql, args)]

    def timeline(self, site: str) -> Iterator[tuple[str, str, str]]:
        """(timestamp, url, text_hash) of every capture of a site whose text is known, from
        every archive."""
        return ((ts, url, th) for ts, url, th, _, _ in self.placed_timeline(site))

    def placed_timeline(self, site: str) -> list[tuple[str, str, str, str, str | None]]:
        """:meth:`timeline` with where each capture lives: (timestamp, url, text_hash, archive,
        locator). One capture listed by two archives comes once per archive, the crawl's
        earliest-named archive first."""
        return self.db.execute(
            "SELECT c.timestamp, c.original, f.text_hash, c.archive, c.locator FROM captures c "
            "JOIN fetches f ON f.payload_key = c.payload_key LEFT JOIN archives a ON "
            "a.archive = c.archive WHERE c.site=? AND f.outcome=? ORDER BY c.timestamp, "
            "c.original, c.digest, coalesce(a.rank, 1e9), c.archive", (site, Outcome.TEXT)).fetchall()

    def per_archive(self) -> dict[str, tuple[int, int]]:
        """archive -> (captures, sites) it lists."""
        return {r[0]: (r[1], r[2]) for r in self.db.execute(
            "SELECT archive, count(*), count(DISTINCT site) FROM captures GROUP BY archive")}

    def coverage(self, archive: str | None) -> dict[str, tuple[int, int]]:
        """site -> (half-year slots with a text capture in ``archive``, in every archive): what
        the extra archives add. A slot is a site x half-year (January-June is A)."""
        half = ("substr(c.timestamp, 1, 4) || CASE WHEN substr(c.timestamp, 5, 2) <= '06' "
                "THEN 'A' ELSE 'B' END")
        out: dict[str, tuple[int, int]] = {}
        for site, own, every in self.db.execute(
                f"SELECT c.site, count(DISTINCT CASE WHEN c.archive=? THEN {half} END), "
                f"count(DISTINCT {half}) FROM captures c JOIN fetches f ON f.payload_key = "
                "c.payload_key WHERE f.outcome=? GROUP BY c.site ORDER BY c.site",
                (archive, Outcome.TEXT)):
            out[site] = (own, every)
        return out

    def statuses(self, site: str) -> list[tuple[str, int | None]]:
        """(timestamp, archived status) of every capture of a site, oldest first."""
        return [(r[0], r[1]) for r in self.db.execute(
            "SELECT timestamp, status FROM captures WHERE site=? ORDER BY timestamp", (site,))]

    def span(self, site: str) -> tuple[str | None, str | None, int]:
        """(first, last capture timestamp, number of captures) of a site."""
        row = self.db.execute("SELECT min(timestamp), max(timestamp), count(*) FROM captures "
                              "WHERE site=?", (site,)).fetchone()
        return row[0], row[1], row[2]

    def export_rows(self) -> Iterator[tuple]:
        """Every capture with what fetching its payload gave: (site, timestamp, url, query_url,
        urlkey, mimetype, status, digest, length, payload_key, outcome, http_status, text_hash,
        archive),
        by site then time."""
        return self.db.execute(
            "SELECT c.site, c.timestamp, c.original, c.query_url, c.urlkey, c.mimetype, c.status, "
            "c.digest, c.length, c.payload_key, f.outcome, f.http_status, f.text_hash, c.archive "
            "FROM captures c "
            "LEFT JOIN fetches f ON f.payload_key = c.payload_key ORDER BY c.site, c.timestamp, c.original")

    def last_timestamp(self) -> str | None:
        """The time of the corpus's latest capture."""
        return self.db.execute("SELECT max(timestamp) FROM captures").fetchone()[0]

    def sites(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT site FROM captures ORDER BY site")]

    def sites_of_key(self, payload_key: str) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT DISTINCT site FROM captures WHERE payload_key=?", (payload_key,))]
