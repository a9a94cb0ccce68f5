"""A static HTML report of a corpus: per site a timeline of captures and changes, and
side-by-side word diffs of every change. No scripts; every piece of policy text is escaped."""

from __future__ import annotations

import html
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from crawler.wayback import parse_timestamp, wayback_link
from pipelines.changes import Change, site_changes
from pipelines.diffs import render_html, section_diffs
from pipelines.seedformat import safe_component
from pipelines.storage import atomic_write

CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;width:100%} td,th{border:1px solid #ddd;padding:4px 8px;vertical-align:top}
table.diff td{width:50%;font-size:14px;line-height:1.5} del{background:#fdd;color:#900}
ins{background:#dfd;color:#060;text-decoration:none} .moved{background:#def}
.kind-substantive{color:#b00;font-weight:bold} .kind-minor{color:#b60} .kind-cosmetic{color:#777}
svg text{font-size:11px;fill:#555} .legend span{margin-right:1.5em}
"""
KIND_COLOR = {"substantive": "#c00", "minor": "#e80", "cosmetic": "#999"}
e = html.escape


def _safe_href(url: str) -> str:
    return e(url, quote=True) if urlsplit(url).scheme in ("http", "https") else "#"


def _date(ts: str) -> str:
    return f"{ts[:4]}-{ts[4:6]}-{ts[6:8]}"


def _year_frac(ts: str) -> float:
    d = parse_timestamp(ts)
    return d.year + (d.timetuple().tm_yday - 1) / 366


def timeline_svg(captures: list[tuple[str, int | None]], versions: list[str], changes: list[Change],
                 width: int = 1000) -> str:
    """An SVG strip: capture ticks, version dots, change diamonds coloured by kind."""
    stamps = [ts for ts, _ in captures] + versions
    if not stamps:
        return "<p>No captures.</p>"
    y0, y1 = int(_year_frac(min(stamps))), int(_year_frac(max(stamps))) + 1
    x = lambda ts: 40 + (width - 60) * (_year_frac(ts) - y0) / max(1, y1 - y0)  # noqa: E731
    parts = [f"<svg id='timeline' role='img' aria-label='timeline of captures and changes' "
             f"width='{width}' height='110' viewBox='0 0 {width} 110'>",
             f"<line x1='40' y1='60' x2='{width - 20}' y2='60' stroke='#888'/>"]
    for year in range(y0, y1 + 1):
        xx = 40 + (width - 60) * (year - y0) / max(1, y1 - y0)
        parts.append(f"<line x1='{xx:.1f}' y1='56' x2='{xx:.1f}' y2='64' stroke='#888'/>"
                     f"<text x='{xx:.1f}' y='80' text-anchor='middle'>{year}</text>")
    for ts, status in captures:
        color = "#bbb" if status is None or status < 300 else "#e80" if status < 400 else "#c00"
        parts.append(f"<line class='capture' x1='{x(ts):.1f}' y1='40' x2='{x(ts):.1f}' y2='52' "
                     f"stroke='{color}'><title>capture {_date(ts)} ({status or 'revisit'})</title></line>")
    for ts in versions:
        parts.append(f"<circle class='version' cx='{x(ts):.1f}' cy='60' r='4' fill='#357'>"
                     f"<title>version {_date(ts)}</title></circle>")
    for c in changes:
        xx = x(c.changed_by)
        parts.append(f"<polygon class='change' points='{xx:.1f},18 {xx + 6:.1f},26 {xx:.1f},34 "
                     f"{xx - 6:.1f},26' fill='{KIND_COLOR.get(c.kind, '#999')}'><title>{e(c.kind)} "
                     f"change, score {c.score:.2f}</title></polygon>")
    parts.append("</svg>")
    return "".join(parts)


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>"
            f"<style>{CSS}</style></head><body>{body}</body></html>\n")


def site_page(store, site: str) -> tuple[str, list[Change]]:
    changes = site_changes(store, site)
    captures = [(r[0], r[1]) for r in store.db.execute(
        "SELECT timestamp, status FROM captures WHERE site=? ORDER BY timestamp", (site,))]
    versions = list(store.db.execute(
        "SELECT timestamp, url, text_hash, words FROM versions WHERE site=? ORDER BY timestamp", (site,)))
    texts = {v[2]: store.text(v[2]) for v in versions}
    hash_at = {v[0]: v[2] for v in versions}
    body = [f"<p><a href='index.html'>← all sites</a></p><h1>{e(site)}</h1>",
            f"<p>{len(captures)} captures, {len(versions)} versions, {len(changes)} changes</p>",
            timeline_svg(captures, [v[0] for v in versions], changes),
            "<p class='legend'><span>▮ capture</span><span style='color:#357'>● version</span>"
            + "".join(f"<span style='color:{c}'>◆ {k}</span>" for k, c in KIND_COLOR.items()) + "</p>",
            "<h2>Versions</h2><table><tr><th>archived</th><th>URL</th><th>words</th></tr>"]
    for ts, url, _h, words in versions:
        body.append(f"<tr><td><a href='{_safe_href(wayback_link(ts, url))}'>{_date(ts)}</a></td>"
                    f"<td>{e(url)}</td><td>{words}</td></tr>")
    body.append("</table><h2>Changes</h2>")
    for c in changes:
        flag = " (extractor changed: not a policy change)" if c.extractor_changed else ""
        body.append(
            f"<section class='change'><h3 class='kind-{e(c.kind)}'>{_date(c.changed_by)}: {e(c.kind)}"
            f"{flag}</h3><p>Changed after {_date(c.changed_after)} and by {_date(c.changed_by)}; "
            f"+{c.words_added} / −{c.words_removed} words, {c.sections_changed} section(s), "
            f"{c.moved_paragraphs} moved paragraph(s), similarity {c.similarity:.2f}, score "
            f"{c.score:.2f}{'; topics: ' + e(', '.join(c.topics)) if c.topics else ''}.</p>"
            + render_html(section_diffs(texts[hash_at[c.previous_timestamp]], texts[hash_at[c.timestamp]]))
            + "</section>")
    return _page(f"{site}: privacy policy history", "".join(body)), changes


def write_report(store, out_dir: Path | None = None) -> Path:
    """Write OUT/report/index.html and one page per site; returns the index path."""
    out_dir = Path(out_dir or Path(store.out) / "report")
    sites = [r[0] for r in store.db.execute("SELECT DISTINCT site FROM captures ORDER BY site")]
    rows = []
    for site in sites:
        page, changes = site_page(store, site)
        name = f"{safe_component(site)}.html"
        atomic_write(out_dir / name, page)
        kinds = Counter(c.kind for c in changes if not c.extractor_changed)
        n_versions = store.db.execute("SELECT count(*) FROM versions WHERE site=?", (site,)).fetchone()[0]
        rows.append(f"<tr><td><a href='{e(name, quote=True)}'>{e(site)}</a></td><td>{n_versions}</td>"
                    f"<td>{kinds['substantive']}</td><td>{kinds['minor']}</td><td>{kinds['cosmetic']}</td></tr>")
    index = _page("Palimpsest report", "<h1>Privacy policy histories</h1><table><tr><th>site</th>"
                  "<th>versions</th><th>substantive</th><th>minor</th><th>cosmetic</th></tr>"
                  + "".join(rows) + "</table>")
    atomic_write(out_dir / "index.html", index)
    return out_dir / "index.html"
