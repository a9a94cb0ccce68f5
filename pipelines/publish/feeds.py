"""Atom feeds of policy changes, one per site: OUT/feeds/<site>.xml."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from xml.etree import ElementTree as ET

from pipelines.captures import parse_timestamp, wayback_link
from pipelines.changes.history import Change, Source
from pipelines.seedformat import safe_component
from pipelines.files import atomic_write

ATOM = "http://www.w3.org/2005/Atom"


def _iso(ts: str) -> str:
    return parse_timestamp(ts).strftime("%Y-%m-%dT%H:%M:%SZ")


def site_feed(site: str, changes: list[Change]) -> str:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = f"Privacy policy changes: {site}"
    ET.SubElement(feed, f"{{{ATOM}}}id").text = f"urn:palimpsest:site:{site}"
    updated = max((c.changed_by for c in changes), default=None)
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = (
        _iso(updated) if updated else datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    ET.SubElement(ET.SubElement(feed, f"{{{ATOM}}}author"), f"{{{ATOM}}}name").text = "Palimpsest"
    for c in sorted(changes, key=lambda c: c.timestamp, reverse=True):
        if c.extractor_changed:
            continue
        e = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(e, f"{{{ATOM}}}title").text = (
            f"{site} privacy policy: {c.kind} change ({c.changed_by[:4]}-{c.changed_by[4:6]}-{c.changed_by[6:8]}"
            f"{', seen live' if c.source == Source.LIVE else ''})")
        ET.SubElement(e, f"{{{ATOM}}}id").text = f"urn:palimpsest:change:{site}:{c.timestamp}"
        ET.SubElement(e, f"{{{ATOM}}}updated").text = _iso(c.changed_by)
        ET.SubElement(e, f"{{{ATOM}}}link", href=wayback_link(c.timestamp, c.url))
        ET.SubElement(e, f"{{{ATOM}}}summary").text = (
            f"Changed between {_iso(c.changed_after)} and {_iso(c.changed_by)}: "
            f"+{c.words_added} / -{c.words_removed} words in {c.sections_changed} section(s); "
            f"score {c.score:.2f}" + (f"; topics: {', '.join(c.topics)}" if c.topics else ""))
    return ET.tostring(feed, encoding="unicode", xml_declaration=True) + "\n"


def write_feeds(out: Path, changes: list[Change], sites: list[str]) -> int:
    by_site: dict[str, list[Change]] = {s: [] for s in sites}
    for c in changes:
        by_site.setdefault(c.site, []).append(c)
    written = 0
    for site, items in by_site.items():
        path = Path(out) / "feeds" / f"{safe_component(site)}.xml"
        feed = site_feed(site, items)
        try:
            if path.read_text(encoding="utf-8") == feed:
                continue  # unchanged: not rewritten
        except (OSError, UnicodeDecodeError):
            pass
        atomic_write(path, feed, durable=False)
        written += 1
    if written:
        os.sync()  # one sync for all of them (feeds are rebuilt by every run's end step)
    return len(by_site)
