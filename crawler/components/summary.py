"""The summary of one run: a typed record, written atomically to OUT/last_run.json."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipelines.files import write_json


@dataclass
class RunSummary:
    """The figures of one run (``palimpsest/*`` stats, the spider's progress, the corpus)."""

    sites_total: int = 0
    sites_done: int = 0
    cdx_requests: int = 0
    snapshot_requests: int = 0
    captures_new: int = 0
    payloads_scheduled: int = 0
    texts: int = 0
    no_text: int = 0
    redirects_followed: int = 0
    rate_limited_429: int = 0
    connection_refused: int = 0
    archived_429: int = 0
    archive_unreachable: int = 0
    urls_blocked: int = 0
    snapshots_blocked: int = 0
    cdx_edge_queries: int = 0
    digest_mismatch_kept: int = 0
    pause_seconds: int = 0
    errors: int = 0
    live_checked: int = 0
    live_changed: int = 0
    live_unchanged: int = 0
    live_saved: int = 0
    live_save_failed: int = 0
    save_requests: int = 0
    cdx_answered: int = 0
    failed_sites: list[str] = field(default_factory=list)
    seed_errors: int = 0
    versions_written: int = 0
    elapsed_s: float = 0.0
    finish_reason: str | None = None
    corpus: dict = field(default_factory=dict)
    blocked: list[dict] = field(default_factory=list)
    # per archive of the crawl: this run's requests and finds, the corpus's captures and payloads
    archives: list[dict] = field(default_factory=list)
    # half-year slots with a text capture: in the crawl's first archive, in every archive
    coverage: dict = field(default_factory=dict)

    @property
    def failed_archives(self) -> list[dict]:
        return [a for a in self.archives if a.get("failed")]

    FILE = "last_run.json"

    def as_dict(self) -> dict:
        return asdict(self)

    def write(self, out: Path) -> None:
        write_json(Path(out) / self.FILE, self.as_dict())
