"""Write WARC files of synthetic or real captures (for the demo archive, tests and benchmarks)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 404: "Not Found",
            500: "Internal Server Error"}


@dataclass
class Capture:
    """One capture to write: a response record, or a revisit of an earlier identical payload."""

    url: str
    timestamp: str  # 14 digits
    body: bytes = b""
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=lambda: [
        ("Content-Type", "text/html; charset=utf-8")])
    revisit: bool = False  # write a revisit record (the payload must have been written before)


def _warc_date(ts: str) -> str:
    return datetime.strptime(ts, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def write_warc(path: str | Path, captures: Iterable[Capture]) -> Path:
    """Write captures (in the given order) to a gzipped WARC; revisits point at earlier records."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written: dict[bytes, tuple[str, str, str]] = {}  # body -> (digest, url, date)
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for cap in captures:
            status_line = f"{cap.status} {_REASONS.get(cap.status, 'Status')}"
            headers = list(cap.headers)
            if cap.status // 100 != 3 or cap.body:
                headers.append(("Content-Length", str(len(cap.body))))
            http_headers = StatusAndHeaders(status_line, headers, protocol="HTTP/1.1")
            date = _warc_date(cap.timestamp)
            if cap.revisit:
                if cap.body not in written:
                    raise ValueError(f"revisit of {cap.url} at {cap.timestamp} has no earlier payload")
                digest, ref_url, ref_date = written[cap.body]
                record = writer.create_revisit_record(
                    cap.url, digest, ref_url, ref_date, http_headers=http_headers,
                    warc_headers_dict={"WARC-Date": date})
            else:
                record = writer.create_warc_record(
                    cap.url, "response", payload=io.BytesIO(cap.body), http_headers=http_headers,
                    warc_headers_dict={"WARC-Date": date})
                written.setdefault(cap.body, (record.rec_headers.get_header("WARC-Payload-Digest"),
                                              cap.url, date))
            writer.write_record(record)
    return path
