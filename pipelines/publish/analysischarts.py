"""The report's charts of ``palimpsest analyze``'s tables (OUT/analysis/*.csv): the median policy
length with its p5-p95 band, readability, the shares of sites updating their policy (the GDPR
half-year, 2018A, marked) and the term shares over time. Static SVG, like the rest of the report;
drawn from the tables as they were written (the report never recomputes them)."""

from __future__ import annotations

import csv
from collections import defaultdict
from html import escape as e
from pathlib import Path

from pipelines.analysis.definitions import GROUPS

COLORS = ["#37c", "#c50", "#393", "#939", "#b90", "#0aa", "#666"]
GDPR_HALF = "2018A"


def _rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r.get("rank_bin", "all") == "all"]


def _num(value: str) -> float | None:
    return float(value) if value not in ("", None) else None


def lines_chart(labels: list[str], series: list[tuple[str, list[float | None]]], title: str,
                chart_id: str, band: tuple[list, list] | None = None, unit: str = "",
                width: int = 520, height: int = 240) -> str:
    """Lines over the half-years (gaps where a value is missing), an optional band, a legend and
    the GDPR half-year marked."""
    values = [v for _, vs in series for v in vs if v is not None] + \
        ([v for v in band[1] if v is not None] if band else [])
    if not labels or not values:
        return f"<p>No data for {e(title)}.</p>"
    top = max(values) or 1
    n = len(labels)
    legend_rows = (len(series) + 3) // 4
    plot = height  # the plot's bottom edge; the legend rows go below it
    height = plot + 14 * (legend_rows - 1)
    x = [45 + (width - 60) * (i / max(1, n - 1)) for i in range(n)]

    def y(v: float) -> float:
        return plot - 40 - (plot - 70) * v / top

    parts = [f"<svg id='{chart_id}' role='img' aria-label='{e(title)}' width='100%' "
             f"viewBox='0 0 {width} {height}'>",
             f"<line x1='40' y1='{plot - 40}' x2='{width - 5}' y2='{plot - 40}' stroke='#888'/>",
             f"<text x='38' y='34' text-anchor='end'>{top:.0f}{e(unit)}</text>"]
    if GDPR_HALF in labels:
        gx = x[labels.index(GDPR_HALF)]
        parts.append(f"<line class='gdpr' x1='{gx:.1f}' y1='26' x2='{gx:.1f}' y2='{plot - 40}' "
                     f"stroke='#c00' stroke-dasharray='4 3'><title>GDPR ({GDPR_HALF})</title></line>"
                     f"<text x='{gx + 3:.1f}' y='24' fill='#c00'>GDPR</text>")
    if band:
        low, high = band
        pts = [(x[i], y(high[i])) for i in range(n) if high[i] is not None] + \
              [(x[i], y(low[i])) for i in reversed(range(n)) if low[i] is not None]
        if pts:
            parts.append("<polygon class='band' fill='#37c' fill-opacity='0.15' stroke='none' points='"
                         + " ".join(f"{a:.1f},{b:.1f}" for a, b in pts) + "'><title>p5-p95</title></polygon>")
    for k, (name, vs) in enumerate(series):
        color = COLORS[k % len(COLORS)]
        run: list[str] = []
        for i, v in enumerate(vs + [None]):
            if v is not None:
                run.append(f"{x[i]:.1f},{y(v):.1f}")
                parts.append(f"<circle cx='{x[i]:.1f}' cy='{y(v):.1f}' r='2.5' fill='{color}'>"
                             f"<title>{e(name)}, {e(labels[i])}: {v:.1f}{e(unit)}</title></circle>")
            elif run:
                parts.append(f"<polyline fill='none' stroke='{color}' stroke-width='2' "
                             f"points='{' '.join(run)}'/>")
                run = []
        parts.append(f"<rect x='{50 + 120 * (k % 4)}' y='{plot - 18 + 14 * (k // 4)}' width='10' "
                     f"height='10' fill='{color}'/><text x='{64 + 120 * (k % 4)}' "
                     f"y='{plot - 9 + 14 * (k // 4)}'>{e(name[:18])}</text>")
    step = max(1, n // 8)
    for i in range(0, n, step):
        parts.append(f"<text x='{x[i]:.1f}' y='{plot - 26}' text-anchor='middle'>{e(labels[i])}</text>")
    parts.append("</svg>")
    return "".join(parts)


def analysis_section(out: Path) -> str:
    """The report's section of analyze's charts, or '' when analyze has not been run."""
    intervals = _rows(Path(out) / "analysis" / "intervals.csv")
    if not intervals:
        return ""
    labels = [r["interval"] for r in intervals]
    col = lambda name: [_num(r[name]) for r in intervals]  # noqa: E731
    charts = [
        ("Policy length: median words, with the p5-p95 band",
         lines_chart(labels, [("median words", col("median_words"))], "policy length", "analysis-words",
                     band=(col("p5_words"), col("p95_words")))),
        ("Readability: median Flesch-Kincaid grade and SMOG",
         lines_chart(labels, [("Flesch-Kincaid", col("median_flesch_kincaid")),
                              ("SMOG", col("median_smog"))], "readability", "analysis-readability")),
        ("Sites updating their policy since the previous half-year (strict: any change of text; "
         "simhash: more than 3 of 64 bits)",
         lines_chart(labels, [("strict", col("strict_pct")), ("simhash", col("simhash_pct"))],
                     "updates", "analysis-updates", unit="%")),
    ]
    terms = _rows(Path(out) / "analysis" / "terms.csv")
    by_group: dict[str, dict[str, dict[str, float | None]]] = defaultdict(lambda: defaultdict(dict))
    for r in terms:
        by_group[r["group"]][r["term"]][r["interval"]] = _num(r["share_pct"])
    for group in GROUPS:
        found = by_group.get(group)
        if not found:
            continue
        named = [t for t in found if max((v or 0) for v in found[t].values()) > 0]
        top = sorted(named, key=lambda t: -max((v or 0) for v in found[t].values()))[:6]
        if not top:
            continue
        series = [(t, [found[t].get(i) for i in labels]) for t in top]
        charts.append((f"Share of sites whose policy names each term: {group.replace('_', ' ')} "
                       "(the six most named)",
                       lines_chart(labels, series, group, f"analysis-terms-{group}", unit="%")))
    return ("<h2>What the corpus shows</h2><p>The tables of <code>palimpsest analyze</code> "
            "(<code>analysis/intervals.csv</code>, <code>analysis/terms.csv</code>), by half-year, "
            "with the Princeton-Leuven paper's definitions; the GDPR half-year is marked.</p>"
            "<div class='charts'>"
            + "".join(f"<div class='chart'><h3>{e(title)}</h3>{svg}</div>" for title, svg in charts)
            + "</div>")
