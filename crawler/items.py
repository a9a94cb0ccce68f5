"""The items the history spider yields (plain dicts with these keys, for pipelines)."""

from __future__ import annotations

from typing import TypedDict

LEASE_META = "palimpsest_lease"  # a distributed request's lease (crawler.distributed), in meta and items


class FetchItem(TypedDict, total=False):
    """The outcome of fetching one distinct payload (one CDX (status, digest) of one URL)."""

    kind: str  # always 'payload'
    outcome: str  # 'payload' | 'redirect' | 'archive-redirect' | 'missing' | 'http-status'
    site: str
    payload_key: str
    timestamp: str  # exact 14-digit timestamp of the capture fetched
    url: str  # the capture's original URL
    status: int | None  # CDX status
    digest: str  # CDX digest
    http_status: int  # status the archive answered with
    body: bytes  # raw payload (only for outcome 'payload')
    content_type: str | None
    location: str | None  # archived redirect target, or the capture the archive redirected to
    location_timestamp: str | None
    digest_ok: bool | None  # body SHA-1 equals the CDX digest
    size: int
    reason: str | None
    extracted: dict  # set by ExtractionPipeline
