"""Atom feeds of policy changes, one per site: OUT/feeds/<site>.xml."""

from __future__ import annotations

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


def site_feed(site: str, changes: list[Change], first_version: str | None = None) -> str:
    """The site's Atom feed. Its ``updated`` is the last change's time; for a site with no change
    yet, its first version's (``first_version``): the feed of a site that did not change is the
    same file from run to run, and is not rewritten."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = f"Privacy policy changes: {site}"
    ET.SubElement(feed, f"{{{ATOM}}}id").text = f"urn:palimpsest:site:{site}"
    updated = max((c.changed_by for c in changes), default=first_version)
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


def write_site_feed(out: Path, site: str, changes: list[Change], first_version: str | None = None) -> bool:
    """OUT/feeds/<site>.xml from the site's changes; False when it was already that (not
    rewritten). Not synced: the caller syncs once for all the feeds it wrote."""
    path = Path(out) / "feeds" / f"{safe_component(site)}.xml"
    feed = site_feed(site, changes, first_version)
    try:
        if path.read_text(encoding="utf-8") == feed:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    atomic_write(path, feed, durable=False)
    return True
