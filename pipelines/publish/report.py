"""A static HTML report of a corpus (OUT/report/): an index where a researcher starts (corpus
charts, a filterable, sortable table of sites) and one page per site (a timeline whose marks link
to their diffs, the versions, and side-by-side diffs rendered as the reader sees the policy).

Static files, nothing fetched from elsewhere (the corpus may be private): inline SVG charts, one
small inline script on the index only (filter and sort; the table works without it). Site pages
carry no script at all; every piece of policy text goes through markdown-it with raw HTML off
(:mod:`pipelines.publish.mdrender`), so markup in a policy is shown as text.
"""

from __future__ import annotations

import html
import statistics
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit

from pipelines.captures import parse_timestamp
from pipelines.changes.history import Change, Source, site_changes
from pipelines.changes.measure import Kind
from pipelines.publish.mdrender import diff_table, render
from pipelines.seedformat import safe_component
from pipelines.files import atomic_write
from pipelines.publish.analysischarts import analysis_section
from pipelines.publish.archivetable import archives_section

CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1150px;color:#222;padding:0 1em}
table{border-collapse:collapse;width:100%} td,th{border:1px solid #ddd;padding:4px 8px;vertical-align:top}
th{background:#f4f4f4;text-align:left} th[data-sort]{cursor:pointer} th[aria-sort=ascending]::after{content:" ▲"}
th[aria-sort=descending]::after{content:" ▼"} td.num,th.num{text-align:right}
table.diff td{width:50%;font-size:14px;line-height:1.5} table.diff td>*:first-child{margin-top:0}
table.diff td>*:last-child{margin-bottom:0} table.diff ul,table.diff ol{padding-left:1.4em}
del{background:#fdd;color:#900} ins{background:#dfd;color:#060;text-decoration:none}
tr.skipped td{color:#888;text-align:center;background:#fafafa} p.skip{margin:0}
.kind-substantive{color:#b00;font-weight:bold} .kind-minor{color:#a60} .kind-cosmetic{color:#777}
svg text{font-size:11px;fill:#555} .legend{display:flex;flex-wrap:wrap;gap:1.2em;align-items:center}
.legend svg{vertical-align:middle} .charts{display:grid;grid-template-columns:1fr 1fr;gap:1.5em}
.chart{border:1px solid #eee;padding:.5em} .chart h3{margin:.2em 0 .4em;font-size:15px}
.chart.wide{grid-column:1 / span 2} #filter{padding:4px 8px;width:20em;margin:.5em 0}
section.change{margin:2em 0} section.change:target{outline:3px solid #fc0;outline-offset:6px}
details{margin:.3em 0} details>div{border-left:3px solid #ddd;padding-left:1em}
"""
KIND_COLOR = {"substantive": "#c00", "minor": "#e80", "cosmetic": "#888"}
# Capture ticks: the archived status of each capture (not the kind of a change).
CAPTURE_COLOR = {"ok": "#9ab", "redirect": "#37c", "error": "#7a4a1c"}
VERSION_COLOR = "#253"
e = html.escape


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else many or word + 's'}"


def _safe_href(url: str) -> str:
    return e(url, quote=True) if urlsplit(url).scheme in ("http", "https") else "#"


def _date(ts: str) -> str:
    return f"{ts[:4]}-{ts[4:6]}-{ts[6:8]}"


def _year_frac(ts: str) -> float:
    d = parse_timestamp(ts)
    return d.year + (d.timetuple().tm_yday - 1) / 366


def _capture_class(status: int | None) -> str:
    if status is None or status < 300:
        return "ok"
    return "redirect" if status < 400 else "error"


def _diamond(x: float, y: float, color: str, size: float = 6) -> str:
    return (f"points='{x:.1f},{y - size:.1f} {x + size:.1f},{y:.1f} {x:.1f},{y + size:.1f} "
            f"{x - size:.1f},{y:.1f}' fill='{color}'")


def legend() -> str:
    """The legend, drawn with the same shapes and colours as the timeline's marks."""
    def item(shape: str, label: str) -> str:
        return f"<span><svg width='18' height='18' aria-hidden='true'>{shape}</svg> {e(label)}</span>"

    parts = [item(f"<line x1='9' y1='3' x2='9' y2='15' stroke='{CAPTURE_COLOR[k]}' stroke-width='2'/>", label)
             for k, label in (("ok", "capture (archived 2xx)"), ("redirect", "capture: archived redirect"),
                              ("error", "capture: archived 4xx/5xx"))]
    parts.append(item(f"<circle cx='9' cy='9' r='4' fill='{VERSION_COLOR}'/>", "new version"))
    parts += [item(f"<polygon {_diamond(9, 9, color)}/>", f"{kind} change (click: its diff)")
              for kind, color in KIND_COLOR.items()]
    return "<p class='legend'>" + "".join(parts) + "</p>"


def timeline_svg(captures: list[tuple[str, int | None]], versions: list[str], changes: list[Change],
                 width: int = 1000) -> str:
    """An SVG strip: capture ticks by archived status, version dots, change diamonds coloured by
    kind, each diamond a link to its diff below."""
    stamps = [ts for ts, _ in captures] + versions
    if not stamps:
        return "<p>No captures.</p>"
    y0, y1 = int(_year_frac(min(stamps))), int(_year_frac(max(stamps))) + 1
    x = lambda ts: 40 + (width - 60) * (_year_frac(ts) - y0) / max(1, y1 - y0)  # noqa: E731
    parts = [f"<svg id='timeline' role='img' aria-label='timeline of captures and changes' "
             f"width='{width}' height='110' viewBox='0 0 {width} 110'>",
             f"<line x1='40' y1='60' x2='{width - 20}' y2='60' stroke='#888'/>"]
    step = max(1, (y1 - y0) // 12)
    for year in range(y0, y1 + 1):
        xx = 40 + (width - 60) * (year - y0) / max(1, y1 - y0)
        parts.append(f"<line x1='{xx:.1f}' y1='56' x2='{xx:.1f}' y2='64' stroke='#888'/>")
        if (year - y0) % step == 0:
            parts.append(f"<text x='{xx:.1f}' y='80' text-anchor='middle'>{year}</text>")
    for ts, status in captures:
        kind = _capture_class(status)
        parts.append(f"<line class='capture capture-{kind}' x1='{x(ts):.1f}' y1='40' x2='{x(ts):.1f}' "
                     f"y2='52' stroke='{CAPTURE_COLOR[kind]}' stroke-width='1.5'><title>capture "
                     f"{_date(ts)} ({status or 'revisit'})</title></line>")
    for ts in versions:
        parts.append(f"<circle class='version' cx='{x(ts):.1f}' cy='60' r='4' fill='{VERSION_COLOR}'>"
                     f"<title>version {_date(ts)}</title></circle>")
    for c in changes:
        parts.append(f"<a href='#change-{e(c.timestamp)}'><polygon class='change' "
                     f"{_diamond(x(c.changed_by), 26, KIND_COLOR.get(c.kind, '#999'))}><title>"
                     f"{e(c.kind)} change between {_date(c.changed_after)} and {_date(c.changed_by)}, "
                     f"score {c.score:.2f}: click for the diff</title></polygon></a>")
    parts.append("</svg>")
    return "".join(parts)


def _page(title: str, body: str, script: str = "") -> str:
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width,initial-scale=1'><title>{e(title)}</title>"
            f"<style>{CSS}</style></head><body>{body}{script}</body></html>\n")


def _kinds_line(changes: list[Change]) -> str:
    kinds = Counter(c.kind for c in changes if not c.extractor_changed)
    parts = [f"{kinds[k]} {k}" for k in KIND_COLOR if kinds[k]]
    return f" ({', '.join(parts)})" if parts else ""


def site_page(store, site: str) -> tuple[str, list[Change]]:
    changes = site_changes(store, site)
    captures = store.captures.statuses(site)
    versions = store.versions.of(site)
    texts = {v.text_hash: store.text(v.text_hash) for v in versions}
    hash_at = {v.timestamp: v.text_hash for v in versions}
    body = [f"<p><a href='index.html'>← all sites</a></p><h1>{e(site)}</h1>",
            f"<p>{plural(len(captures), 'capture')}, {plural(len(versions), 'version')}, "
            f"{plural(len(changes), 'change')}{_kinds_line(changes)}</p>",
            timeline_svg(captures, [v.timestamp for v in versions], changes), legend(),
            "<h2>Versions</h2><table><thead><tr><th>archived</th><th>URL</th><th class='num'>words</th>"
            "<th>text</th></tr></thead><tbody>"]
    for v in versions:
        body.append(f"<tr id='version-{e(v.timestamp)}'><td><a href='"
                    f"{_safe_href(v.snapshot_link)}'>{_date(v.timestamp)}</a></td>"
                    f"<td>{e(v.url)}</td><td class='num'>{v.words}</td><td><details>"
                    f"<summary>read</summary><div>{render(texts[v.text_hash])}</div></details></td></tr>")
    body.append("</tbody></table><h2>Changes</h2>")
    if not changes:
        body.append("<p>No change: one version in the whole history.</p>")
    for c in changes:
        flag = " (extractor changed: not a policy change)" if c.extractor_changed else ""
        flag += " · seen live (palimpsest watch)" if c.source == Source.LIVE else ""
        body.append(
            f"<section class='change' id='change-{e(c.timestamp)}'><h3 class='kind-{e(c.kind)}'>"
            f"{_date(c.changed_by)}: {e(c.kind)}{flag}</h3><p>Changed after {_date(c.changed_after)} "
            f"and by {_date(c.changed_by)}; +{plural(c.words_added, 'word')} / "
            f"−{plural(c.words_removed, 'word')}, {plural(c.sections_changed, 'section')}, "
            f"{plural(c.moved_paragraphs, 'moved paragraph')}, similarity {c.similarity:.2f}, score "
            f"{c.score:.2f}{'; topics: ' + e(', '.join(c.topics)) if c.topics else ''}.</p>"
            + diff_table(texts[hash_at[c.previous_timestamp]], texts[hash_at[c.timestamp]])
            + "</section>")
    return _page(f"{site}: privacy policy history", "".join(body)), changes


# -- corpus charts -------------------------------------------------------------------------------
def bar_chart(labels: list[str], values: list[float], title: str, fmt=str, width: int = 1060,
              height: int = 220, label_every: int = 1, highlight: set[str] = frozenset(),
              chart_id: str = "") -> str:
    if not values:
        return f"<div class='chart'><h3>{e(title)}</h3><p>No data yet.</p></div>"
    top = max(values) or 1
    n = len(values)
    bw = (width - 50) / n
    parts = [f"<svg id='{chart_id}' role='img' aria-label='{e(title)}' width='100%' "
             f"viewBox='0 0 {width} {height}' preserveAspectRatio='xMinYMin meet'>",
             f"<line x1='40' y1='{height - 30}' x2='{width - 5}' y2='{height - 30}' stroke='#888'/>",
             f"<text x='36' y='14' text-anchor='end'>{fmt(top)}</text>"]
    for i, (label, v) in enumerate(zip(labels, values)):
        h = (height - 50) * v / top
        xx = 42 + i * bw
        color = "#c00" if label in highlight else "#37c"
        parts.append(f"<rect class='bar' x='{xx:.1f}' y='{height - 30 - h:.1f}' width='{max(1, bw - 2):.1f}' "
                     f"height='{h:.1f}' fill='{color}'><title>{e(label)}: {fmt(v)}</title></rect>")
        if i % label_every == 0:
            parts.append(f"<text x='{xx + bw / 2:.1f}' y='{height - 14}' text-anchor='middle'>"
                         f"{e(label)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def line_chart(labels: list[str], values: list[float], title: str, width: int = 520,
               height: int = 220, chart_id: str = "") -> str:
    if not values:
        return "<p>No data yet.</p>"
    top = max(values) or 1
    n = len(values)
    xs = [45 + (width - 60) * (i / max(1, n - 1)) for i in range(n)]
    ys = [height - 30 - (height - 50) * v / top for v in values]
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys))
    parts = [f"<svg id='{chart_id}' role='img' aria-label='{e(title)}' width='100%' "
             f"viewBox='0 0 {width} {height}'>",
             f"<line x1='40' y1='{height - 30}' x2='{width - 5}' y2='{height - 30}' stroke='#888'/>",
             f"<text x='38' y='14' text-anchor='end'>{top:.0f}</text>",
             f"<polyline fill='none' stroke='#37c' stroke-width='2' points='{points}'/>"]
    step = max(1, n // 8)
    for i, (label, x, y, v) in enumerate(zip(labels, xs, ys, values)):
        parts.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3' fill='#37c'><title>{e(label)}: "
                     f"{v:.0f}</title></circle>")
        if i % step == 0:
            parts.append(f"<text x='{x:.1f}' y='{height - 14}' text-anchor='middle'>{e(label)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def corpus_figures(store, changes_by_site: dict[str, list[Change]]) -> dict:
    """Changes per quarter, the median policy length in force at each year's end, and the share
    of sites (with a policy in force that year) whose policy changed that year."""
    real = [c for cs in changes_by_site.values() for c in cs
            if not c.extractor_changed and c.kind != Kind.COSMETIC]
    versions = defaultdict(list)
    for v in store.versions.of():
        versions[v.site].append((v.timestamp, v.words or 0))
    stamps = [ts for vs in versions.values() for ts, _ in vs]
    if not stamps:
        return {"quarters": [], "per_quarter": [], "years": [], "median_words": [], "share_changed": []}
    first, last = int(min(stamps)[:4]), int(max(stamps)[:4])
    quarters = [f"{y}Q{q}" for y in range(first, last + 1) for q in range(1, 5)]
    count = Counter(f"{c.changed_by[:4]}Q{(int(c.changed_by[4:6]) - 1) // 3 + 1}" for c in real)
    years = list(range(first, last + 1))
    median_words, share = [], []
    changed_in = defaultdict(set)
    for c in real:
        changed_in[int(c.changed_by[:4])].add(c.site)
    for y in years:
        end = f"{y}1231235959"
        in_force = [next((w for ts, w in reversed(vs) if ts <= end), None) for vs in versions.values()]
        in_force = [w for w in in_force if w is not None]
        median_words.append(statistics.median(in_force) if in_force else 0)
        share.append(len(changed_in[y]) / len(in_force) if in_force else 0.0)
    return {"quarters": quarters, "per_quarter": [count[q] for q in quarters], "years": [str(y) for y in years],
            "median_words": median_words, "share_changed": share}


INDEX_SCRIPT = """<script>
(function(){
  var table=document.getElementById('sites'), body=table.tBodies[0], input=document.getElementById('filter');
  var rows=Array.prototype.slice.call(body.rows), heads=table.tHead.rows[0].cells;
  function filter(){var q=input.value.toLowerCase();rows.forEach(function(r){
    r.hidden=q && r.cells[0].textContent.toLowerCase().indexOf(q)<0;});
    document.getElementById('shown').textContent=rows.filter(function(r){return !r.hidden;}).length;}
  function sort(i,dir){var num=heads[i].classList.contains('num');
    rows.sort(function(a,b){var x=a.cells[i].dataset.v||a.cells[i].textContent,y=b.cells[i].dataset.v||b.cells[i].textContent;
      var c=num?(parseFloat(x)||0)-(parseFloat(y)||0):x.localeCompare(y);return dir==='descending'?-c:c;});
    rows.forEach(function(r){body.appendChild(r);});
    Array.prototype.forEach.call(heads,function(h){h.removeAttribute('aria-sort');});heads[i].setAttribute('aria-sort',dir);}
  Array.prototype.forEach.call(heads,function(h,i){h.addEventListener('click',function(){
    sort(i,h.getAttribute('aria-sort')==='descending'?'ascending':'descending');});});
  input.addEventListener('input',filter);
  var p=new URLSearchParams(location.hash.slice(1));
  if(p.get('filter')){input.value=p.get('filter');}
  if(p.get('sort')){var s=p.get('sort').split(':'),i=Array.prototype.findIndex.call(heads,function(h){return h.dataset.sort===s[0];});
    if(i>=0){sort(i,s[1]==='asc'?'ascending':'descending');}}
  filter();
})();
</script>"""


def write_report(store, out_dir: Path | None = None) -> Path:
    """Write OUT/report/index.html and one page per site; returns the index path."""
    out_dir = Path(out_dir or Path(store.out) / "report")
    sites = store.captures.sites()
    rows, changes_by_site = [], {}
    for site in sites:
        page, changes = site_page(store, site)
        changes_by_site[site] = changes
        name = f"{safe_component(site)}.html"
        atomic_write(out_dir / name, page)
        kinds = Counter(c.kind for c in changes if not c.extractor_changed)
        v = [(x.timestamp, x.words) for x in store.versions.of(site)]
        caps = store.captures.span(site)
        last_change = max((c.changed_by for c in changes if not c.extractor_changed), default="")
        cells = [(f"<a href='{e(name, quote=True)}'>{e(site)}</a>", site),
                 (_date(caps[0]) if caps[0] else "", caps[0] or ""),
                 (_date(caps[1]) if caps[1] else "", caps[1] or ""),
                 (str(caps[2]), str(caps[2])), (str(len(v)), str(len(v))),
                 *((str(kinds[k]), str(kinds[k])) for k in (Kind.SUBSTANTIVE, Kind.MINOR, Kind.COSMETIC)),
                 (_date(last_change) if last_change else "", last_change),
                 (str(v[-1][1] or 0) if v else "", str(v[-1][1] or 0) if v else "0")]
        rows.append("<tr>" + "".join(
            f"<td{' class=num' if i >= 3 and i != 8 else ''} data-v='{e(val, quote=True)}'>{shown}</td>"
            for i, (shown, val) in enumerate(cells)) + "</tr>")
    fig = corpus_figures(store, changes_by_site)
    n_changes = sum(len([c for c in cs if not c.extractor_changed]) for cs in changes_by_site.values())
    n_versions = store.versions.count()
    spike = {q for q in fig["quarters"] if q == "2018Q2"}  # the GDPR's month (May 2018), marked
    charts = ("<div class='charts'>"
              "<div class='chart wide'><h3>Policy changes per quarter, whole corpus (substantive and "
              "minor; the GDPR quarter, 2018Q2, in red)</h3>"
              + bar_chart(fig["quarters"], fig["per_quarter"], "changes per quarter",
                          label_every=4, highlight=spike, chart_id="per-quarter") + "</div>"
              "<div class='chart'><h3>Policy length: median words of the policy in force at each "
              "year's end</h3>" + line_chart(fig["years"], fig["median_words"], "median words",
                                             chart_id="length") + "</div>"
              "<div class='chart'><h3>Share of sites whose policy changed that year</h3>"
              + bar_chart(fig["years"], fig["share_changed"], "share of sites changed",
                          fmt=lambda v: f"{100 * v:.0f}%", width=520,
                          label_every=max(1, len(fig["years"]) // 8), chart_id="share") + "</div></div>")
    heads = [("site", "site", ""), ("first", "first capture", ""), ("last", "last capture", ""),
             ("captures", "captures", "num"), ("versions", "versions", "num"),
             ("substantive", "substantive", "num"), ("minor", "minor", "num"),
             ("cosmetic", "cosmetic", "num"), ("changed", "last change", ""), ("words", "words now", "num")]
    table = ("<h2>Sites</h2><p><input id='filter' type='search' placeholder='filter sites…' "
             "aria-label='filter sites'> <span id='shown'>" + str(len(rows)) + "</span> of "
             f"{plural(len(rows), 'site')} shown; click a column to sort.</p>"
             "<table id='sites'><thead><tr>"
             + "".join(f"<th data-sort='{k}'{' class=num' if c else ''}>{e(label)}</th>" for k, label, c in heads)
             + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")
    body = ("<h1>Privacy policy histories</h1>"
            f"<p>{plural(len(sites), 'site')}, {plural(n_versions, 'version')}, "
            f"{plural(n_changes, 'change')}"
            + (f", {fig['years'][0]}–{fig['years'][-1]}" if fig["years"] else "") + ".</p>"
            + charts + archives_section(store) + analysis_section(store.out) + table)
    index = _page("Palimpsest report", body, INDEX_SCRIPT)
    atomic_write(out_dir / "index.html", index)
    return out_dir / "index.html"
